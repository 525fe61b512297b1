/**
 * Entry point of the watchdog thread: the hang detector.
 *
 * Every millisecond it reads each DSP worker's heartbeat (WorkerWord.Running and Beat, stored around
 * every module call). A worker found inside the same `process` call for Ctrl.HangMs ms is declared dead:
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
        } else if (now - since[w] >= budget) {
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
