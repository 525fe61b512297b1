/**
 * Entry point of the watchdog thread: the hang detector.
 *
 * Every millisecond it reads each DSP worker's heartbeat (WorkerWord.Running and Beat, stored around
 * every module call). A worker found inside the same `process` call for Ctrl.HangMs ms, having used at
 * least HANG_CPU_SHARE of a CPU since it was first seen there (it spins: a thread kept off the CPU is
 * stalled, not hung, until STALL_LIMIT_MS), is declared dead:
 * all its modules go down at once (outputs zeroed, waiters woken; realtime/faults.ts), so the rest of
 * the patch goes on at once, and the thread is moved to SCHED_OTHER so its endless loop cannot hold a
 * core that real-time threads need. The supervisor (control thread) then replaces it.
 *
 * Why a thread of its own: under `play` every engine thread is SCHED_FIFO 5, and a FIFO thread that
 * never blocks keeps its core. On a 2-core machine a hung worker plus the device thread (which polls
 * hard while it is behind) leave no core for any other FIFO 5 thread, the hang detector included if it
 * lived in a worker or on the control thread (measured: the engine froze in about half the runs). The
 * watchdog runs one step above the workers (FIFO 6), sleeps in Atomics.wait between checks, and so
 * always gets the CPU it needs (microseconds per check).
 *
 * Messages (control plane only): `watch` (a new plan, arena and worker thread ids), `quit`.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { RenderPlan } from '../engine/compile';
import { arenaViews, Ctrl, WorkerWord, type ArenaLayout } from '../memory/layout';
import { currentTid, setThreadPriority } from '../engine/thread-policy';
import { FaultTable } from './faults';
import { ThreadCpu } from './thread-cpu';

export interface WatchdogInit {
  /** Wake word: bumped by the control thread when it posts a message. */
  mailbox: SharedArrayBuffer;
}

export type ToWatchdog =
  | { type: 'watch'; sab: SharedArrayBuffer; layout: ArenaLayout; plan: RenderPlan; tids: number[] }
  | { type: 'quit' };

export type FromWatchdog = { type: 'ready'; tid: number } | { type: 'hung'; worker: number; block: number; demoted: boolean };

/** Milliseconds between heartbeat checks. */
export const CHECK_MS = 1;
/** Seconds of played audio before the watchdog is armed. */
export const GRACE_S = 1;
/**
 * Share of the CPU a worker stuck in one call must have used over the last half budget to be hung. A
 * thread kept off the CPU (waiting in the kernel on a lock or a page fault while another thread maps or
 * frees memory, or preempted) is stalled, not hung: seen in CI, a healthy worker held 5 ms while a
 * replaced worker's isolate was torn down, declared hung, and the replacement cascaded.
 */
export const HANG_CPU_SHARE = 0.5;
/** A worker stuck in one call this long is hung whatever its CPU use (ms; at least 20 budgets). */
export const STALL_LIMIT_MS = 100;

function main(): void {
  const { mailbox } = workerData as WatchdogInit;
  const port = parentPort!;
  const wake = new Int32Array(mailbox);
  port.postMessage({ type: 'ready', tid: currentTid() } satisfies FromWatchdog);
  let table: FaultTable | undefined;
  let words: Int32Array | undefined;
  let ctrl: Int32Array | undefined;
  let tids: number[] = [];
  let workers = 0;
  let grace = 0;
  // Last heartbeat seen per worker, and since when (ms).
  let running = new Int32Array(0), beat = new Int32Array(0), since = new Float64Array(0);
  // Per worker: its CPU-time reader, and the start (ms, NaN: none) and CPU time (ns) of the window
  // over which a suspect worker's CPU share is measured.
  let cpu: (ThreadCpu | undefined)[] = [];
  let windowAt = new Float64Array(0), windowCpu = new Float64Array(0);
  let seen = Atomics.load(wake, 0);
  for (;;) {
    for (let msg = receiveMessageOnPort(port); msg; msg = receiveMessageOnPort(port)) {
      const m = msg.message as ToWatchdog;
      if (m.type === 'quit') return;
      const views = arenaViews(m.sab, m.layout);
      table = new FaultTable(m.plan, views.buffers, views.health, views.ctrl, views.workerWords, views.stamps);
      words = views.workerWords;
      ctrl = views.ctrl;
      tids = m.tids;
      workers = m.plan.workers;
      grace = Math.round(GRACE_S * m.plan.sampleRate);
      running = new Int32Array(workers).fill(-1);
      beat = new Int32Array(workers);
      since = new Float64Array(workers);
      for (const c of cpu) c?.close();
      cpu = tids.slice(0, workers).map((tid) => ThreadCpu.open(tid));
      windowAt = new Float64Array(workers).fill(NaN);
      windowCpu = new Float64Array(workers);
    }
    // Armed once the device has played the grace period: start-up (JIT tier-up of the first blocks, a
    // loaded machine) once kept a healthy worker in one call past the budget (a false hang in CI).
    if (table && words && ctrl && Atomics.load(ctrl, Ctrl.SinkFrames) >= grace) {
      const now = performance.now();
      const budget = Atomics.load(ctrl, Ctrl.HangMs);
      for (let w = 0; w < workers; w++) {
        const base = w * WorkerWord.Count;
        if (Atomics.load(words, base + WorkerWord.Dead) !== 0) continue;
        const r = Atomics.load(words, base + WorkerWord.Running), b = Atomics.load(words, base + WorkerWord.Beat);
        if (r < 0 || r !== running[w] || b !== beat[w]) {
          running[w] = r;
          beat[w] = b;
          since[w] = now;
          // Caught inside a call: its CPU time from here tells spinning from waiting, should the call
          // last (one read per call caught; most checks find a worker between calls, r < 0).
          windowAt[w] = now;
          windowCpu[w] = r >= 0 ? cpu[w]?.nanos() ?? NaN : NaN;
          continue;
        }
        const stuck = now - since[w];
        if (stuck < budget || now - windowAt[w] < budget / 2) continue;
        const used = cpu[w]?.nanos() ?? NaN;
        const share = (used - windowCpu[w]) / 1e6 / (now - windowAt[w]);
        // Hung: it spun through the window (or its CPU time is unknown: wall time alone decides), or
        // it has been stuck past the stall limit. Else it was kept off the CPU: watch the next window.
        if (share < HANG_CPU_SHARE && stuck < Math.max(STALL_LIMIT_MS, 20 * budget)) {
          windowAt[w] = now;
          windowCpu[w] = used;
        } else {
          const block = Atomics.load(ctrl, Ctrl.RingWritten);
          if (table.markWorkerDead(w, block)) {
            const demoted = setThreadPriority(tids[w] ?? -1, 0);
            port.postMessage({ type: 'hung', worker: w, block, demoted } satisfies FromWatchdog);
          }
        }
      }
    }
    Atomics.wait(wake, 0, seen, CHECK_MS);
    seen = Atomics.load(wake, 0);
  }
}

main();
