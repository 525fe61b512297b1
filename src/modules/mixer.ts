import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp, finiteOr0 } from '../dsp/numeric';
import { SMOOTH_SECONDS, smoothingCoef } from '../dsp/one-pole';

const level = (n: number) => ({ unit: 'gain', min: 0, max: 2, default: 1, doc: `Gain of input ${n}.` }) as const;
const input = (n: number) => ({ signal: 'audio', doc: `Input ${n}.` }) as const;

const spec = ports({
  params: {
    level1: level(1), level2: level(2), level3: level(3), level4: level(4),
    level5: level(5), level6: level(6), level7: level(7), level8: level(8),
    master: { unit: 'gain', min: 0, max: 2, default: 1, doc: 'Gain applied to the sum.' },
  },
  inputs: {
    in1: input(1), in2: input(2), in3: input(3), in4: input(4),
    in5: input(5), in6: input(6), in7: input(7), in8: input(8),
  },
  outputs: {
    out: { signal: 'audio', doc: 'master × Σ level_n × in_n.' },
  },
});

type IO = BlockIO<typeof spec>;

const CHANNELS = 8;
/** A smoothed gain lands on its target once within SNAP of it (as in the VCA; decided per sample). */
const SNAP = 1e-9;

/**
 * The sum of the current call, shared by every mixer of this thread (kernels of a thread run one after
 * another and `process` never re-enters). Grown when a kernel is created (not RT).
 */
let accScratch = new Float64Array(0);

/**
 * Eight-input mixer: out = master · Σ level_n · in_n (no clipping; the output stage limits).
 * Every gain is smoothed per sample (5 ms one-pole), so level moves are click-free and the output is
 * block-size invariant; a gain lands on its target within 1e-9, and a settled gain costs no smoothing.
 * Unpatched inputs cost nothing.
 */
class MixerKernel implements Kernel<typeof spec> {
  private readonly coef: number;
  private readonly gains = new Float64Array(CHANNELS + 1).fill(NaN);
  private readonly targets = new Float64Array(CHANNELS + 1);
  constructor(ctx: InitContext) {
    this.coef = smoothingCoef(SMOOTH_SECONDS, ctx.sampleRate);
    if (accScratch.length < ctx.maxBlock) accScratch = new Float64Array(ctx.maxBlock);
  }

  reset(): void {
    this.gains.fill(NaN);
  }

  process(io: IO, start: number, end: number): void {
    const p = io.params, t = this.targets, gains = this.gains, acc = accScratch, a = this.coef;
    t[0] = p.level1; t[1] = p.level2; t[2] = p.level3; t[3] = p.level4;
    t[4] = p.level5; t[5] = p.level6; t[6] = p.level7; t[7] = p.level8;
    t[8] = p.master;
    for (let j = 0; j <= CHANNELS; j++) {
      t[j] = clamp(t[j], 0, 2);
      if (!(gains[j] === gains[j])) gains[j] = t[j];
    }
    acc.fill(0, start, end);
    const inputs = io.inputs;
    for (let j = 0; j < CHANNELS; j++) {
      const target = t[j];
      let g = gains[j];
      if (isConnected(io, j)) {
        const x = inputs[j];
        if (g === target) {
          // Settled (the usual case): the smoothing recurrence would leave g at target, sample by sample.
          // Two samples per iteration: V8 checks each array once per iteration, not once per access.
          let i = start;
          for (const last = end - 1; i < last; i += 2) {
            const a = acc[i] + finiteOr0(x[i]) * g;
            const b = acc[i + 1] + finiteOr0(x[i + 1]) * g;
            acc[i] = a;
            acc[i + 1] = b;
          }
          if (i < end) acc[i] += finiteOr0(x[i]) * g;
        } else {
          for (let i = start; i < end; i++) {
            g += (target - g) * a;
            if (g - target < SNAP && target - g < SNAP) g = target;
            acc[i] += finiteOr0(x[i]) * g;
          }
        }
      } else {
        g = target;
      }
      gains[j] = g;
    }
    const out = io.out.out, mt = t[CHANNELS];
    let m = gains[CHANNELS];
    if (m === mt) {
      let i = start;
      for (const last = end - 1; i < last; i += 2) {
        const a = acc[i] * m, b = acc[i + 1] * m;
        out[i] = a;
        out[i + 1] = b;
      }
      if (i < end) out[i] = acc[i] * m;
    } else {
      for (let i = start; i < end; i++) {
        m += (mt - m) * a;
        if (m - mt < SNAP && mt - m < SNAP) m = mt;
        out[i] = acc[i] * m;
      }
    }
    gains[CHANNELS] = m;
  }
}

function isConnected(io: IO, j: number): boolean {
  const c = io.connected;
  switch (j) {
    case 0: return c.in1;
    case 1: return c.in2;
    case 2: return c.in3;
    case 3: return c.in4;
    case 4: return c.in5;
    case 5: return c.in6;
    case 6: return c.in7;
    default: return c.in8;
  }
}

export const Mixer = defineModule(spec, {
  type: 'mixer',
  version: 1,
  title: 'Mixer',
  category: 'utility',
  poly: ['in1', 'in2', 'in3', 'in4', 'in5', 'in6', 'in7', 'in8'],
  doc:
    'Eight-input mixer with a level per input and a master level (linear gains 0..2). Gains are smoothed over 5 ms. ' +
    'No clipping: only the output stage limits.',
  create: (ctx) => new MixerKernel(ctx),
});
