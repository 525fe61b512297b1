/**
 * The health record in shared memory: how a faulty module is taken out of the audio without stopping
 * it. One home for every reader and writer of the `Health` words (memory/layout.ts).
 *
 * Every plan position has a record of Health.Count Int32 words: a state word (HealthState), the kind
 * of the last fault (FaultKind) and the block it happened in. A module goes down in one of two ways:
 *   - its own worker sees it fail: `process` threw, or an output held NaN or ±Inf (realtime/runner.ts);
 *   - the watchdog thread (realtime/watchdog-entry.ts) finds its worker inside the same `process` call
 *     for longer than the hang budget, or the supervisor sees the worker thread exit (heap exhausted).
 *     Then every module of that worker goes down at once (the worker will be replaced).
 * Going down zeroes every buffer the module's outputs use (all slots), so its consumers read 0 V from
 * that block on, and wakes any worker sleeping on its stamp: waits on a down module are skipped.
 * A worker that later runs on past the moment it was declared dead (it was slow, not hung) finds its
 * modules down and zeroes their outputs again after its call returns (runner.ts).
 * The state goes Up → GoingDown (zeroing) → Down, with a compare-and-swap on the first step so exactly
 * one thread does it; readers that find GoingDown wait the few microseconds until Down. A module comes
 * back Up only on the worker that runs it (markUp, when its kernel is restored), and the control
 * thread marks a disabled module Down in a plan before that plan starts (markDisabled).
 *
 * Threads: markDown, markWorkerDead, isUp, settle and zero may be called on any thread at any time
 * (DSP workers, the watchdog, the control thread); markUp by the worker that owns the position;
 * markDisabled and setKind by the control thread. RT-safe: every method but the constructor and
 * positionsOf allocates nothing, takes no lock and never blocks (settle spins for microseconds).
 */
import { Ctrl, Health, WorkerWord } from './layout';
import type { Stamps } from './stamps';

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

/** What the health record needs to know of a plan, as plain arrays (realtime/faults.ts builds it). */
export interface HealthShape {
  /** Per plan position: the arena float ranges [start, end) its outputs use, as start, end pairs. */
  readonly outputRanges: readonly (readonly number[])[];
  /** Worker of each plan position. */
  readonly workerOf: readonly number[];
  /** Workers the plan uses. */
  readonly workers: number;
}

export class HealthTable {
  /** Arena float ranges [start, end) to zero for position p: pairs in ranges[rangeStart[p] .. rangeStart[p+1]). */
  private readonly rangeStart: Int32Array;
  private readonly ranges: Int32Array;
  /** Worker of each plan position. */
  readonly workerOf: Int32Array;
  /** Plan positions of worker w: byWorker[byWorkerStart[w] .. byWorkerStart[w+1]). */
  private readonly byWorkerStart: Int32Array;
  private readonly byWorker: Int32Array;

  /**
   * Not RT-safe (allocates its index arrays).
   * @param buffers     the plan's cable buffers (arenaViews().buffers, or a private arena)
   * @param health      Health.Count words per plan position
   * @param ctrl        engine control words (Ctrl.Faults is bumped per fault), if any
   * @param workerWords WorkerWord.Count words per pool worker, if any
   * @param stamps      completion stamps (waiters on a module that goes down are woken), if any
   */
  constructor(
    shape: HealthShape,
    readonly buffers: Float32Array,
    readonly health: Int32Array,
    readonly ctrl?: Int32Array,
    readonly workerWords?: Int32Array,
    readonly stamps?: Stamps,
  ) {
    const starts: number[] = [], flat: number[] = [];
    for (const r of shape.outputRanges) {
      starts.push(flat.length);
      flat.push(...r);
    }
    starts.push(flat.length);
    this.rangeStart = Int32Array.from(starts);
    this.ranges = Int32Array.from(flat);
    this.workerOf = Int32Array.from(shape.workerOf);
    const ws = Math.max(shape.workers, 1);
    const byWorker: number[] = [], byStart: number[] = [];
    for (let w = 0; w < ws; w++) {
      byStart.push(byWorker.length);
      shape.workerOf.forEach((mw, p) => mw === w && byWorker.push(p));
    }
    byStart.push(byWorker.length);
    this.byWorkerStart = Int32Array.from(byStart);
    this.byWorker = Int32Array.from(byWorker);
  }

  /** True when position p is up. RT-safe, any thread. */
  isUp(p: number): boolean {
    return Atomics.load(this.health, p * Health.Count) === HealthState.Up;
  }

  /** True when position p is down (its outputs zeroed). RT-safe, any thread. */
  isDown(p: number): boolean {
    return Atomics.load(this.health, p * Health.Count) === HealthState.Down;
  }

  /** The kind of position p's last fault. RT-safe, any thread. */
  kind(p: number): FaultKind {
    return Atomics.load(this.health, p * Health.Count + Health.Kind) as FaultKind;
  }

  /**
   * The block in which position p last went down: its low 32 bits, as stored (unwrapBlock beside the
   * current block gives the block number, memory/block-word.ts). RT-safe, any thread.
   */
  block(p: number): number {
    return Atomics.load(this.health, p * Health.Count + Health.Block);
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
   * Takes position p down (if it is up): zeroes its outputs, records why and when, bumps Ctrl.Faults
   * and notifies it (the supervisor sleeps on that word).
   * Returns false when it was already down. RT-safe, any thread.
   */
  markDown(p: number, kind: FaultKind, block: number): boolean {
    const h = this.health, at = p * Health.Count;
    if (Atomics.compareExchange(h, at, HealthState.Up, HealthState.GoingDown) !== HealthState.Up) return false;
    this.zero(p);
    Atomics.store(h, at + Health.Kind, kind);
    Atomics.store(h, at + Health.Block, block);
    Atomics.store(h, at, HealthState.Down);
    this.stamps?.wake(p);
    if (this.ctrl) {
      Atomics.add(this.ctrl, Ctrl.Faults, 1);
      Atomics.notify(this.ctrl, Ctrl.Faults); // wakes the supervisor (Atomics.waitAsync; no allocation)
    }
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

  /** Brings position p back up (its kernel was restored). RT-safe; only the worker that runs p. */
  markUp(p: number): void {
    Atomics.store(this.health, p * Health.Count, HealthState.Up);
  }

  /** Corrects the kind of a down position's fault (e.g. a hang that was a heap exhaustion). Control thread. */
  setKind(p: number, kind: FaultKind): void {
    Atomics.store(this.health, p * Health.Count + Health.Kind, kind);
  }

  /** Keeps position p down as disabled; in a plan not started yet, no zeroing is needed. Control thread. */
  markDisabled(p: number): void {
    Atomics.store(this.health, p * Health.Count + Health.Kind, FaultKind.Disabled);
    Atomics.store(this.health, p * Health.Count, HealthState.Down);
  }

  /** Plan positions of worker w. Not RT (allocates). */
  positionsOf(w: number): number[] {
    return Array.from(this.byWorker.subarray(this.byWorkerStart[w], this.byWorkerStart[w + 1]));
  }
}
