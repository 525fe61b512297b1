/**
 * The supervisor's sleep: it waits on Ctrl.Faults (Atomics.waitAsync: a worker that takes a module down
 * notifies it) and looks once every SAFETY_MS anyway (a new arena, a missed wake-up), instead of the
 * 2 ms poll it used to run (500 wake-ups a second of an idle engine). Control thread; the wait itself
 * costs no thread (waitAsync resolves a promise on the event loop).
 */
import { Ctrl } from '../memory/layout';

/** Longest sleep of the supervisor between looks at shared memory (ms). */
export const SAFETY_MS = 100;

/** Atomics.waitAsync (Node ≥ 16; typed here, the project's lib predates it). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

export class FaultWaker {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  /**
   * @param ctrl  the control words of the current arena, if any (read at each sleep: arenas change)
   * @param seen  the Ctrl.Faults value the supervisor has handled
   * @param tick  what to run on each wake-up
   */
  constructor(
    private readonly ctrl: () => Int32Array | undefined,
    private readonly seen: () => number,
    private readonly tick: () => void,
  ) {}

  start(): void {
    this.stop();
    this.running = true;
    this.sleep();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Waits for a fault (a notify on Ctrl.Faults) or SAFETY_MS, then ticks and sleeps again. */
  private sleep(): void {
    if (!this.running) return;
    const again = () => {
      this.timer = undefined;
      if (!this.running) return;
      this.tick();
      this.sleep();
    };
    const ctrl = this.ctrl();
    const waiter = ctrl ? waitAsync(ctrl, Ctrl.Faults, this.seen(), SAFETY_MS) : undefined;
    if (waiter?.async) void waiter.value.then(again);
    else {
      this.timer = setTimeout(again, waiter ? 1 : SAFETY_MS); // not-equal: a fault since the last tick
      this.timer.unref();
    }
  }
}
