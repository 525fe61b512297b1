import { defineModule, ports, type BlockIO, type Kernel } from '../sdk';
import { finiteOr0 } from '../dsp/numeric';

const spec = ports({
  params: {},
  inputs: {
    in: { signal: 'cv', doc: 'Signal to copy.' },
  },
  outputs: {
    out1: { signal: 'cv', doc: 'Copy of in.' },
    out2: { signal: 'cv', doc: 'Copy of in.' },
    out3: { signal: 'cv', doc: 'Copy of in.' },
    out4: { signal: 'cv', doc: 'Copy of in.' },
  },
});

/** Buffered multiple: four copies of the input (NaN and ±Inf read as 0 V, like every module's output). */
class MultKernel implements Kernel<typeof spec> {
  reset(): void {}

  process(io: BlockIO<typeof spec>, start: number, end: number): void {
    const x = io.in.in, outs = io.outputs;
    for (let k = 0; k < outs.length; k++) {
      const o = outs[k];
      for (let i = start; i < end; i++) o[i] = finiteOr0(x[i]);
    }
  }
}

export const Mult = defineModule(spec, {
  type: 'mult',
  version: 1,
  title: 'Mult',
  category: 'utility',
  poly: ['in'],
  doc: 'Four copies of one input (a cable can also feed several inputs directly; a mult gives one point to repatch).',
  create: () => new MultKernel(),
});
