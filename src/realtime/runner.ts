/**
 * The block loop: runs a set of modules of a RenderPlan over views of the shared arena.
 *
 * Construction (not RT-safe: creates kernels, views and BlockIO objects) happens when a plan is
 * installed. `runBlock` is the audio path: one `process` call per module per block, then a pass over
 * the module's used outputs that turns NaN/±Inf into 0 V (the cable contract) and counts it. No
 * allocation, no closures, no string-keyed lookups, no logging.
 */
import { makeBlockIO } from '../engine/block-io';
import type { RenderPlan } from '../engine/compile';
import type { BlockIO, Kernel } from '../engine/module-api';
import { findModule } from '../modules';
import { OutputKernel } from '../modules/output';

export interface RunnerModule {
  readonly id: string;
  readonly kernel: Kernel;
  /** BlockIO for even and odd blocks (the same object when no port has two slots). */
  readonly io: readonly [BlockIO, BlockIO];
  /** Used output views per parity, for the sanitising pass. */
  readonly checked: readonly [readonly Float32Array[], readonly Float32Array[]];
}

export class Runner {
  readonly modules: RunnerModule[] = [];
  /** Non-finite samples replaced by 0 V, per module (same order as `modules`). */
  readonly nonFinite: Float64Array;
  /** Set when the plan has an output module run by this runner. */
  readonly output: OutputKernel | undefined;

  /**
   * @param plan     the compiled plan
   * @param arena    Float32Array over the whole shared arena
   * @param positions which plan modules (indices into plan.modules, in execution order) this runner owns
   */
  constructor(plan: RenderPlan, arena: Float32Array, positions: readonly number[]) {
    const B = plan.blockSize;
    const view = (off: number) => arena.subarray(off, off + B);
    let output: OutputKernel | undefined;
    for (const pos of positions) {
      const pm = plan.modules[pos];
      const desc = findModule(pm.type);
      if (!desc) throw new Error(`unknown module type "${pm.type}"`);
      const kernel = desc.create({ sampleRate: plan.sampleRate, seed: pm.seed, maxBlock: B });
      const params = { ...pm.params };
      const make = (parity: 0 | 1) =>
        makeBlockIO(
          desc,
          pm.inputs.map((inp) => view(inp.offsets[parity])),
          pm.outputs.map((o) => view(o.offsets[parity])),
          params,
          pm.inputs.map((inp) => inp.connected),
          pm.outputs.map((o) => o.used),
        );
      const twoSlots = pm.inputs.some((i) => i.offsets[0] !== i.offsets[1]) || pm.outputs.some((o) => o.offsets[0] !== o.offsets[1]);
      const io0 = make(0);
      const io1 = twoSlots ? make(1) : io0;
      const checked = (io: BlockIO) => io.outputs.filter((_, k) => pm.outputs[k].used);
      this.modules.push({ id: pm.id, kernel, io: [io0, io1], checked: [checked(io0), checked(io1)] });
      if (kernel instanceof OutputKernel) output = kernel;
    }
    this.nonFinite = new Float64Array(this.modules.length);
    this.output = output;
  }

  /**
   * Audio path. Runs block `block` (absolute index) of `frames` samples starting at absolute frame
   * `frame`. Modules run in plan order; outputs are sanitised after each module.
   */
  runBlock(block: number, frame: number, frames: number): void {
    const parity = block & 1;
    const mods = this.modules;
    for (let m = 0; m < mods.length; m++) {
      const rm = mods[m];
      rm.kernel.process(rm.io[parity], 0, frames, frame);
      const outs = rm.checked[parity];
      for (let k = 0; k < outs.length; k++) {
        const o = outs[k];
        for (let i = 0; i < frames; i++) {
          const v = o[i];
          if (v - v !== 0) {
            o[i] = 0;
            this.nonFinite[m]++;
          }
        }
      }
    }
  }
}

/** Fills the constant buffers of a plan. Not RT-safe; call once when the arena is laid out. */
export function fillConstants(plan: RenderPlan, arena: Float32Array): void {
  for (const c of plan.constants) arena.fill(c.value, c.offset, c.offset + plan.blockSize);
}
