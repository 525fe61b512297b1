/**
 * user/wavefolder — a sine wavefolder (the West-coast "timbre" stage), written on the module SDK.
 *
 * Transfer curve: out = 5 V · sin(π/2 · d · (in + bias) / 5 V), with d = drive + drive CV / 5 V
 * clamped to [0, 10]. At drive 1 a ±5 V sine comes out as a ±5 V sine with rounder peaks; each
 * increase folds the peaks back over, adding odd harmonics. Input beyond ±100 V is clamped and a
 * NaN sample reads as 0 V, so garbage in never gives NaN out.
 */
import { defineModule, ports, type BlockIO, type Kernel } from 'modsynth/sdk';

const spec = ports({
  params: {
    drive: { unit: 'gain', min: 0, max: 10, default: 1, doc: 'fold depth: 1 = one half-fold at ±5 V' },
    bias: { unit: 'V', min: -5, max: 5, default: 0, doc: 'offset added before folding (asymmetric folds, even harmonics)' },
  },
  inputs: {
    in: { signal: 'audio', doc: 'signal to fold' },
    drive: { signal: 'cv', doc: 'added to drive, 1 per 5 V' },
  },
  outputs: {
    out: { signal: 'audio', doc: 'folded signal, ±5 V' },
  },
});

class WavefolderKernel implements Kernel<typeof spec> {
  process(io: BlockIO<typeof spec>, start: number, end: number): void {
    const x = io.in.in, cv = io.in.drive, y = io.out.out;
    const drive = io.params.drive, bias = io.params.bias;
    const k = Math.PI / 2 / 5;
    for (let i = start; i < end; i++) {
      let d = drive + cv[i] / 5;
      d = d > 10 ? 10 : d >= 0 ? d : 0; // NaN reads as 0
      const v = x[i];
      const u = v !== v ? 0 : v > 100 ? 100 : v < -100 ? -100 : v;
      y[i] = 5 * Math.sin(k * d * (u + bias));
    }
  }

  reset(): void {
    // stateless
  }
}

export default defineModule(spec, {
  type: 'wavefolder',
  version: 1,
  title: 'Wavefolder',
  category: 'effect',
  blockSizeInvariant: true,
  doc: 'Sine wavefolder: out = 5 V · sin(π/2 · d · (in + bias) / 5 V), d = drive + CV/5 V in [0, 10].',
  create: () => new WavefolderKernel(),
});
