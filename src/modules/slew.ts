import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp, finiteOr0 } from '../dsp/numeric';

const spec = ports({
  params: {
    rise: { unit: 's', min: 0, max: 10, default: 0.1, doc: 'Time to rise 10 V (0: no limit).' },
    fall: { unit: 's', min: 0, max: 10, default: 0.1, doc: 'Time to fall 10 V (0: no limit).' },
  },
  inputs: {
    in: { signal: 'cv', doc: 'Signal to follow.' },
  },
  outputs: {
    out: { signal: 'cv', doc: 'The input, changing at most 10 V per rise (up) or fall (down) time.' },
  },
});

type IO = BlockIO<typeof spec>;

/**
 * Slew limiter (portamento): the output moves toward the input by at most 10 V / (rise · fs) per sample
 * going up and 10 V / (fall · fs) going down, so a 10 V step takes exactly `rise` (or `fall`) seconds;
 * a time of 0 follows the input at once. Input limited to ±20 V. Block-size invariant.
 */
class SlewKernel implements Kernel<typeof spec> {
  private readonly sampleTime: number;
  /** [output, rise step, fall step]: doubles kept unboxed (params may arrive as small integers). */
  private readonly y = new Float64Array(3);

  constructor(ctx: InitContext) {
    this.sampleTime = 1 / ctx.sampleRate;
  }

  reset(): void {
    this.y[0] = 0;
  }

  process(io: IO, start: number, end: number): void {
    const rise = clamp(io.params.rise, 0, 10), fall = clamp(io.params.fall, 0, 10);
    const s = this.y;
    s[1] = rise > 0 ? (10 * this.sampleTime) / rise : 1e9;
    s[2] = fall > 0 ? (10 * this.sampleTime) / fall : 1e9;
    const up = s[1], down = s[2];
    const x = io.in.in, out = io.out.out;
    let y = s[0];
    for (let i = start; i < end; i++) {
      const target = clamp(finiteOr0(x[i]), -20, 20);
      const d = target - y;
      y = d > up ? y + up : d < -down ? y - down : target;
      out[i] = y;
    }
    s[0] = y;
  }
}

export const Slew = defineModule(spec, {
  type: 'slew',
  version: 1,
  title: 'Slew limiter',
  category: 'utility',
  poly: ['in'],
  doc:
    'Limits how fast a signal can change (portamento for pitch CV): at most 10 V per `rise` seconds going up and per `fall` seconds going ' +
    'down, linear, so a 10 V step takes exactly that long; 0 s passes the input unchanged.',
  create: (ctx) => new SlewKernel(ctx),
});
