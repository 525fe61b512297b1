import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { SchmittTrigger } from '../dsp/schmitt';
import { bipolarInto, Random } from '../dsp/random';

const spec = ports({
  params: {},
  inputs: {
    in: { signal: 'cv', doc: 'Signal to sample (unpatched: seeded white noise, uniform in ±5 V).' },
    trig: { signal: 'trigger', doc: 'Samples the input on each rising edge.' },
  },
  outputs: {
    out: { signal: 'cv', doc: 'The input at the last rising edge (0 V before the first).' },
  },
});

type IO = BlockIO<typeof spec>;

/**
 * Sample and hold: on each rising edge of trig the output takes the input's value at that sample and
 * holds it. With nothing patched to `in` it samples its own seeded noise (uniform ±5 V), one draw per
 * edge, so renders repeat. Block-size invariant.
 */
class SampleHoldKernel implements Kernel<typeof spec> {
  private readonly trig = new SchmittTrigger();
  private rng: Random;
  /** [held value, fresh noise draw] (doubles in a Float64Array stay unboxed). */
  private readonly v = new Float64Array(2);

  constructor(private readonly ctx: InitContext) {
    this.rng = new Random(ctx.seed);
  }

  reset(): void {
    this.trig.reset();
    this.rng = new Random(this.ctx.seed);
    this.v.fill(0);
  }

  process(io: IO, start: number, end: number): void {
    const x = io.in.in, t = io.in.trig, out = io.out.out;
    const patched = io.connected.in, v = this.v;
    for (let i = start; i < end; i++) {
      if (this.trig.processAt(t, i)) {
        // Written out rather than finiteOr0(x[i]): this branch is rare, so V8 may not inline a call
        // here, and a double passed to a call that is not inlined is boxed on the heap.
        const xi = x[i];
        if (patched) v[0] = xi - xi === 0 ? xi : 0;
        else {
          bipolarInto(this.rng, v, 1);
          v[0] = 5 * v[1];
        }
      }
      out[i] = v[0];
    }
  }
}

export const SampleHold = defineModule(spec, {
  type: 'sample-hold',
  version: 1,
  title: 'Sample & hold',
  category: 'utility',
  poly: ['in', 'trig'],
  doc:
    'Takes the input on each rising trigger edge and holds it. Unpatched, it samples its own seeded noise (uniform ±5 V), so it is also ' +
    'a stepped random source that repeats with the patch seed.',
  create: (ctx) => new SampleHoldKernel(ctx),
});
