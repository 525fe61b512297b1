/**
 * Completion stamps: per plan position, the number of blocks the module has completed (the protocol is
 * described in realtime/block-loop.ts). This file owns their layout and every access to them.
 *
 * Layout: one 64-byte line per stamp, [value, waiters, unused × 14] (Int32), so that two workers
 * publishing the stamps of neighbouring modules never write the same cache line (false sharing), and a
 * producer can see whether anyone sleeps on its stamp. A publish stores the value and calls
 * Atomics.notify only when a waiter is registered: an Atomics.notify takes V8's process-wide futex
 * mutex, and one that wakes a sleeper costs tens of µs on a VM, so an unconditional notify per module
 * per block was a large share of a worker's time (profiled: `publish` 7 % of a worker).
 *
 * The waiter protocol is the classic futex one: a waiter registers (Atomics.add) before it re-reads the
 * value and sleeps on what it read; a producer stores the value before it reads the waiter count. With
 * sequentially consistent atomics either the producer sees the waiter and notifies, or the waiter sees
 * the new value and does not sleep. A waiter that is never notified still wakes after its slice.
 *
 * Wrap. A stamp holds the low 32 bits of a block count (memory/block-word.ts): every comparison with
 * a target block is the wrapping difference (`reached`), so stamps stay right past 2³¹ blocks.
 *
 * Thread and real-time rules: every method is RT-safe (no allocation, no locks of ours). `publish`,
 * `value` and `waitSlice` run on the audio path (workers); `set`, `fill` and `wakeAll` run on the
 * control thread or the watchdog (a fault wakes the waiters of the module that went down).
 */
import { blockAhead } from './block-word';

/** Int32 words per stamp: one cache line. */
export const STAMP_STRIDE = 16;

/** Bytes the stamps of `count` plan positions take. */
export function stampBytes(count: number): number {
  return count * STAMP_STRIDE * 4;
}

export class Stamps {
  constructor(
    /** The stamp lines: STAMP_STRIDE words per plan position. */
    readonly words: Int32Array,
  ) {}

  get length(): number {
    return (this.words.length / STAMP_STRIDE) | 0;
  }

  /** Blocks module p has completed: the count's low 32 bits (unwrapBlock gives the block number). */
  value(p: number): number {
    return Atomics.load(this.words, p * STAMP_STRIDE);
  }

  /** True when module p has completed at least `target` blocks (a block number), across the wrap. */
  reached(p: number, target: number): boolean {
    return blockAhead(Atomics.load(this.words, p * STAMP_STRIDE), target) >= 0;
  }

  /** Publishes a new stamp for module p and wakes its sleepers, if it has any. */
  publish(p: number, value: number): void {
    const at = p * STAMP_STRIDE;
    Atomics.store(this.words, at, value);
    if (Atomics.load(this.words, at + 1) !== 0) Atomics.notify(this.words, at);
  }

  /** Sets a stamp without waking anyone (control thread, before the workers use it). */
  set(p: number, value: number): void {
    Atomics.store(this.words, p * STAMP_STRIDE, value);
  }

  /** Sets every stamp (control thread, before the workers use them). */
  fill(value: number): void {
    for (let p = 0; p < this.length; p++) Atomics.store(this.words, p * STAMP_STRIDE, value);
  }

  /** Wakes every sleeper on module p's stamp (its module went down: waits on it end). */
  wake(p: number): void {
    Atomics.notify(this.words, p * STAMP_STRIDE);
  }

  /**
   * Releases every stamp (stop): each moves 2³⁰ blocks ahead, past any target a worker can wait for
   * (at most a few blocks ahead of it), and every sleeper wakes.
   */
  releaseAll(): void {
    for (let p = 0; p < this.length; p++) {
      Atomics.store(this.words, p * STAMP_STRIDE, (Atomics.load(this.words, p * STAMP_STRIDE) + 0x40000000) | 0);
      Atomics.notify(this.words, p * STAMP_STRIDE);
    }
  }

  /**
   * One bounded wait for stamp p ≥ target (a block number; compared across the wrap): spins `spinLoads` loads (0: none), then sleeps once until
   * notified or `sliceMs` passes. Returns 0 when satisfied without sleeping, 1 when satisfied after
   * sleeping, -1 when not satisfied yet (the caller checks whatever else it waits for and calls again).
   * Never reads the clock (performance.now allocates in Node 20). Pass `sliceMs` as an integer.
   */
  waitSlice(p: number, target: number, sliceMs: number, spinLoads: number): number {
    const words = this.words, at = p * STAMP_STRIDE;
    let v = Atomics.load(words, at);
    if (blockAhead(v, target) >= 0) return 0;
    for (let s = 0; s < spinLoads; s++) {
      v = Atomics.load(words, at);
      if (blockAhead(v, target) >= 0) return 0;
    }
    Atomics.add(words, at + 1, 1);
    v = Atomics.load(words, at);
    if (blockAhead(v, target) < 0) Atomics.wait(words, at, v, sliceMs);
    Atomics.sub(words, at + 1, 1);
    return blockAhead(Atomics.load(words, at), target) >= 0 ? 1 : -1;
  }
}
