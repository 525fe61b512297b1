import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp, sin2pi } from '../dsp/numeric';
import { cutoffCoef } from '../dsp/one-pole';
import { SchmittTrigger } from '../dsp/schmitt';
import { bipolarInto, Random } from '../dsp/random';

const spec = ports({
  params: {
    tone: { unit: 'Hz', min: 80, max: 400, default: 185, doc: 'Frequency of the drum body.' },
    snappy: { unit: 'ratio', min: 0, max: 1, default: 0.6, doc: 'Share of the wires (noise) against the body.' },
    decay: { unit: 's', min: 0.02, max: 2, default: 0.25, doc: 'Time for the wires to fall by 60 dB (the body falls in half that).' },
    level: { unit: 'gain', min: 0, max: 2, default: 1, doc: 'Output gain.' },
  },
  inputs: {
    trig: { signal: 'trigger', doc: 'Strikes on each rising edge.' },
  },
  outputs: {
    out: { signal: 'audio', doc: 'The snare, about ±5 V at level 1.' },
  },
});

type IO = BlockIO<typeof spec>;

/**
 * Snare drum: a sine body at `tone` (−60 dB in decay/2) plus seeded white noise through a one-pole
 * high-pass at 1 kHz (the wires, −60 dB in decay), mixed by `snappy`. The noise is seeded from the patch
 * seed and the module id, so renders repeat. Block-size invariant.
 */
class SnareKernel implements Kernel<typeof spec> {
  private readonly trig = new SchmittTrigger();
  private readonly dt: number;
  private readonly hp: number;
  private rng: Random;
  /** [phase, time since strike (−1: never), high-pass state, noise draw]. */
  private readonly s = new Float64Array(4);

  constructor(private readonly ctx: InitContext) {
    this.dt = 1 / ctx.sampleRate;
    this.hp = cutoffCoef(1000, ctx.sampleRate);
    this.rng = new Random(ctx.seed);
    this.reset();
  }

  reset(): void {
    this.trig.reset();
    this.rng = new Random(this.ctx.seed);
    this.s.set([0, -1, 0, 0]);
  }

  process(io: IO, start: number, end: number): void {
    const p = io.params, s = this.s, dt = this.dt, hpA = this.hp;
    const f = clamp(p.tone, 80, 400) * dt, snappy = clamp(p.snappy, 0, 1), level = 5 * clamp(p.level, 0, 2);
    const noiseRate = (-3 * Math.LN10) / clamp(p.decay, 0.02, 2), bodyRate = 2 * noiseRate;
    const trig = io.in.trig, out = io.out.out;
    let phase = s[0], t = s[1], lp = s[2];
    for (let i = start; i < end; i++) {
      if (this.trig.processAt(trig, i)) {
        phase = 0;
        t = 0;
      }
      bipolarInto(this.rng, s, 3);
      lp += (s[3] - lp) * hpA;
      if (t < 0) {
        out[i] = 0;
        continue;
      }
      const body = sin2pi(phase) * Math.exp(bodyRate * t);
      const wires = (s[3] - lp) * Math.exp(noiseRate * t);
      out[i] = level * ((1 - snappy) * body + snappy * wires);
      phase += f;
      if (phase >= 1) phase -= 1;
      t = t < 60 ? t + dt : t;
    }
    s[0] = phase;
    s[1] = t;
    s[2] = lp;
  }
}

export const Snare = defineModule(spec, {
  type: 'snare',
  version: 1,
  title: 'Snare drum',
  category: 'source',
  poly: ['trig'],
  doc: 'Snare drum: a sine body at `tone` plus seeded, high-passed noise (the wires), mixed by snappy; the wires fall 60 dB in `decay`, the body in half that.',
  create: (ctx) => new SnareKernel(ctx),
});
