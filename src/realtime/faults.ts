/**
 * Module health in shared memory: how a faulty module is taken out of the audio without stopping it.
 *
 * Every plan position has a health record (memory/layout.ts, `Health`): a state word, the kind of the
 * last fault and the block it happened in. A module goes down in one of two ways:
 *   - its own worker sees it fail: `process` threw, or an output held NaN or ±Inf (runner.ts);
 *   - the watchdog thread (watchdog-entry.ts) finds its worker inside the same `process` call for
 *     longer than the hang budget, or the supervisor sees the worker thread exit (heap exhausted).
 *     Then every module of that worker goes down at once (the worker will be replaced).
 * Going down zeroes every buffer the module's outputs use (all slots), so its consumers read 0 V from
 * that block on, and wakes any worker sleeping on its stamp: waits on a down module are skipped.
 * A worker that later runs on past the moment it was declared dead (it was slow, not hung) finds its
 * modules down and zeroes their outputs again after its call returns (runner.ts).
 * The state goes Up → GoingDown (zeroing) → Down, with a compare-and-swap on the first step so exactly
 * one thread does it; readers that find GoingDown wait the few microseconds until Down.
 *
 * The supervisor (engine/supervisor.ts, control thread) polls Ctrl.Faults, reports, and brings modules
 * back: in place on a healthy worker, or on a replacement worker for a dead one.
 *
 * RT-safe: markDown, markWorkerDead, isUp and settle allocate nothing (the constructor does).
 */
import type { RenderPlan } from '../plan/compile';
import { Ctrl, Health, WorkerWord } from '../memory/layout';
import type { Stamps } from '../memory/stamps';

export const enum FaultKind {
  None = 0,
  /** `process` threw. */
  Throw = 1,
  /** An output held NaN or ±Inf. */
  NonFinite = 2,
  /** Stuck inside `process` past the hang budget. */
  Hang = 3,
  /** Its worker ran out of heap (resourceLimits). */
  Heap = 4,
  /** Lost with its worker (another module on that worker hung or exhausted the heap). */
  Lost = 5,
  /** Kept down after too many faults, until /module/enable. */
  Disabled = 6,
}

/** Names of FaultKind values, as reported in /status, events and logs. */
export const FAULT_NAMES = ['none', 'throw', 'nan', 'hang', 'heap', 'lost', 'disabled'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export const enum HealthState {
  Up = 0,
  GoingDown = 1,
  Down = 2,
}

export class FaultTable {
  /** Arena float ranges [start, end) to zero for position p: pairs in ranges[rangeStart[p] .. rangeStart[p+1]). */
  private readonly rangeStart: Int32Array;
  private readonly ranges: Int32Array;
  /** Worker of each plan position. */
  readonly workerOf: Int32Array;
  /** Plan positions of worker w: byWorker[byWorkerStart[w] .. byWorkerStart[w+1]). */
  private readonly byWorkerStart: Int32Array;
  private readonly byWorker: Int32Array;

  /**
   * @param buffers     the plan's cable buffers (arenaViews().buffers, or a private arena)
   * @param health      Health.Count words per plan position
   * @param ctrl        engine control words (Ctrl.Faults is bumped per fault), if any
   * @param workerWords WorkerWord.Count words per pool worker, if any
   * @param stamps      completion stamps (waiters on a module that goes down are woken), if any
   */
  constructor(
    plan: RenderPlan,
    readonly buffers: Float32Array,
    readonly health: Int32Array,
    readonly ctrl?: Int32Array,
    readonly workerWords?: Int32Array,
    readonly stamps?: Stamps,
  ) {
    const B = plan.blockSize;
    const starts: number[] = [], flat: number[] = [];
    plan.modules.forEach((m) => {
      starts.push(flat.length);
      for (const o of m.outputs) {
        if (!o.used) continue; // unused outputs write the worker's scratch, which nothing reads
        for (const off of new Set(o.offsets)) flat.push(off, off + B * o.channels);
      }
    });
    starts.push(flat.length);
    this.rangeStart = Int32Array.from(starts);
    this.ranges = Int32Array.from(flat);
    this.workerOf = Int32Array.from(plan.modules.map((m) => m.worker));
    const ws = Math.max(plan.workers, 1);
    const byWorker: number[] = [], byStart: number[] = [];
    for (let w = 0; w < ws; w++) {
      byStart.push(byWorker.length);
      plan.modules.forEach((m, p) => m.worker === w && byWorker.push(p));
    }
    byStart.push(byWorker.length);
    this.byWorkerStart = Int32Array.from(byStart);
    this.byWorker = Int32Array.from(byWorker);
  }

  /** True when position p is up. RT-safe. */
  isUp(p: number): boolean {
    return Atomics.load(this.health, p * Health.Count) === HealthState.Up;
  }

  /** Waits (spinning; it takes microseconds) until a module going down has its outputs zeroed. RT-safe. */
  settle(p: number): void {
    while (Atomics.load(this.health, p * Health.Count) === HealthState.GoingDown);
  }

  /** Zeroes every buffer of position p's used outputs, all slots. RT-safe. */
  zero(p: number): void {
    const r = this.ranges;
    for (let k = this.rangeStart[p]; k < this.rangeStart[p + 1]; k += 2) this.buffers.fill(0, r[k], r[k + 1]);
  }

  /**
   * Takes position p down (if it is up): zeroes its outputs, records why and when, bumps Ctrl.Faults.
   * Returns false when it was already down. RT-safe.
   */
  markDown(p: number, kind: FaultKind, block: number): boolean {
    const h = this.health, at = p * Health.Count;
    if (Atomics.compareExchange(h, at, HealthState.Up, HealthState.GoingDown) !== HealthState.Up) return false;
    this.zero(p);
    Atomics.store(h, at + Health.Kind, kind);
    Atomics.store(h, at + Health.Block, block);
    Atomics.store(h, at, HealthState.Down);
    this.stamps?.wake(p);
    if (this.ctrl) Atomics.add(this.ctrl, Ctrl.Faults, 1);
    return true;
  }

  /**
   * Declares worker w dead (hung, or gone): every module it runs goes down, the one it was running as
   * Hang, the others as Lost. Exactly one caller wins; returns whether it was this one. RT-safe.
   */
  markWorkerDead(w: number, block: number): boolean {
    const words = this.workerWords;
    if (!words || w < 0 || w + 1 >= this.byWorkerStart.length) return false;
    if (Atomics.compareExchange(words, w * WorkerWord.Count + WorkerWord.Dead, 0, 1) !== 0) return false;
    const running = Atomics.load(words, w * WorkerWord.Count + WorkerWord.Running);
    for (let k = this.byWorkerStart[w]; k < this.byWorkerStart[w + 1]; k++) {
      const p = this.byWorker[k];
      this.markDown(p, p === running ? FaultKind.Hang : FaultKind.Lost, block);
    }
    return true;
  }

  /** Plan positions of worker w. Not RT (allocates). */
  positionsOf(w: number): number[] {
    return Array.from(this.byWorker.subarray(this.byWorkerStart[w], this.byWorkerStart[w + 1]));
  }
}
