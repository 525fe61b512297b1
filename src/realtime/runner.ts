/**
 * The block loop: runs a set of modules of a RenderPlan over views of the shared arena.
 *
 * Construction (not RT-safe: creates kernels, views and BlockIO objects) happens when a plan is
 * installed. `runRange` is the audio path: one `process` call per module per block, inside a try, then
 * a pass over the module's used outputs that checks every sample is finite (skipped for built-ins that
 * declare `boundedOutputs`, proven by the conformance tests; never for user modules). A module that throws or
 * outputs NaN/±Inf goes down (realtime/faults.ts): its outputs read 0 V and it is skipped until it is
 * restarted. No allocation (except the error object a throwing kernel makes), no closures, no
 * string-keyed lookups, no logging.
 *
 * Each module's kernels and BlockIO views are built by realtime/runner-module.ts; this class lays out
 * the flat views that runRange walks (see the comment on kernelsFlat) beside their one reader.
 */
import { SLOTS, type RenderPlan } from '../plan/compile';
import { sinkOf, type BlockIO, type Kernel, type SinkKernel } from '../sdk/module-api';
import { findModule, isBuiltIn } from '../modules';
import { Health } from '../memory/layout';
import { FaultKind, FaultTable, HealthState } from './faults';
import { buildRunnerModule, voiceSeed, type RunnerModule, type SummedInput } from './runner-module';

export { voiceSeed, type RunnerModule } from './runner-module';

/** Param index of a command record that carries an event (Kernel.event) instead of a param value. */
export const EVENT_INDEX = -1;

export class Runner {
  readonly modules: RunnerModule[] = [];
  /** Plan position of each module (same order as `modules`). */
  private readonly pos: Int32Array;
  /** Faults this runner saw (throw or non-finite output). */
  faults = 0;
  /** The kernel of the plan's sink (ModuleDescriptor.sink) when this runner runs it. */
  output: SinkKernel | undefined;
  readonly table: FaultTable;
  private readonly health: Int32Array;
  /** First block each module runs after a restart (0: no restart pending). */
  private readonly startAt: Float64Array;
  /**
   * The audio path's view of the modules, flattened so that one module's run touches a few slots of a
   * few contiguous arrays rather than a chain of small objects scattered over the heap (at 64 voices
   * those pointer chases were a fifth of runRange):
   *   - voice kernels of module m: kernelsFlat[voiceStart[m] .. voiceStart[m + 1]); their BlockIO for
   *     slot s at ioFlat[s][same index];
   *   - used output ranges of module m for slot s: pairs (arena offset, channels) in
   *     checkData[checkStart[m * SLOTS + s] .. checkStart[m * SLOTS + s + 1]);
   *   - healthAt[m]: index of module m's state word in the health table; hasSums[m]: 1 when it has
   *     summing inputs.
   * `kernelsFlat` is the one array restart() updates besides RunnerModule.kernels.
   */
  private readonly kernelsFlat: Kernel[] = [];
  private readonly ioFlat: BlockIO[][];
  private readonly voiceStart: Int32Array;
  private readonly checkStart: Int32Array;
  private readonly checkData: Int32Array;
  private readonly healthAt: Int32Array;
  private readonly hasSums: Uint8Array;
  private readonly arena: Float32Array;

  /**
   * @param plan     the compiled plan
   * @param arena    Float32Array over the whole shared arena
   * @param positions which plan modules (indices into plan.modules, in execution order) this runner owns
   * @param carry     kernels to keep (by module id, when the type matches): their state survives a plan swap
   * @param faults    the shared health table (default: a private one, for single-threaded runs)
   */
  constructor(
    readonly plan: RenderPlan,
    arena: Float32Array,
    positions: readonly number[],
    carry?: ReadonlyMap<string, RunnerModule>,
    faults?: FaultTable,
  ) {
    let output: SinkKernel | undefined;
    for (const pos of positions) {
      const pm = plan.modules[pos];
      const desc = findModule(pm.type);
      if (!desc) throw new Error(`unknown module type "${pm.type}"`);
      const rm = buildRunnerModule(plan, arena, pos, desc, carry?.get(pm.id));
      this.modules.push(rm);
      output = sinkOf(desc, rm.kernels[0]) ?? output;
    }
    this.pos = Int32Array.from(positions);
    this.startAt = new Float64Array(positions.length);
    this.arena = arena;
    const n = this.modules.length;
    this.ioFlat = Array.from({ length: SLOTS }, () => []);
    this.voiceStart = new Int32Array(n + 1);
    this.checkStart = new Int32Array(n * SLOTS + 1);
    const checkData: number[] = [];
    for (let m = 0; m < n; m++) {
      const rm = this.modules[m], pm = plan.modules[rm.position];
      // Outputs bounded by construction (built-ins that declare it, proven by the conformance tests)
      // are not scanned for NaN and ±Inf: the scan read every output sample a second time.
      const desc = findModule(rm.type)!;
      const scanned = !(desc.boundedOutputs === true && isBuiltIn(rm.type));
      this.voiceStart[m] = this.kernelsFlat.length;
      for (let v = 0; v < rm.kernels.length; v++) {
        this.kernelsFlat.push(rm.kernels[v]);
        for (let s = 0; s < SLOTS; s++) this.ioFlat[s].push(rm.io[s][v]);
      }
      for (let s = 0; s < SLOTS; s++) {
        this.checkStart[m * SLOTS + s] = checkData.length;
        if (scanned) for (const o of pm.outputs) if (o.used) checkData.push(o.offsets[s], o.channels);
      }
    }
    this.voiceStart[n] = this.kernelsFlat.length;
    this.checkStart[n * SLOTS] = checkData.length;
    this.checkData = Int32Array.from(checkData);
    this.healthAt = Int32Array.from(positions, (p) => p * Health.Count);
    this.hasSums = Uint8Array.from(this.modules, (rm) => (rm.sums.length > 0 ? 1 : 0));
    this.output = output;
    this.table = faults ?? new FaultTable(plan, arena, new Int32Array(plan.modules.length * Health.Count));
    this.health = this.table.health;
  }

  /**
   * Brings module m back after a fault: a fresh kernel (state reset) with the params it has now, then
   * marks it up; it runs again from block `atBlock` (or the next one), its outputs reading 0 V until
   * then. Marked up at once, so that consumers on other workers wait for its blocks again before it
   * runs. Not RT-safe (creates the kernel): the worker calls it between runs, at a service point.
   */
  restart(m: number, atBlock = 0): void {
    const rm = this.modules[m];
    this.startAt[m] = atBlock;
    const pm = this.plan.modules[rm.position];
    const desc = findModule(rm.type)!;
    for (let v = 0; v < rm.kernels.length; v++) {
      rm.kernels[v] = desc.create({ sampleRate: this.plan.sampleRate, seed: voiceSeed(pm.seed, v), maxBlock: this.plan.blockSize });
      this.kernelsFlat[this.voiceStart[m] + v] = rm.kernels[v];
    }
    this.output = sinkOf(desc, rm.kernels[0]) ?? this.output;
    this.table.zero(rm.position);
    this.table.markUp(rm.position);
  }

  /** Index in `modules` of the module with this id, or -1. */
  indexOf(id: string): number {
    return this.modules.findIndex((m) => m.id === id);
  }

  /** True when module m is up. RT-safe. */
  isUp(m: number): boolean {
    return Atomics.load(this.health, this.pos[m] * Health.Count) === HealthState.Up;
  }

  /**
   * Audio path. Runs module `m` (index into `modules`) for samples [start, end) of block `block`
   * (absolute index), whose first sample is absolute frame `frame`; a whole block is [0, blockSize), and a
   * timed parameter change splits a module's block at its sample (kernels are block-size invariant, so
   * the split is exact). A module that is down is skipped (its outputs hold 0 V).
   */
  runRange(m: number, block: number, frame: number, start: number, end: number): void {
    // Plain reads of the state word, not Atomics.load (in Node 20 a call into a builtin, ~13 ns, twice
    // per module per block): the kernel call between them is opaque to the compiler, so each read
    // really loads the word (an aligned Int32 never tears). The first may be a moment stale: a module
    // taken down by another thread just now runs once more, and the second read, after the call, zeroes
    // what it wrote, as for a module declared hung while it ran.
    const health = this.health, hp = this.healthAt[m];
    if (health[hp] !== HealthState.Up) return;
    if (block < this.startAt[m]) return; // restarted, back from a later block: outputs stay at 0 V
    const slot = block & (SLOTS - 1), B = this.plan.blockSize;
    if (this.hasSums[m] !== 0) {
      const sums = this.modules[m].sums;
      for (let k = 0; k < sums.length; k++) sumChannels(sums[k], slot, start, end, B);
    }
    const kernels = this.kernelsFlat, ios = this.ioFlat[slot];
    try {
      for (let v = this.voiceStart[m], last = this.voiceStart[m + 1]; v < last; v++) kernels[v].process(ios[v], start, end, frame);
    } catch {
      this.fault(m, FaultKind.Throw, block);
      return;
    }
    const arena = this.arena, data = this.checkData, c = m * SLOTS + slot;
    let probe = 0;
    for (let k = this.checkStart[c], last = this.checkStart[c + 1]; k < last; k += 2) {
      for (let ch = 0, base = data[k]; ch < data[k + 1]; ch++, base += B) probe += finiteProbe(arena, base + start, base + end);
    }
    if (probe !== probe) this.fault(m, FaultKind.NonFinite, block);
    // Declared hung by another thread while it ran: it may have written after its outputs were zeroed.
    else if (health[hp] !== HealthState.Up) this.table.zero(this.pos[m]);
  }

  private fault(m: number, kind: FaultKind, block: number): void {
    this.faults++;
    this.table.markDown(this.pos[m], kind, block);
  }

  /**
   * Sets param `index` of module `m` (a param record), or delivers an event to it (index EVENT_INDEX).
   * Audio path; keyed store, no allocation.
   */
  setParam(m: number, index: number, value: number): void {
    const rm = this.modules[m];
    if (index === EVENT_INDEX) {
      const k = rm.kernels[0];
      if (k.event !== undefined && this.isUp(m)) k.event(value, rm.io[0][0]);
      return;
    }
    const name = rm.paramNames[index];
    if (name !== undefined) rm.params[name] = value;
  }

  /**
   * Audio path. Runs module `m` up to each of its records in `due` (`count` records of 4 numbers:
   * offset in the block, module, param index or EVENT_INDEX, value; sorted by offset) and applies the
   * record there, so a change lands on its exact sample. Returns the offset reached; the caller runs
   * the rest of the block from there. No allocation.
   */
  applyDue(m: number, block: number, frame: number, due: Float64Array, count: number): number {
    let cursor = 0;
    for (let d = 0; d < count; d++) {
      if (due[d * 4 + 1] !== m) continue;
      const at = due[d * 4] | 0; // an integer offset: the returned cursor stays a small integer (no boxing)
      if (at > cursor) this.runRange(m, block, frame, cursor, at);
      this.setParam(m, due[d * 4 + 2], due[d * 4 + 3]);
      cursor = at > cursor ? at : cursor;
    }
    return cursor;
  }

  /** Audio path. Runs every module of this runner, in plan order, for one block. */
  runBlock(block: number, frame: number, frames: number): void {
    for (let m = 0; m < this.modules.length; m++) this.runRange(m, block, frame, 0, frames);
  }
}

/** Fills the constant buffers of a plan. Not RT-safe; call once when the arena is laid out. */
export function fillConstants(plan: RenderPlan, arena: Float32Array): void {
  for (const c of plan.constants) arena.fill(c.value, c.offset, c.offset + plan.blockSize);
}

/**
 * 0 when every sample of x[from, to) is finite, NaN otherwise (x · 0 is 0 for finite x, NaN for NaN and
 * ±Inf). Four independent sums, so the adds do not wait on each other. Audio path.
 */
function finiteProbe(x: Float32Array, from: number, to: number): number {
  let a = 0, b = 0, c = 0, d = 0, i = from;
  for (const last = to - 3; i < last; i += 4) {
    a += x[i] * 0;
    b += x[i + 1] * 0;
    c += x[i + 2] * 0;
    d += x[i + 3] * 0;
  }
  for (; i < to; i++) a += x[i] * 0;
  return a + b + c + d;
}

/** Audio path: adds the channels of a summed input's cable into its buffer, for samples [start, end). */
function sumChannels(s: SummedInput, slot: number, start: number, end: number, B: number): void {
  const into = s.into, from = s.from[slot], n = s.channels * B;
  for (let i = start; i < end; i++) {
    let acc = 0; // a double: one rounding per sample, as the `sum` module does
    for (let at = i; at < n; at += B) acc += from[at];
    into[i] = acc;
  }
}
