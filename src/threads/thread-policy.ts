/**
 * Scheduling policy of engine threads under `play`'s SCHED_FIFO (threads/realtime-launch.ts).
 *
 * Every thread inherits FIFO 5 from the process, and DSP workers stay there (isolated ones too: one
 * step lower, FIFO 4, was measured at 76 underruns in 6 s against 0, because that worker sits on the
 * output's critical path and FIFO 5 threads kept it from running). Three exceptions:
 *   - once the device plays, the control thread and the threads that existed before the engine started
 *     (V8's platform workers: garbage collection and compiles; Node's own) drop to FIFO 4
 *     (CONTROL_PRIORITY, lowerControlThreads): still above every normal-priority process, but no longer
 *     able to keep an audio thread off a core. Measured with the browser rack (ftrace, bench/rack.ts):
 *     at FIFO 5 the control thread serving two browsers (page load, WebSocket traffic, its garbage
 *     collections with the V8 workers helping) held both cores for 13-45 ms at a time while a DSP worker
 *     and the device thread waited, runnable, behind it (equal FIFO priorities never preempt);
 *   - the watchdog thread runs at FIFO 6, so it can always pre-empt a hung worker
 *     (realtime/watchdog-entry.ts), and moves a hung worker to SCHED_OTHER;
 *   - a spare warmed while audio plays demotes itself to SCHED_OTHER for its ~400 ms of JIT warm-up,
 *     and is set back to FIFO 5 when it replaces a worker.
 * Control thread only. While a priority helper runs (threads/priority-helper.ts, started by the engine
 * under SCHED_FIFO before audio) changes go through it; otherwise `chrt` is spawned, which forks this
 * process (copy-on-write page faults in every thread: only before audio plays).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { setPriority } from 'node:os';
import { chrtArgs, PriorityHelper } from './priority-helper';

let helper: PriorityHelper | undefined;
let helperStarting: Promise<PriorityHelper | undefined> | undefined;
let helperUsers = 0;

/** Set by `expectRealtime`: the process will be raised to SCHED_FIFO before audio (realtime-launch.ts). */
let raisePending = false;

/**
 * Says that this process, at SCHED_OTHER now, will be raised to SCHED_FIFO before its audio starts
 * (threads/realtime-launch.ts): engines started meanwhile start the priority helper as if it ran under
 * SCHED_FIFO already (their watchdog takes its own priority through it). Control thread, at start.
 */
export function expectRealtime(): void {
  raisePending = true;
}

/**
 * Starts the process's priority helper if this process runs under SCHED_FIFO, or will
 * (expectRealtime; once; counted, so that every engine that asked may release it). Control thread,
 * before audio.
 */
export async function acquirePriorityHelper(): Promise<PriorityHelper | undefined> {
  if (!processIsRealtime() && !raisePending) return undefined;
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
/** The control thread and the non-audio helper threads, once the device plays (lowerControlThreads). */
export const CONTROL_PRIORITY = WORKER_PRIORITY - 1;

/** The control thread's FIFO priority now: WORKER_PRIORITY until lowerControlThreads ran. */
let controlPriority = WORKER_PRIORITY;
export function controlThreadPriority(): number {
  return controlPriority;
}

/** The Linux tids of this process's threads now ([] where /proc is not there). */
export function processThreads(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number).filter((t) => t > 0);
  } catch {
    return [];
  }
}

/**
 * Drops `tids` (the threads that existed before the engine started: the control thread, V8's platform
 * workers, Node's own; see processThreads) and the control thread to FIFO CONTROL_PRIORITY, below the
 * audio threads (DSP workers, the device's threads, the watchdog), which must already exist: threads
 * inherit their creator's policy, so the device is opened first. Threads the control thread creates
 * later inherit FIFO 4 (libuv's pool; a spare warmed in the background is raised to WORKER_PRIORITY
 * when it takes over, see engine/pool.ts). Only under SCHED_FIFO, and only through the priority helper
 * the engine started (never a fork while audio plays: without a helper nothing changes); resolves with
 * how many threads were moved. Control thread.
 */
export async function lowerControlThreads(tids: readonly number[]): Promise<number> {
  const h = processIsRealtime() ? (helper ?? (await helperStarting)) : undefined;
  if (!h) return 0;
  const all = [...new Set([currentTid(), ...tids])];
  const done = await Promise.all(all.map((t) => h.set(t, CONTROL_PRIORITY)));
  if (done[0]) controlPriority = CONTROL_PRIORITY;
  return done.filter(Boolean).length;
}
/**
 * Raises every thread of this process that runs at SCHED_OTHER to FIFO WORKER_PRIORITY (threads at a
 * real-time policy already, the watchdog's FIFO 6, stay as they are), through the priority helper when
 * it runs, else with chrt (a fork: before audio only). Threads created afterwards inherit FIFO from
 * their creator. Resolves with how many threads could not be raised. Control thread, before audio.
 */
export async function raiseProcessThreads(): Promise<number> {
  const h = helper ?? (await helperStarting);
  const normal = processThreads().filter((t) => threadPolicy(t) === 0);
  const done = await Promise.all(normal.map((t) => (h ? h.set(t, WORKER_PRIORITY) : setThreadPriorityAsync(t, WORKER_PRIORITY))));
  raisePending = false;
  return done.filter((ok) => !ok).length;
}

/** A thread's scheduling policy (0 SCHED_OTHER, 1 FIFO, 2 RR, …; -1: gone or unreadable). */
export function threadPolicy(tid: number): number {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[41 - 3]);
  } catch {
    return -1;
  }
}

/** The nice value of the device's threads where the process stays at SCHED_OTHER (favourDeviceThreads). */
export const DEVICE_NICE = -10;

/**
 * Where the process stays at SCHED_OTHER (through a Pulse server: realtime-launch.ts
 * declineRealtimeForPulse), gives `tids` (the device's threads, created by opening it) nice
 * DEVICE_NICE, so that the engine's own start-up and shutdown work on the control thread, V8's helpers
 * and the workers, all at nice 0, do not keep them from the server for a buffer's length. A Pulse
 * server's main thread runs at nice −11 the same way. Best effort: lowering a nice value needs
 * CAP_SYS_NICE or an RLIMIT_NICE grant, and without it nothing changes. No fork (setpriority on each
 * tid). Returns how many threads were changed. Control thread, once the device plays.
 */
export function favourDeviceThreads(tids: readonly number[]): number {
  let done = 0;
  for (const t of tids) {
    try {
      setPriority(t, DEVICE_NICE);
      done++;
    } catch {
      // not permitted, or the thread is gone
    }
  }
  return done;
}

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
 * creator's policy), then restores the control thread's priority (controlThreadPriority()). Creations are serialized: two at once could
 * otherwise interleave so that one thread is created after the other restored FIFO. Control thread.
 */
export function createDemoted<T>(make: () => T): Promise<T> {
  const run = creating.then(async () => {
    const demote = processIsRealtime();
    if (demote) await setThreadPriorityAsync(currentTid(), 0);
    try {
      return make();
    } finally {
      if (demote) await setThreadPriorityAsync(currentTid(), controlThreadPriority());
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
