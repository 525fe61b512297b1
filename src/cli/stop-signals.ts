/**
 * SIGINT, SIGTERM and SIGHUP as a flag a long synchronous job polls between chunks of work (a
 * render), so it can clean up (remove its temp file) and stop with one line instead of dying midway.
 * A second signal exits at once. Control thread only.
 */
import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Thrown by `check` once a stop signal has arrived; exit code 128 + the signal's number. */
export class StoppedBySignal extends Error {
  readonly exitCode: number;
  constructor(readonly signal: NodeJS.Signals, detail: string) {
    super(`stopped by ${signal}${detail ? `: ${detail}` : ''}`);
    this.exitCode = 128 + (constants.signals[signal] ?? 0);
  }
}

export class StopSignals {
  private received: NodeJS.Signals | undefined;
  private readonly onSignal = (sig: NodeJS.Signals) => {
    if (this.received) process.exit(128 + (constants.signals[sig] ?? 0));
    this.received = sig;
  };

  constructor() {
    for (const s of SIGNALS) process.on(s, this.onSignal);
  }

  /** Lets pending signals in (one turn of the event loop), then throws if one arrived. */
  async check(detail = ''): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.received) throw new StoppedBySignal(this.received, detail);
  }

  dispose(): void {
    for (const s of SIGNALS) process.off(s, this.onSignal);
  }
}
