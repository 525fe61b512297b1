import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp } from '../dsp/numeric';
import { SchmittTrigger } from '../dsp/schmitt';

const spec = ports({
  params: {
    decay: { unit: 's', min: 0.01, max: 2, default: 0.08, doc: 'Time to fall by 60 dB (short: closed hat; long: open).' },
    tone: { unit: 'Hz', min: 2000, max: 12000, default: 7000, doc: 'Cutoff of the high-pass that shapes the metal.' },
    level: { unit: 'gain', min: 0, max: 2, default: 1, doc: 'Output gain.' },
  },
  inputs: {
    trig: { signal: 'trigger', doc: 'Strikes on each rising edge.' },
  },
  outputs: {
    out: { signal: 'audio', doc: 'The hi-hat, peaks about ±4 V at level 1.' },
  },
});

type IO = BlockIO<typeof spec>;

/** Gain after the high-pass (most of the squares' energy lies below it): peaks about 4 V at level 1. */
const MAKEUP = 12;

/** Frequencies of the six square oscillators (the classic 808 ratios), Hz. */
const METAL_HZ = [205.3, 304.4, 369.6, 522.7, 540.0, 800.0];

/**
 * Hi-hat: six square waves at inharmonic frequencies (the TR-808's metal), summed, through a
 * two-pole (two cascaded one-pole) high-pass at `tone`, with amplitude 10^(−3t/decay) (−60 dB at
 * t = decay). Deterministic (no noise), block-size invariant.
 */
class HatKernel implements Kernel<typeof spec> {
  private readonly trig = new SchmittTrigger();
  private readonly dt: number;
  private readonly phases = new Float64Array(METAL_HZ.length);
  /** [time since strike (−1: never), high-pass state 1, state 2]. */
  private readonly s = new Float64Array(3);

  constructor(ctx: InitContext) {
    this.dt = 1 / ctx.sampleRate;
    this.reset();
  }

  reset(): void {
    this.trig.reset();
    this.phases.fill(0);
    this.s.set([-1, 0, 0]);
  }

  process(io: IO, start: number, end: number): void {
    const p = io.params, s = this.s, dt = this.dt, ph = this.phases;
    const rate = (-3 * Math.LN10) / clamp(p.decay, 0.01, 2), level = 5 * MAKEUP * clamp(p.level, 0, 2);
    // cutoffCoef(tone), written out, not called: see dsp/one-pole.ts (a per-block call V8 does not inline boxes its double).
    // Its exponent is formed as hz · dt, not cutoffCoef's hz / fs: 1 tone in 10 rounds differently, so it stays as it is (bit-identical outputs).
    const a = 1 - Math.exp(-2 * Math.PI * clamp(p.tone, 2000, 12000) * dt);
    const trig = io.in.trig, out = io.out.out;
    let t = s[0], l1 = s[1], l2 = s[2];
    for (let i = start; i < end; i++) {
      if (this.trig.processAt(trig, i)) t = 0;
      let metal = 0;
      for (let k = 0; k < 6; k++) {
        metal += ph[k] < 0.5 ? 1 : -1;
        ph[k] += METAL_HZ[k] * dt;
        if (ph[k] >= 1) ph[k] -= 1;
      }
      metal /= 6;
      l1 += (metal - l1) * a;
      const h1 = metal - l1;
      l2 += (h1 - l2) * a;
      const h2 = h1 - l2;
      out[i] = t < 0 ? 0 : level * h2 * Math.exp(rate * t);
      if (t >= 0 && t < 60) t += dt;
    }
    s[0] = t;
    s[1] = l1;
    s[2] = l2;
  }
}

export const Hat = defineModule(spec, {
  type: 'hat',
  version: 1,
  title: 'Hi-hat',
  category: 'source',
  poly: ['trig'],
  doc: 'Hi-hat: six inharmonic square waves (TR-808 ratios) through a high-pass at `tone`, falling 60 dB in `decay` (short closed, long open).',
  create: (ctx) => new HatKernel(ctx),
});
