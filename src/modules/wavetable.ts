import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp, finiteOr0 } from '../dsp/numeric';
import { C4_HZ } from '../dsp/pitch';
import { LEVELS, levelFor, TABLE_SIZE, WAVES, wavetableBank } from '../dsp/wavetables';

const LAST = WAVES.length - 1;

const spec = ports({
  params: {
    coarse: { unit: 'semitones', min: -60, max: 60, default: 0, doc: 'Pitch offset from C4 in semitones.' },
    fine: { unit: 'cents', min: -100, max: 100, default: 0, doc: 'Fine pitch offset.' },
    position: { unit: 'ratio', min: 0, max: LAST, default: 0, doc: `Morph position in the bank: 0 = ${WAVES[0]} … ${LAST} = ${WAVES[LAST]}; between two waves they are crossfaded.` },
    morphAmount: { unit: 'ratio', min: -2, max: 2, default: 1, doc: 'Waves of morph per volt at the morph input.' },
  },
  inputs: {
    pitch: { signal: 'pitch', doc: '1 V/oct, 0 V = C4.' },
    morph: { signal: 'cv', doc: 'Adds morphAmount × V to the position (clamped to the bank).' },
    fm: { signal: 'cv', doc: 'Exponential FM, 1 V/oct, added to the pitch.' },
  },
  outputs: {
    out: { signal: 'audio', doc: '±5 V.' },
  },
});

type IO = BlockIO<typeof spec>;

const OUT_V = 5;

/**
 * Wavetable oscillator over the built-in bank (dsp/wavetables.ts): 8 waves, each stored as band-
 * limited mip levels, one per octave, so no harmonic ever exceeds 0.45·fs (the only aliasing left is
 * from linear interpolation between the 2048 table points). The level follows the frequency; the
 * position crossfades two neighbouring waves. Per-sample processing: block-size invariant.
 */
class WavetableKernel implements Kernel<typeof spec> {
  private readonly tables: Float32Array;
  private readonly sampleTime: number;
  /** [phase in cycles, last pitch (V), its frequency (Hz), its mip level]. */
  private readonly s = new Float64Array([0, NaN, 0, 0]);

  constructor(ctx: InitContext) {
    this.tables = wavetableBank(ctx.sampleRate).tables;
    this.sampleTime = 1 / ctx.sampleRate;
  }

  reset(): void {
    this.s[0] = 0;
    this.s[1] = NaN;
    this.s[2] = 0;
    this.s[3] = 0;
  }

  process(io: IO, start: number, end: number): void {
    const p = io.params, s = this.s, t = this.tables;
    const pitchIn = io.in.pitch, morphIn = io.in.morph, fmIn = io.in.fm, out = io.out.out;
    const basePitch = p.coarse / 12 + p.fine / 1200;
    const pos0 = p.position, amount = p.morphAmount;
    const stride = TABLE_SIZE + 1, st = this.sampleTime;
    let phase = s[0], lastPitch = s[1], hz = s[2], level = s[3];
    for (let i = start; i < end; i++) {
      const v = basePitch + finiteOr0(pitchIn[i]) + finiteOr0(fmIn[i]);
      if (v !== lastPitch) {
        lastPitch = v;
        hz = C4_HZ * Math.pow(2, clamp(v, -12, 12));
        level = levelFor(hz);
      }
      const pos = clamp(pos0 + amount * finiteOr0(morphIn[i]), 0, LAST);
      let w = pos | 0;
      if (w >= LAST) w = LAST - 1;
      const mix = pos - w;
      const x = phase * TABLE_SIZE;
      const k = x | 0;
      const f = x - k;
      const a = (w * LEVELS + level) * stride + k, b = a + LEVELS * stride;
      const ya = t[a] + f * (t[a + 1] - t[a]);
      const yb = t[b] + f * (t[b + 1] - t[b]);
      out[i] = OUT_V * (ya + mix * (yb - ya));
      phase += clamp(hz * st, 0, 0.45);
      if (phase >= 1) phase -= 1;
    }
    s[0] = phase;
    s[1] = lastPitch;
    s[2] = hz;
    s[3] = level;
  }
}

export const Wavetable = defineModule(spec, {
  type: 'wavetable',
  version: 1,
  title: 'Wavetable oscillator',
  category: 'source',
  poly: ['pitch', 'morph'],
  doc:
    `Wavetable oscillator over a built-in bank of ${WAVES.length} waves (${WAVES.join(', ')}), morphed by \`position\` and the ` +
    'morph CV (crossfading neighbours). Each wave is stored band-limited per octave of pitch (no harmonic above 0.45·fs, ' +
    'built by inverse FFT when the module is created), played with linear interpolation over 2048 points. ' +
    '1 V/oct, 0 V = C4; ±5 V. Block-size invariant.',
  create: (ctx) => new WavetableKernel(ctx),
});
