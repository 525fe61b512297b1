/**
 * The timed changes of a live session (timed OSC bundles, a MIDI file played live) and the timer that
 * hands them over: a change waits in the TimedQueue until its frame is a few blocks ahead of the first
 * frame the workers can still reach, so it never holds up immediate changes queued behind it in a
 * command ring. A change whose frame has passed by then is delivered at the first reachable frame and
 * counted late (so the session log still says exactly where it landed). The timer (~1 ms) runs only
 * while changes wait. Control thread only.
 */
import { TimedQueue, type TimedChange } from './timed-queue';

/** Blocks ahead of the first reachable frame at which a waiting change is handed over. */
const LEAD_BLOCKS = 8;

export interface TimedClock {
  firstReachableFrame(): number;
  blockSize(): number;
}

export class TimedRelease {
  private readonly queue = new TimedQueue();
  private timer: NodeJS.Timeout | undefined;
  /** Changes that arrived after their frame could be reached (applied at once). */
  late = 0;

  constructor(
    private readonly clock: TimedClock,
    /** Hands one due change over (its frame final). */
    private readonly deliver: (change: TimedChange) => void,
  ) {}

  /** Adds changes and starts the timer. */
  add(items: TimedChange[]): void {
    this.queue.add(items);
    this.timer ??= setInterval(() => this.release(), 1);
  }

  /** Changes `owner` (an OSC client) has waiting; no owner: every client's together. */
  pending(owner?: string): number {
    return this.queue.pending(owner);
  }

  /** Drops what waits and stops the timer (shutdown). */
  stop(): void {
    this.queue.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private release(): void {
    const horizon = this.clock.firstReachableFrame() + LEAD_BLOCKS * this.clock.blockSize();
    for (let r = this.queue.takeBefore(horizon); r; r = this.queue.takeBefore(horizon)) {
      const reachable = this.clock.firstReachableFrame();
      if (r.frame < reachable) {
        this.late++;
        r.frame = reachable;
      }
      this.deliver(r);
    }
    if (this.queue.length === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
