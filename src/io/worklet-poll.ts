/**
 * The worklet scope's poll for render requests, made to sleep until the device is due.
 *
 * node-web-audio-api 1.0.9 runs the AudioWorklet scope on a Node worker that polls the device thread
 * for render requests: a non-blocking receive (`run_audio_worklet_global_scope`, which serves every
 * request waiting), then `setImmediate` to poll again. Nothing wakes it when a request arrives (the
 * device thread sends it and blocks until the worklet answers), so the worklet must guess when to look.
 * Left alone it spins (one core at SCHED_FIFO 99 under `chrt`); a fixed nap of 0.125-0.5 ms between
 * empty polls cost ~6 wake-ups per 2.67 ms quantum, 9 % of a core for an idle engine on the null sink.
 *
 * This replaces the scope's `setImmediate` (installWorkletPoll, once, when the worklet file loads):
 *   - Polls run back to back in one event-loop task (a `burst`), sleeping in Atomics.wait between
 *     them, instead of one event-loop turn each; after BURST_SLEEP_MS of sleep the burst yields to the
 *     event loop (the scope's messages: close) and the next one is scheduled with the real setImmediate.
 *   - The device asks at its period: the first request of each period is timed (the middle between
 *     the poll that found it and the one before), the period P is tracked (a running mean of the
 *     intervals, restarted when one is off by half), and so is the count of requests per period Q.
 *     After a request the poll always looks again NAP_MIN_MS later (more quanta of the same period:
 *     a callback whose size is not a multiple of the quantum alternates counts); when that look finds
 *     nothing and P and Q are steady (two periods alike), it sleeps until EARLY_MS before the next
 *     period is due, then naps NAP_MIN_MS doubling to NAP_MAX_MS until it comes. Otherwise (start-up,
 *     a device that changed its pace) it naps from NAP_MIN_MS doubling to NAP_MAX_MS, as before.
 * Bounds: a request on its schedule (not earlier than EARLY_MS before it is due) waits at most
 * NAP_MAX_MS, as before. One that comes earlier waits at most until EARLY_MS before it was due: less
 * than one period, so the device callback still returns within its period (the stream does not lose a
 * period; the ring holds the engine's blocks meanwhile). test/reliability/worklet-poll.test.ts checks
 * both against a simulated device, and the polls: 3.6 per request at one quantum a period (the fixed
 * naps took 7.2), 2.7 at two, 1.6 at eight.
 *
 * Thread: the worklet scope's thread only. Not the audio path itself (that is the processor's
 * `process`, called from inside `run`), but it runs between render quanta: it allocates nothing but
 * performance.now()'s boxed double per poll (Node 20), where the library's own `run` allocates more
 * per quantum; it never logs or posts messages.
 */

/** Shortest and longest nap between empty polls, ms (the bound on a request's wait on its schedule). */
export const NAP_MIN_MS = 0.125, NAP_MAX_MS = 0.5;
/** Wake this long before the next period is due, ms. */
export const EARLY_MS = 0.2;
/** Sleep in one burst before yielding to the scope's event loop, ms. */
export const BURST_SLEEP_MS = 8;

type Poll = (...a: any[]) => void;
type Scope = { setImmediate?: (fn: Poll, ...args: unknown[]) => unknown };

/** The poll's state, shared with `markServed` (one per worklet scope thread). */
const state = { served: false };

/** Tells the poll a render request was served (call it from the processor's `process`). RT-safe. */
export function markServed(): void {
  state.served = true;
}

/**
 * Period tracking: feed it the time of each poll and whether it served a request; it says how long to
 * sleep before the next poll. Pure logic (no clock, no sleeping), so it is tested on its own.
 */
export class PollSchedule {
  /** Device period estimate, ms (0: unknown). */
  period = 0;
  /** Requests in a period (0: unknown). */
  perPeriod = 0;
  private periodStart = -1;
  private inPeriod = 0;
  private lastPerPeriod = -1;
  private nap = NAP_MIN_MS;
  /** Time of the previous poll and whether it served (a request came between it and the next). */
  private lastPoll = -1;
  private lastServed = false;

  /** After a poll at `now` (ms) that served a request or not: the sleep before the next poll, ms. */
  next(now: number, served: boolean): number {
    const sleep = this.decide(now, served);
    this.lastPoll = now;
    this.lastServed = served;
    return sleep;
  }

  private decide(now: number, served: boolean): number {
    if (served) {
      if (this.inPeriod === 0) this.startPeriod(now);
      this.inPeriod++;
      this.nap = NAP_MIN_MS;
      // Always one more look soon: the device may ask for more quanta in this period than the last
      // ones had (a callback of a size that is not a multiple of the quantum alternates counts).
      return NAP_MIN_MS;
    }
    if (this.inPeriod > 0) {
      this.endPeriod();
      if (this.period > 0 && this.perPeriod > 0) {
        const sleep = this.untilDue(now);
        if (sleep > NAP_MIN_MS) return sleep;
      }
    }
    const nap = this.nap;
    this.nap = Math.min(NAP_MAX_MS, this.nap * 2);
    return nap;
  }

  /** The period's requests are over: Q is known once two periods in a row had the same count. */
  private endPeriod(): void {
    this.perPeriod = this.inPeriod === this.lastPerPeriod ? this.inPeriod : 0;
    this.lastPerPeriod = this.inPeriod;
    this.inPeriod = 0;
  }

  /** Sleep until EARLY_MS before the next period is due (at least NAP_MIN_MS). */
  private untilDue(now: number): number {
    this.nap = NAP_MIN_MS;
    return Math.max(NAP_MIN_MS, this.periodStart + this.period - EARLY_MS - now);
  }

  private startPeriod(now: number): void {
    // The request came between the previous poll and this one: its time is taken as the middle (when
    // the previous poll found nothing), so a late poll does not shift the schedule by its lateness.
    if (this.lastPoll >= 0 && !this.lastServed) now = (this.lastPoll + now) / 2;
    if (this.periodStart >= 0) {
      const interval = now - this.periodStart;
      // A running mean; an interval off by half (a stall, a device that changed its pace) restarts it.
      if (this.period > 0 && Math.abs(interval - this.period) < this.period / 2) this.period += (interval - this.period) / 8;
      else this.period = this.period > 0 ? 0 : interval;
    }
    this.periodStart = now;
  }
}

/**
 * Replaces the scope's setImmediate with the sleeping burst poll (see the header). Runs once, when the
 * worklet scope loads the worklet file (not on the audio path).
 */
export function installWorkletPoll(scope: Scope): void {
  const realSetImmediate = scope.setImmediate;
  if (typeof realSetImmediate !== 'function') return;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const schedule = new PollSchedule();
  let inBurst = false;
  let pending: Poll | undefined;
  let pendingArgs: unknown[] = [];
  const burst = (fn: Poll, args: unknown[]): void => {
    inBurst = true;
    let slept = 0;
    try {
      for (;;) {
        pending = undefined;
        state.served = false;
        fn(...args); // the scope's poll: serves what is waiting, then asks for the next poll (into `pending`)
        if (pending === undefined) return; // the poll stopped rescheduling itself
        fn = pending;
        args = pendingArgs;
        const sleep = schedule.next(performance.now(), state.served);
        Atomics.wait(nap, 0, 0, sleep);
        slept += sleep;
        if (slept >= BURST_SLEEP_MS) break;
      }
    } finally {
      inBurst = false;
    }
    realSetImmediate(burst, fn, args);
  };
  scope.setImmediate = (fn: Poll, ...args: unknown[]) => {
    if (inBurst) {
      // Inside a burst: the next poll runs in this loop. `undefined` is what clearImmediate ignores.
      pending = fn;
      pendingArgs = args;
      return undefined;
    }
    return realSetImmediate(burst, fn, args);
  };
}
