import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp, finiteOr0, sin2pi } from '../dsp/numeric';
import { C4_HZ } from '../dsp/pitch';

const spec = ports({
  params: {
    ratio: { unit: 'ratio', min: 0.125, max: 16, default: 1, doc: 'Frequency as a multiple of the pitch (C4 · 2^pitch).' },
    fine: { unit: 'cents', min: -100, max: 100, default: 0, doc: 'Detune.' },
    index: { unit: 'ratio', min: 0, max: 10, default: 1, doc: 'Modulation index: radians of phase deviation per 5 V at the fm input.' },
    feedback: { unit: 'ratio', min: 0, max: 1, default: 0, doc: 'Self-modulation: radians of phase per unit of its own previous output (0..1 rad).' },
    level: { unit: 'gain', min: 0, max: 2, default: 1, doc: 'Output gain (5 V peak at 1).' },
  },
  inputs: {
    pitch: { signal: 'pitch', doc: '1 V/oct, 0 V = C4.' },
    fm: { signal: 'audio', doc: 'Phase modulation: 5 V shifts the phase by `index` radians.' },
    index: { signal: 'cv', doc: 'Adds to index: 10 V = +10.' },
  },
  outputs: {
    out: { signal: 'audio', doc: '5 V · level · sin(phase + index · fm/5 V + feedback · previous).' },
  },
});

type IO = BlockIO<typeof spec>;

/**
 * Phase-modulation operator (the DX7's "FM"): out = 5 V · level · sin(2π·φ + I · m / 5 V + β · y[n−1]),
 * φ advancing at ratio · C4 · 2^(pitch + fine/1200) Hz, I the index (+CV), m the fm input, β the
 * feedback and y the operator's own last output (normalised). Driven by a sine of 5 V at fm the
 * spectrum is the Bessel series: sidebands at fc ± k·fm with amplitudes |J_k(I)| · 5 V (tested).
 * Not band-limited: keep fc + (I + 1)·fm below fs/2. Block-size invariant.
 */
class FmOpKernel implements Kernel<typeof spec> {
  private readonly dt: number;
  /** [phase in cycles, last output (normalised)]. */
  private readonly s = new Float64Array(2);

  constructor(ctx: InitContext) {
    this.dt = 1 / ctx.sampleRate;
  }

  reset(): void {
    this.s.fill(0);
  }

  process(io: IO, start: number, end: number): void {
    const p = io.params, s = this.s;
    const ratio = clamp(p.ratio, 0.125, 16), fineOct = clamp(p.fine, -100, 100) / 1200;
    const index = clamp(p.index, 0, 10), fb = clamp(p.feedback, 0, 1), level = 5 * clamp(p.level, 0, 2);
    const pitch = io.in.pitch, fm = io.in.fm, idx = io.in.index, out = io.out.out;
    const idxOn = io.connected.index;
    const base = C4_HZ * ratio * this.dt;
    const TWO_PI_INV = 1 / (2 * Math.PI);
    let phase = s[0], y = s[1];
    for (let i = start; i < end; i++) {
      const I = idxOn ? clamp(index + finiteOr0(idx[i]), 0, 20) : index;
      // Phase offset in cycles: (I · m/5 + β · y) / 2π.
      const offset = (I * clamp(finiteOr0(fm[i]), -50, 50) * 0.2 + fb * y) * TWO_PI_INV;
      y = sin2pi(phase + offset);
      out[i] = level * y;
      phase += base * Math.pow(2, clamp(finiteOr0(pitch[i]), -10, 10) + fineOct);
      if (phase >= 1) phase -= Math.floor(phase);
    }
    s[0] = phase;
    s[1] = y;
  }
}

export const FmOp = defineModule(spec, {
  type: 'fm-op',
  version: 1,
  title: 'FM operator',
  category: 'source',
  poly: ['pitch'],
  doc:
    'Phase-modulation operator: a sine at ratio × the pitch (1 V/oct, 0 V = C4) whose phase is pushed by the fm input (5 V = `index` radians, ' +
    'index CV) and by its own last output (feedback). Chain operators for DX-style FM: a 5 V sine modulator gives sidebands with the Bessel ' +
    'amplitudes |J_k(index)|. Not band-limited.',
  create: (ctx) => new FmOpKernel(ctx),
});
