/**
 * Waiting on a shared Int32 counter: spin a little, then sleep in Atomics.wait.
 *
 * Measured on the 2-core machine kind: a notify→wake hand-off costs ~11.5 µs, while spinning on two
 * cores can stall 12–16 ms when the spinner steals the core of the thread it waits for. So the spin is
 * short (SPIN_LOADS loads, a few µs) and then the thread sleeps. RT-safe: no allocation.
 */

/** Atomics.load attempts before sleeping. */
export const SPIN_LOADS = 2000;

/**
 * Blocks until `arr[index] >= target` or `timeoutMs` passes (Infinity by default).
 * Returns 0 when satisfied without sleeping, 1 when it slept, -1 on timeout.
 */
export function waitAtLeast(arr: Int32Array, index: number, target: number, timeoutMs = Infinity): number {
  let v = Atomics.load(arr, index);
  if (v >= target) return 0;
  for (let s = 0; s < SPIN_LOADS; s++) {
    v = Atomics.load(arr, index);
    if (v >= target) return 0;
  }
  const deadline = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs;
  while (v < target) {
    const left = deadline === Infinity ? Infinity : deadline - performance.now();
    if (left <= 0) return -1;
    Atomics.wait(arr, index, v, left);
    v = Atomics.load(arr, index);
  }
  return 1;
}

/** Publishes a new counter value and wakes every thread sleeping on it. RT-safe. */
export function publish(arr: Int32Array, index: number, value: number): void {
  Atomics.store(arr, index, value);
  Atomics.notify(arr, index);
}

/**
 * One bounded wait for `arr[index] >= target`: spins (when `spin`), then sleeps once, until the word
 * is notified or `sliceMs` passes. Returns 0 when satisfied without sleeping, 1 when satisfied after
 * sleeping, -1 when not satisfied yet (woken early, or timed out): the caller checks whatever else it
 * waits for and calls again. It never reads the clock (performance.now allocates in Node 20).
 * RT-safe: no allocation; pass `sliceMs` as an integer.
 */
export function waitSlice(arr: Int32Array, index: number, target: number, sliceMs: number, spin: boolean): number {
  let v = Atomics.load(arr, index);
  if (v >= target) return 0;
  if (spin) {
    for (let s = 0; s < SPIN_LOADS; s++) {
      v = Atomics.load(arr, index);
      if (v >= target) return 0;
    }
  }
  Atomics.wait(arr, index, v, sliceMs);
  return Atomics.load(arr, index) >= target ? 1 : -1;
}
