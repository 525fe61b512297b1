/**
 * How `play` and `serve` are asked to stop: SIGINT (Ctrl-C), SIGTERM (a service manager) and SIGHUP
 * (the terminal closed), to the process or to its whole process group. Control thread only.
 *
 * A second Ctrl-C often follows the first by reflex, and a launcher that forwards signals (as `play`'s
 * own re-run under chrt did) delivers a group's signal twice. No repeat may kill the process halfway
 * through its shutdown: that is how recordings were lost (the handler was removed at the first signal,
 * so the second copy took the default action).
 * So the handlers stay installed until the process ends; a repeat within REPEAT_GRACE_MS is the same
 * request, and only a signal after that, while the shutdown is still running, forces the exit, after
 * the caller's `force` has saved what can be saved synchronously.
 *
 * `render` uses StopSignals instead: a flag its synchronous render polls between chunks of work, so it
 * can remove its temp file and stop with one line; a second signal exits at once.
 */
import { constants } from 'node:os';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** Repeats closer than this to the first signal are duplicates of it, not a demand to force. */
export const REPEAT_GRACE_MS = 2000;

/** Exit status of a process ended by `signal` (128 + its number, as a shell reports it). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 15);
}

export class StopRequest {
  /** The first stop signal received, if any. */
  signal: StopSignal | undefined;
  private firstAt = 0;
  private wake: (() => void) | undefined;
  private readonly handlers = new Map<StopSignal, () => void>();
  /** Resolves at the first stop signal. */
  readonly received: Promise<void>;

  /** @param force called on a repeated signal after the grace time: save what can be saved, then exit. */
  constructor(private readonly force: (signal: StopSignal) => void) {
    this.received = new Promise((resolve) => (this.wake = resolve));
    for (const sig of STOP_SIGNALS) {
      const h = () => this.on(sig);
      this.handlers.set(sig, h);
      process.on(sig, h);
    }
  }

  private on(sig: StopSignal): void {
    if (this.signal === undefined) {
      this.signal = sig;
      this.firstAt = Date.now();
      this.wake?.();
      return;
    }
    if (Date.now() - this.firstAt < REPEAT_GRACE_MS) return;
    this.force(sig);
  }

  /** Removes the handlers (when the command is completely done). */
  dispose(): void {
    for (const [sig, h] of this.handlers) process.off(sig, h);
    this.handlers.clear();
  }
}

/** SIGINT, SIGTERM and SIGHUP as a flag a long synchronous job (a render) polls between chunks. */
/** Thrown by `check` once a stop signal has arrived; exit code 128 + the signal's number. */
export class StoppedBySignal extends Error {
  readonly exitCode: number;
  constructor(readonly signal: NodeJS.Signals, detail: string) {
    super(`stopped by ${signal}${detail ? `: ${detail}` : ''}`);
    this.exitCode = signalExitCode(signal);
  }
}

export class StopSignals {
  private received: NodeJS.Signals | undefined;
  private readonly onSignal = (sig: NodeJS.Signals) => {
    if (this.received) process.exit(signalExitCode(sig));
    this.received = sig;
  };

  constructor() {
    for (const s of STOP_SIGNALS) process.on(s, this.onSignal);
  }

  /** Lets pending signals in (one turn of the event loop), then throws if one arrived. */
  async check(detail = ''): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.received) throw new StoppedBySignal(this.received, detail);
  }

  dispose(): void {
    for (const s of STOP_SIGNALS) process.off(s, this.onSignal);
  }
}
