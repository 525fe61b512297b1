import { defineModule, ports, type BlockIO, type Kernel } from '../sdk';
import { clamp, finiteOr0 } from '../dsp/numeric';

const spec = ports({
  params: {
    gain: { unit: 'gain', min: -2, max: 2, default: 1, doc: 'Gain; negative values invert.' },
    offset: { unit: 'V', min: -10, max: 10, default: 0, doc: 'Added after the gain.' },
  },
  inputs: {
    in: { signal: 'cv', doc: 'Signal to scale (unpatched: 0 V, so the output is the offset alone).' },
  },
  outputs: {
    out: { signal: 'cv', doc: 'in × gain + offset, limited to ±12 V.' },
  },
});

/** out = in × gain + offset, limited to ±12 V (the rails). Stateless. */
class AttenuverterKernel implements Kernel<typeof spec> {
  reset(): void {}

  process(io: BlockIO<typeof spec>, start: number, end: number): void {
    const g = clamp(io.params.gain, -2, 2), o = clamp(io.params.offset, -10, 10);
    const x = io.in.in, out = io.out.out;
    for (let i = start; i < end; i++) out[i] = clamp(finiteOr0(x[i]) * g + o, -12, 12);
  }
}

export const Attenuverter = defineModule(spec, {
  type: 'attenuverter',
  version: 1,
  title: 'Attenuverter / offset',
  category: 'utility',
  poly: ['in'],
  boundedOutputs: true, // finite by construction (finiteOr0, clamped): not scanned, proven by the conformance test
  doc: 'Scales, inverts and offsets a signal: out = in × gain + offset (gain −2..2, offset ±10 V), limited to ±12 V. Unpatched, it is a constant voltage source.',
  create: () => new AttenuverterKernel(),
});
