/**
 * What the supervisor (supervisor.ts) reports and how it decides to give up on a module: its events
 * and status, its options, the crash-loop policy, and the ledger of what it has seen (FaultLedger).
 * Control thread; nothing here touches shared memory.
 */
import { FAULT_NAMES, FaultKind, type FaultName } from '../memory/health';
import type { RenderPlan } from '../plan/compile';
import type { Arena } from './arena';
import type { WorkerPool } from './pool';

/** What the supervisor watches and drives: the engine's worker backend gives it these. */
export interface SupervisorHost {
  /** The plan playing, and the arena it plays in. */
  readonly plan: RenderPlan | undefined;
  readonly arena: Arena | undefined;
  readonly pool: WorkerPool;
  /** Points the watchdog at the current workers (after a replacement). */
  rewatch(): void;
  /** What the watchdog saw when it declared worker w hung (taken once), if it did. */
  hangReport?(w: number): string | undefined;
}

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

/** A module down now: the block it went down in and when the supervisor saw it (ms). */
interface Down {
  block: number;
  detectedAt: number;
}

/**
 * What the supervisor has seen, by module id: the counts, the modules down and disabled, each
 * module's crash-loop history, and the listeners every event goes to. It decides nothing about
 * threads or shared memory (the supervisor does); each method reports its event. Control thread.
 */
export class FaultLedger {
  faults = 0;
  restarts = 0;
  workersReplaced = 0;
  /** Disabled module ids and the kind of their last fault. */
  readonly disabled = new Map<string, FaultName>();
  /** Down modules by id, until they are back. */
  private readonly downs = new Map<string, Down>();
  private readonly crashes: CrashLoop;
  private readonly listeners: ((e: FaultEvent) => void)[] = [];

  constructor(readonly options: SupervisorOptions) {
    this.crashes = new CrashLoop(options);
  }

  onEvent(listener: (e: FaultEvent) => void): void {
    this.listeners.push(listener);
  }

  emit(e: FaultEvent): void {
    for (const l of this.listeners) l(e);
  }

  status(): FaultStatus {
    return { faults: this.faults, restarts: this.restarts, workersReplaced: this.workersReplaced, down: [...this.downs.keys()], disabled: [...this.disabled.keys()] };
  }

  /**
   * Counts and reports a fault of module `id` in `block` (seen at `now`, ms); returns false when the
   * module is now disabled (not to be restarted). A collateral loss (FaultKind.Lost) is reported but
   * not held against the module.
   */
  fault(id: string, kind: FaultKind, block: number, now: number, detail?: string): boolean {
    const name = FAULT_NAMES[kind] ?? 'throw';
    this.faults++;
    this.downs.set(id, { block, detectedAt: now });
    this.emit({ type: 'fault', id, kind: name, block, ...(detail ? { detail } : {}) });
    if (kind === FaultKind.Lost) return true;
    const faults = this.crashes.count(id, now);
    if (faults === 0) return true;
    this.disabled.set(id, name);
    this.emit({ type: 'disabled', id, kind: name, faults, windowS: this.options.windowS });
    return false;
  }

  /** Module `id` plays again from `block`: counted and reported with how long it was down. */
  back(id: string, block: number, replacedWorker: boolean): void {
    const d = this.downs.get(id);
    this.downs.delete(id);
    this.restarts++;
    this.emit({ type: 'restarted', id, block, downBlocks: d ? block - d.block : 0, ms: d ? performance.now() - d.detectedAt : 0, replacedWorker });
  }

  /** True while module `id` is down from a fault (until `back`, or a new plan without it). */
  isDown(id: string): boolean {
    return this.downs.has(id);
  }

  /** A new plan has fresh health words: only the disabled modules are still down. */
  newPlan(): void {
    for (const id of [...this.downs.keys()]) if (!this.disabled.has(id)) this.downs.delete(id);
  }

  /**
   * Module `id` starts with a clean fault history, and comes back if it was disabled (reported
   * `enabled`); returns whether it was.
   */
  forgive(id: string): boolean {
    this.crashes.forget(id);
    if (!this.disabled.delete(id)) return false;
    this.emit({ type: 'enabled', id });
    return true;
  }
}
