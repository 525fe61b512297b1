import { defineModule, ports, type BlockIO, type Kernel } from '../sdk';
import { finiteOr0 } from '../dsp/numeric';

const output = (n: number) => ({ signal: 'cv', doc: `Channel ${n} of the input (0 V when it has fewer channels).` }) as const;

const spec = ports({
  params: {},
  inputs: {
    in: { signal: 'cv', doc: 'Polyphonic cable to split.' },
  },
  outputs: {
    out1: output(1), out2: output(2), out3: output(3), out4: output(4), out5: output(5), out6: output(6), out7: output(7), out8: output(8),
    out9: output(9), out10: output(10), out11: output(11), out12: output(12), out13: output(13), out14: output(14), out15: output(15), out16: output(16),
  },
});

/** One polyphonic cable into sixteen mono outputs. */
class SplitKernel implements Kernel<typeof spec> {
  reset(): void {}

  process(io: BlockIO<typeof spec>, start: number, end: number): void {
    const x = io.in.in, outs = io.outputs, B = io.blockSize;
    const n = io.inChannels[0] > 1 ? io.inChannels[0] : 1;
    for (let c = 0; c < outs.length; c++) {
      const o = outs[c];
      if (c < n) for (let i = start, at = c * B + start; i < end; i++, at++) o[i] = finiteOr0(x[at]);
      else for (let i = start; i < end; i++) o[i] = 0;
    }
  }
}

export const Split = defineModule(spec, {
  type: 'split',
  version: 1,
  title: 'Split',
  category: 'utility',
  channels: () => new Array<number>(16).fill(1),
  doc: 'Polyphony: the channels of one cable on sixteen mono outputs; outputs beyond its channel count read 0 V.',
  create: () => new SplitKernel(),
});
