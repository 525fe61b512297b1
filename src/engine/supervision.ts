/**
 * What the supervisor (supervisor.ts) reports and how it decides to give up on a module: its events
 * and status, its options, and the crash-loop policy. Control thread; nothing here touches shared
 * memory.
 */
import type { FaultName } from '../memory/health';

export interface SupervisorOptions {
  /** Faults within `windowS` after which a module stays disabled (default 3). */
  maxFaults: number;
  /** Seconds (default 10). */
  windowS: number;
}

export type FaultEvent =
  | { type: 'fault'; id: string; kind: FaultName; block: number; detail?: string }
  /** Back up: playing again from `block`; `downBlocks` blocks were silent; `ms` from detection. */
  | { type: 'restarted'; id: string; block: number; downBlocks: number; ms: number; replacedWorker: boolean }
  | { type: 'disabled'; id: string; kind: FaultName; faults: number; windowS: number }
  | { type: 'enabled'; id: string }
  | { type: 'error'; message: string };

export interface FaultStatus {
  faults: number;
  restarts: number;
  workersReplaced: number;
  /** Modules down now (waiting for a restart, or disabled). */
  down: string[];
  disabled: string[];
}

/**
 * The crash-loop policy: a module with `maxFaults` faults within `windowS` seconds stays disabled.
 * Counts each module's own faults (collateral losses are not counted: the supervisor does not call it
 * for them).
 */
export class CrashLoop {
  private readonly history = new Map<string, number[]>();

  constructor(private readonly options: SupervisorOptions) {}

  /** Counts a fault of module `id` at `now` (ms); returns 0 to restart it, or the faults in the window when it is to be disabled. */
  count(id: string, now: number): number {
    const times = (this.history.get(id) ?? []).filter((t) => now - t < this.options.windowS * 1000);
    times.push(now);
    this.history.set(id, times);
    return times.length < this.options.maxFaults ? 0 : times.length;
  }

  /** Forgets module `id`'s faults (it was enabled again). */
  forget(id: string): void {
    this.history.delete(id);
  }
}
