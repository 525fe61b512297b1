/**
 * Scheduling policy of engine threads under `play`'s SCHED_FIFO (threads/realtime-launch.ts).
 *
 * Every thread inherits FIFO 5 from the process, and DSP workers stay there (isolated ones too: one
 * step lower, FIFO 4, was measured at 76 underruns in 6 s against 0, because that worker sits on the
 * output's critical path and FIFO 5 threads kept it from running). Two exceptions:
 *   - the watchdog thread runs at FIFO 6, so it can always pre-empt a hung worker
 *     (realtime/watchdog-entry.ts), and moves a hung worker to SCHED_OTHER;
 *   - a spare warmed while audio plays demotes itself to SCHED_OTHER for its ~400 ms of JIT warm-up,
 *     and is set back to FIFO 5 when it replaces a worker.
 * Control thread only. While a priority helper runs (threads/priority-helper.ts, started by the engine
 * under SCHED_FIFO before audio) changes go through it; otherwise `chrt` is spawned, which forks this
 * process (copy-on-write page faults in every thread: only before audio plays).
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { chrtArgs, PriorityHelper } from './priority-helper';

let helper: PriorityHelper | undefined;
let helperStarting: Promise<PriorityHelper | undefined> | undefined;
let helperUsers = 0;

/**
 * Starts the process's priority helper if this process runs under SCHED_FIFO (once; counted, so that
 * every engine that asked may release it). Control thread, before audio.
 */
export async function acquirePriorityHelper(): Promise<PriorityHelper | undefined> {
  if (!processIsRealtime()) return undefined;
  helperUsers++;
  helperStarting ??= PriorityHelper.start().then((h) => (helper = h));
  return helperStarting;
}

/** Stops the helper when the last engine that acquired it lets go. */
export function releasePriorityHelper(): void {
  if (helperUsers === 0) return;
  if (--helperUsers === 0) {
    helper?.close();
    helper = undefined;
    helperStarting = undefined;
  }
}

/** SCHED_FIFO (1) or SCHED_RR (2) for this process's main thread (Linux; false elsewhere). */
export function processIsRealtime(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const policy = Number(fields[41 - 3]); // field 41 of proc(5), counted from 1, after pid and comm
    return policy === 1 || policy === 2;
  } catch {
    return false;
  }
}

/** FIFO priority of DSP workers (the process's, set by `play`). */
export const WORKER_PRIORITY = 5;
/** The watchdog thread runs above the workers (see realtime/watchdog-entry.ts). */
export const WATCHDOG_PRIORITY = WORKER_PRIORITY + 1;

/**
 * Sets a thread (Linux tid) to SCHED_FIFO at `priority`, or SCHED_OTHER for 0; resolves false when chrt
 * refuses. Through the helper when it runs, else by spawning chrt (a fork: before audio only).
 */
export function setThreadPriorityAsync(tid: number, priority: number): Promise<boolean> {
  if (tid <= 0) return Promise.resolve(false);
  if (helper) return helper.set(tid, priority);
  return new Promise((resolve) => execFile('chrt', chrtArgs(tid, priority), (err) => resolve(!err)));
}

let creating: Promise<unknown> = Promise.resolve();

/**
 * Runs `make` (which creates a thread, e.g. `new Worker`) with this (main) thread at SCHED_OTHER when the
 * process runs under SCHED_FIFO, so the new thread starts at SCHED_OTHER (threads inherit their
 * creator's policy), then restores WORKER_PRIORITY. Creations are serialized: two at once could
 * otherwise interleave so that one thread is created after the other restored FIFO. Control thread.
 */
export function createDemoted<T>(make: () => T): Promise<T> {
  const run = creating.then(async () => {
    const demote = processIsRealtime();
    if (demote) await setThreadPriorityAsync(currentTid(), 0);
    try {
      return make();
    } finally {
      if (demote) await setThreadPriorityAsync(currentTid(), WORKER_PRIORITY);
    }
  });
  creating = run.catch(() => undefined);
  return run;
}

/** This thread's Linux tid (from /proc/thread-self), or -1. */
export function currentTid(): number {
  try {
    return Number(/task\/(\d+)/.exec(readlinkSync('/proc/thread-self'))?.[1] ?? -1);
  } catch {
    return -1;
  }
}
