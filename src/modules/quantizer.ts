import { defineModule, ports, type BlockIO, type Kernel } from '../sdk';
import { clamp, finiteOr0 } from '../dsp/numeric';

/** Scales as semitones above the root, ascending. */
export const SCALES: readonly { name: string; notes: readonly number[] }[] = [
  { name: 'chromatic', notes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] },
  { name: 'major', notes: [0, 2, 4, 5, 7, 9, 11] },
  { name: 'minor', notes: [0, 2, 3, 5, 7, 8, 10] },
  { name: 'pentatonic major', notes: [0, 2, 4, 7, 9] },
  { name: 'pentatonic minor', notes: [0, 3, 5, 7, 10] },
  { name: 'dorian', notes: [0, 2, 3, 5, 7, 9, 10] },
  { name: 'mixolydian', notes: [0, 2, 4, 5, 7, 9, 10] },
  { name: 'harmonic minor', notes: [0, 2, 3, 5, 7, 8, 11] },
  { name: 'whole tone', notes: [0, 2, 4, 6, 8, 10] },
  { name: 'blues', notes: [0, 3, 5, 6, 7, 10] },
];

const spec = ports({
  params: {
    scale: { unit: 'enum', min: 0, max: SCALES.length - 1, default: 1, choices: SCALES.map((s) => s.name), doc: 'Scale the output snaps to.' },
    root: { unit: 'semitones', min: 0, max: 11, default: 0, doc: 'Root note: 0 = C, 1 = C♯ … 11 = B.' },
    transpose: { unit: 'semitones', min: -48, max: 48, default: 0, doc: 'Added after quantizing, in semitones (stays on the scale only for multiples of 12).' },
  },
  inputs: {
    in: { signal: 'pitch', doc: 'Pitch to quantize, 1 V/oct.' },
  },
  outputs: {
    out: { signal: 'pitch', doc: 'The nearest note of the scale (1 V/oct), plus transpose.' },
  },
});

type IO = BlockIO<typeof spec>;

/** Candidate notes per scale in the search table (12 notes + one below + one above). */
const ROW = 14;

/**
 * Pitch quantizer: out = the scale note (root + scale degree + 12·octave semitones, /12 V) nearest to
 * the input; a tie (exactly halfway between two scale notes) goes to the upper one. Input limited to
 * ±10 V. Per-sample and stateless: block-size invariant.
 */
class QuantizerKernel implements Kernel<typeof spec> {
  /**
   * Per scale, the candidates for an input within [0, 12) semitones above the root: the scale's top
   * note an octave down, its notes, and its first note an octave up (ROW entries, unused ones +∞).
   */
  private readonly table = new Float64Array(SCALES.length * ROW).fill(Infinity);
  private readonly counts = Int32Array.from(SCALES.map((s) => s.notes.length + 2));

  constructor() {
    SCALES.forEach((s, k) => {
      const n = s.notes;
      [n[n.length - 1] - 12, ...n, n[0] + 12].forEach((v, j) => (this.table[k * ROW + j] = v));
    });
  }

  reset(): void {}

  process(io: IO, start: number, end: number): void {
    const scale = Math.round(clamp(io.params.scale, 0, SCALES.length - 1));
    const root = Math.round(clamp(io.params.root, 0, 11));
    const transpose = Math.round(clamp(io.params.transpose, -48, 48));
    const table = this.table, base = scale * ROW, count = this.counts[scale];
    const x = io.in.in, out = io.out.out;
    for (let i = start; i < end; i++) {
      const semis = clamp(finiteOr0(x[i]), -10, 10) * 12 - root;
      const octave = Math.floor(semis / 12);
      const within = semis - octave * 12; // [0, 12)
      let best = table[base], bestDist = Math.abs(within - best);
      for (let j = 1; j < count; j++) {
        const d = Math.abs(within - table[base + j]);
        if (d <= bestDist) {
          best = table[base + j];
          bestDist = d;
        }
      }
      out[i] = (octave * 12 + best + root + transpose) / 12;
    }
  }
}

export const Quantizer = defineModule(spec, {
  type: 'quantizer',
  version: 1,
  title: 'Quantizer',
  category: 'utility',
  poly: ['in'],
  doc:
    'Snaps a 1 V/oct pitch to the nearest note of a scale (chromatic, major, minor, pentatonics, dorian, mixolydian, harmonic minor, ' +
    'whole tone, blues) on a root; halfway cases go up. Then adds transpose semitones. Stateless, per sample.',
  create: () => new QuantizerKernel(),
});
