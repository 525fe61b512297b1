import { defineModule, MAX_CHANNELS, ports, type BlockIO, type Kernel } from '../sdk';
import { finiteOr0 } from '../dsp/numeric';

const input = (n: number) => ({ signal: 'cv', doc: `Channel ${n} of the output.` }) as const;

const spec = ports({
  params: {
    channels: {
      unit: 'count', min: 0, max: MAX_CHANNELS, default: 0, structural: true,
      doc: 'Channels of the output; 0 = auto (up to the highest-numbered patched input). Changing it rebuilds the plan.',
    },
  },
  inputs: {
    in1: input(1), in2: input(2), in3: input(3), in4: input(4), in5: input(5), in6: input(6), in7: input(7), in8: input(8),
    in9: input(9), in10: input(10), in11: input(11), in12: input(12), in13: input(13), in14: input(14), in15: input(15), in16: input(16),
  },
  outputs: {
    out: { signal: 'cv', doc: 'Polyphonic: channel n is in_n (0 V where in_n is unpatched).' },
  },
});

/** Output channels: the `channels` param, or (auto) up to the highest-numbered patched input. */
function mergeChannels(inputs: readonly number[], params: Readonly<Record<string, number>>): number[] {
  const set = Math.round(params.channels);
  if (set >= 1) return [set];
  let highest = 0;
  inputs.forEach((n, k) => n > 0 && (highest = k + 1));
  return [Math.max(1, highest)];
}

/** Sixteen mono inputs into one polyphonic cable (channel 0 of each input). */
class MergeKernel implements Kernel<typeof spec> {
  reset(): void {}

  process(io: BlockIO<typeof spec>, start: number, end: number): void {
    const ins = io.inputs, out = io.out.out, B = io.blockSize, n = io.outChannels[0];
    for (let c = 0; c < n; c++) {
      const x = ins[c], base = c * B;
      for (let i = start; i < end; i++) out[base + i] = finiteOr0(x[i]);
    }
  }
}

export const Merge = defineModule(spec, {
  type: 'merge',
  version: 1,
  title: 'Merge',
  category: 'utility',
  channels: mergeChannels,
  boundedOutputs: true, // finite by construction (finiteOr0, clamped): not scanned, proven by the conformance test
  doc:
    'Polyphony: sixteen mono inputs become the channels of one polyphonic cable. By default the output has as many ' +
    'channels as the highest-numbered patched input (unpatched ones below it read 0 V); `channels` fixes the count. ' +
    'A polyphonic cable into an input contributes its channel 0.',
  create: () => new MergeKernel(),
});
