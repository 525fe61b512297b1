/**
 * The block loop: runs a set of modules of a RenderPlan over views of the shared arena.
 *
 * Construction (not RT-safe: creates kernels, views and BlockIO objects) happens when a plan is
 * installed. `runBlock` is the audio path: one `process` call per module per block, then a pass over
 * the module's used outputs that turns NaN/±Inf into 0 V (the cable contract) and counts it. No
 * allocation, no closures, no string-keyed lookups, no logging.
 */
import { makeBlockIO } from '../engine/block-io';
import { SLOTS, type RenderPlan } from '../engine/compile';
import type { BlockIO, Kernel } from '../engine/module-api';
import { findModule } from '../modules';
import { OutputKernel } from '../modules/output';

export interface RunnerModule {
  readonly id: string;
  readonly type: string;
  readonly kernel: Kernel;
  /** Param names in declaration order (index → name for param records). */
  readonly paramNames: readonly string[];
  /** The params object every BlockIO of this module shares. */
  readonly params: Record<string, number>;
  /** BlockIO for block b at io[b % SLOTS] (one shared object when no port has several slots). */
  readonly io: readonly BlockIO[];
  /** Used output views per slot, for the sanitising pass. */
  readonly checked: readonly (readonly Float32Array[])[];
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
   * @param carry     kernels to keep (by module id, when the type matches): their state survives a plan swap
   */
  constructor(plan: RenderPlan, arena: Float32Array, positions: readonly number[], carry?: ReadonlyMap<string, RunnerModule>) {
    const B = plan.blockSize;
    const view = (off: number) => arena.subarray(off, off + B);
    let output: OutputKernel | undefined;
    for (const pos of positions) {
      const pm = plan.modules[pos];
      const desc = findModule(pm.type);
      if (!desc) throw new Error(`unknown module type "${pm.type}"`);
      const kept = carry?.get(pm.id);
      const kernel = kept && kept.type === pm.type ? kept.kernel : desc.create({ sampleRate: plan.sampleRate, seed: pm.seed, maxBlock: B });
      const params = { ...pm.params };
      const make = (slot: number) =>
        makeBlockIO(
          desc,
          pm.inputs.map((inp) => view(inp.offsets[slot])),
          pm.outputs.map((o) => view(o.offsets[slot])),
          params,
          pm.inputs.map((inp) => inp.connected),
          pm.outputs.map((o) => o.used),
        );
      const slotted = (offs: number[]) => offs.some((o) => o !== offs[0]);
      const multi = pm.inputs.some((i) => slotted(i.offsets)) || pm.outputs.some((o) => slotted(o.offsets));
      const first = make(0);
      const io = Array.from({ length: SLOTS }, (_, s) => (s === 0 || !multi ? first : make(s)));
      const checked = io.map((x) => x.outputs.filter((_, k) => pm.outputs[k].used));
      this.modules.push({ id: pm.id, type: pm.type, kernel, paramNames: Object.keys(desc.params), params, io, checked });
      if (kernel instanceof OutputKernel) output = kernel;
    }
    this.nonFinite = new Float64Array(this.modules.length);
    this.output = output;
  }

  /**
   * Audio path. Runs module `m` (index into `modules`) for block `block` (absolute index) of `frames`
   * samples starting at absolute frame `frame`, then sanitises its used outputs (NaN/±Inf → 0 V).
   */
  runModule(m: number, block: number, frame: number, frames: number): void {
    this.runRange(m, block, frame, 0, frames);
  }

  /**
   * Audio path. Like runModule, for samples [start, end) of the block only (a timed parameter change
   * splits a module's block at its sample; kernels are block-size invariant, so the split is exact).
   */
  runRange(m: number, block: number, frame: number, start: number, end: number): void {
    const rm = this.modules[m];
    const slot = block & (SLOTS - 1);
    rm.kernel.process(rm.io[slot], start, end, frame);
    const outs = rm.checked[slot];
    for (let k = 0; k < outs.length; k++) {
      const o = outs[k];
      for (let i = start; i < end; i++) {
        const v = o[i];
        if (v - v !== 0) {
          o[i] = 0;
          this.nonFinite[m]++;
        }
      }
    }
  }

  /** Sets param `index` of module `m` (a param record). Audio path; keyed store, no allocation. */
  setParam(m: number, index: number, value: number): void {
    const rm = this.modules[m];
    const name = rm.paramNames[index];
    if (name !== undefined) rm.params[name] = value;
  }

  /** Audio path. Runs every module of this runner, in plan order, for one block. */
  runBlock(block: number, frame: number, frames: number): void {
    for (let m = 0; m < this.modules.length; m++) this.runModule(m, block, frame, frames);
  }
}

/** Fills the constant buffers of a plan. Not RT-safe; call once when the arena is laid out. */
export function fillConstants(plan: RenderPlan, arena: Float32Array): void {
  for (const c of plan.constants) arena.fill(c.value, c.offset, c.offset + plan.blockSize);
}
