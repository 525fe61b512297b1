/**
 * The user module the hot-reload tests and bench (bench/reload.ts) edit while `serve` plays it:
 * out = in · level · K, its input limited to ±100 V and NaN read as 0. `fault` runs first in `process`
 * (the faulting versions of the rollback test; `atPatchLevel` and `frame` are in scope there).
 */
export const scaleModuleSource = (k: string | number, fault = '') => `import { defineModule, ports, type BlockIO, type Kernel } from 'modsynth/sdk';
const spec = ports({
  params: { level: { unit: 'gain', min: 0, max: 1, default: 1, doc: 'level' } },
  inputs: { in: { signal: 'audio', doc: 'signal' } },
  outputs: { out: { signal: 'audio', doc: 'in times level times K' } },
});
const K = ${k};
class ScaleKernel implements Kernel<typeof spec> {
  process(io: BlockIO<typeof spec>, start: number, end: number, frame: number): void {
    const atPatchLevel = io.params.level > 0.7 && io.params.level < 0.9;
    ${fault}
    const x = io.in.in, y = io.out.out, g = io.params.level * K;
    for (let i = start; i < end; i++) {
      const v = x[i];
      y[i] = v !== v ? 0 : v > 100 ? 100 * g : v < -100 ? -100 * g : v * g;
    }
  }
  reset(): void {}
}
export default defineModule(spec, { type: 'scale', version: 1, title: 'Scale', category: 'utility', blockSizeInvariant: true, doc: 'out = in · level · K', create: () => new ScaleKernel() });
`;

/** VCO → user/scale → left; the same VCO → right (the part of the patch a reload must not touch). */
export const scalePatch = (name: string) => ({
  format: 'modsynth-patch',
  version: 1,
  name,
  seed: 3,
  modules: [
    { id: 'osc', type: 'vco', params: { coarse: -3 } },
    { id: 's', type: 'user/scale', params: { level: 0.8 } },
    { id: 'out', type: 'output' },
  ],
  cables: [
    { from: 'osc.sin', to: 's.in' },
    { from: 's.out', to: 'out.left' },
    { from: 'osc.sin', to: 'out.right' },
  ],
});
