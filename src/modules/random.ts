import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp, finiteOr0 } from '../dsp/numeric';
import { SchmittTrigger } from '../dsp/schmitt';
import { bipolarInto, Random as Rng } from '../dsp/random';

const spec = ports({
  params: {
    rate: { unit: 'Hz', min: 0.01, max: 1000, default: 2, doc: 'New values per second (when no trigger is patched).' },
    unipolar: { unit: 'enum', min: 0, max: 1, default: 0, choices: ['bipolar', 'unipolar'], doc: 'bipolar: ±5 V; unipolar: 0..10 V.' },
  },
  inputs: {
    trig: { signal: 'trigger', doc: 'When patched, a new value on each rising edge instead of the rate.' },
    rate: { signal: 'cv', doc: 'Rate CV, 1 V/oct.' },
  },
  outputs: {
    stepped: { signal: 'cv', doc: 'Holds each value until the next one (sample and hold of noise).' },
    smooth: { signal: 'cv', doc: 'Glides from the previous value to the current one over each step (cosine).' },
  },
});

type IO = BlockIO<typeof spec>;

/**
 * Seeded random voltages: uniform values (±5 V or 0..10 V), a new one at `rate` Hz (× 2^CV) or on each
 * trigger edge. `stepped` jumps to each new value; `smooth` moves from the previous value to it along a
 * half cosine over the step (with triggers: over the last measured trigger period). The seed comes from
 * the patch seed and the module id, so renders repeat. Block-size invariant.
 */
class RandomKernel implements Kernel<typeof spec> {
  private readonly sampleTime: number;
  private readonly trig = new SchmittTrigger();
  private rng: Rng;
  /** [phase 0..1 within the step, previous value, current value, samples since edge, step length in samples, draw]. */
  private readonly s = new Float64Array(6);

  constructor(private readonly ctx: InitContext) {
    this.sampleTime = 1 / ctx.sampleRate;
    this.rng = new Rng(ctx.seed);
    this.reset();
  }

  reset(): void {
    this.rng = new Rng(this.ctx.seed);
    this.trig.reset();
    bipolarInto(this.rng, this.s, 5);
    this.s.set([0, this.s[5], this.s[5], 0, this.ctx.sampleRate]);
  }

  process(io: IO, start: number, end: number): void {
    const s = this.s;
    const offset = io.params.unipolar >= 0.5 ? 5 : 0;
    const baseDt = clamp(io.params.rate, 0.01, 1000) * this.sampleTime;
    const triggered = io.connected.trig, rateOn = io.connected.rate;
    const trig = io.in.trig, rateIn = io.in.rate, stepped = io.out.stepped, smooth = io.out.smooth;
    let phase = s[0], prev = s[1], cur = s[2], since = s[3], len = s[4];
    for (let i = start; i < end; i++) {
      let step = false;
      if (triggered) {
        since++;
        if (this.trig.processAt(trig, i)) {
          len = since;
          since = 0;
          step = true;
        }
        phase = len > 0 ? Math.min(1, since / len) : 1;
      } else {
        phase += rateOn ? Math.min(0.5, baseDt * Math.pow(2, clamp(finiteOr0(rateIn[i]), -10, 10))) : baseDt;
        if (phase >= 1) {
          phase -= Math.floor(phase);
          step = true;
        }
      }
      if (step) {
        prev = cur;
        bipolarInto(this.rng, s, 5);
        cur = s[5];
      }
      stepped[i] = 5 * cur + offset;
      smooth[i] = 5 * (prev + (cur - prev) * 0.5 * (1 - Math.cos(Math.PI * phase))) + offset;
    }
    s[0] = phase;
    s[1] = prev;
    s[2] = cur;
    s[3] = since;
    s[4] = len;
  }
}

export const RandomModule = defineModule(spec, {
  type: 'random',
  version: 1,
  title: 'Random',
  category: 'modulation',
  doc:
    'Seeded random voltages (uniform, ±5 V or 0..10 V): a new value at the rate (1 V/oct CV) or on each trigger. stepped holds each value; ' +
    'smooth glides to it along a half cosine over the step. Repeats exactly with the patch seed.',
  create: (ctx) => new RandomKernel(ctx),
});
