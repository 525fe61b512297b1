import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp, finiteOr0 } from '../dsp/numeric';
import { SMOOTH_SECONDS, smoothingCoef } from '../dsp/one-pole';

const spec = ports({
  params: {
    level: { unit: 'gain', min: 0, max: 2, default: 1, doc: 'Gain applied to the sum (smoothed over 5 ms).' },
  },
  inputs: {
    in: { signal: 'audio', doc: 'Polyphonic cable.' },
  },
  outputs: {
    out: { signal: 'audio', doc: 'level × the sum of every channel (mono).' },
  },
});

/** Polyphonic to mono: the sum of every channel, times a smoothed level. */
class SumKernel implements Kernel<typeof spec> {
  private readonly coef: number;
  /** Smoothed level (NaN before the first block: start at the target). */
  private readonly g = new Float64Array([NaN]);

  constructor(ctx: InitContext) {
    this.coef = smoothingCoef(SMOOTH_SECONDS, ctx.sampleRate);
  }

  reset(): void {
    this.g[0] = NaN;
  }

  process(io: BlockIO<typeof spec>, start: number, end: number): void {
    const x = io.in.in, out = io.out.out, B = io.blockSize, a = this.coef;
    const n = io.inChannels[0] > 1 ? io.inChannels[0] : 1;
    const target = clamp(io.params.level, 0, 2);
    const st = this.g;
    if (st[0] !== st[0]) st[0] = target;
    for (let i = start; i < end; i++) {
      st[0] += (target - st[0]) * a;
      let s = 0;
      for (let c = 0, at = i; c < n; c++, at += B) s += finiteOr0(x[at]);
      out[i] = s * st[0];
    }
  }
}

export const Sum = defineModule(spec, {
  type: 'sum',
  version: 1,
  title: 'Sum',
  category: 'utility',
  channels: () => [1],
  doc:
    'Polyphony: sums every channel of a cable to mono, with a level (smoothed). A mono module sums a polyphonic ' +
    'cable into its audio inputs by itself; `sum` is for a level on the sum, or to sum into a CV input (which ' +
    'reads channel 0).',
  create: (ctx) => new SumKernel(ctx),
});
