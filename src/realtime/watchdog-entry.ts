/**
 * Entry point of the watchdog thread: the hang detector.
 *
 * Every millisecond it reads each DSP worker's heartbeat (WorkerWord.Running and Beat, stored around
 * every module call) while a worker is inside a call or has a block it may start (idle engines: see
 * "Sleeping" below). A worker found inside the same `process` call, not seen waiting in the kernel
 * for Ctrl.HangMs ms and using at least half a CPU meanwhile (it spins; a thread sleeping on a lock or
 * kept off its core is stalled, not hung, until STALL_LIMIT_MS), is declared dead:
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
 * Sleeping. When every worker is waiting (none inside a call) and the output ring is full, no worker
 * can start a module before the device frees a slot, and the device notifies Ctrl.RingRead as it does
 * (memory/output-ring.ts). Then the watchdog sleeps on that word instead of its 1 ms tick (at most
 * IDLE_CHECK_SHARE of the hang budget, which also bounds how late it sees a message), so an idle
 * engine costs it about two wake-ups per block (the device's notify, then one tick while the block is
 * rendered) instead of one per millisecond. A call that begins while it sleeps on RingRead can only be
 * one started in the instant between a worker's ring publication and its next module; it is seen at the
 * next slot the device frees (one block later) at the latest.
 *
 * Messages (control plane only, realtime/messages.ts): `watch` (a new plan, arena and worker thread
 * ids), `quit`; the port is read only when the control thread bumped the wake word (it does after
 * each post).
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { arenaViews, Ctrl, WorkerWord } from '../memory/layout';
import { ringAhead, writtenBlocks } from '../memory/output-ring';
import { currentTid } from '../threads/thread-policy';
import { PriorityPipe } from '../threads/priority-helper';
import { FaultTable } from './faults';
import { ThreadState } from '../threads/thread-state';
import type { FromWatchdog, ToWatchdog, WatchdogInit } from './messages';

/** Milliseconds between heartbeat checks. */
export const CHECK_MS = 1;
/** Longest sleep on Ctrl.RingRead while the engine is idle, as a share of the hang budget. */
export const IDLE_CHECK_SHARE = 0.5;
/** Seconds of played audio before the watchdog is armed. */
export const GRACE_S = 1;
/**
 * A worker stuck in one call this long is hung whatever its state (ms; at least 20 budgets). Before
 * that, one waiting in the kernel (on a lock, or a page fault) or runnable but kept off its core is
 * stalled, not hung (docs/faults.md: CI saw healthy workers declared hung, and replacements cascade).
 */
export const STALL_LIMIT_MS = 100;
/** A worker stuck in one call using less than this share of a CPU is runnable but kept off its core. */
export const HANG_CPU_SHARE = 0.5;

function main(): void {
  const { mailbox, priorityPipe } = workerData as WatchdogInit;
  let pipe: PriorityPipe | undefined;
  try {
    pipe = priorityPipe ? new PriorityPipe(priorityPipe) : undefined;
  } catch {
    pipe = undefined; // no demotion: the hung thread keeps its policy until it is terminated
  }
  const port = parentPort!;
  const wake = new Int32Array(mailbox);
  port.postMessage({ type: 'ready', tid: currentTid() } satisfies FromWatchdog);
  let table: FaultTable | undefined;
  let words: Int32Array | undefined;
  let ctrl: Int32Array | undefined;
  let tids: number[] = [];
  let workers = 0;
  let grace = 0;
  let armed = false; // latched: SinkFrames is kept modulo 2³¹ and reads small again after 12.4 h
  // Last heartbeat seen per worker, and since when (ms).
  let running = new Int32Array(0), beat = new Int32Array(0), since = new Float64Array(0);
  // Per worker: its scheduler-state reader, and since when (ms) it has not been seen waiting.
  let state: (ThreadState | undefined)[] = [];
  let spinning = new Float64Array(0);
  // Per worker: since when (ms, NaN: not measuring) and from what CPU time (ns) its CPU use is measured.
  let cpuAt = new Float64Array(0), cpuNs = new Float64Array(0);
  let ringBlocks = 0;
  let drained = -1;
  for (;;) {
    const seen = Atomics.load(wake, 0);
    // The port only when something was posted since the last look (the control thread posts, then
    // bumps the wake word): receiving costs a lock and a call per check otherwise.
    for (let msg = seen !== drained ? receiveMessageOnPort(port) : undefined; msg; msg = receiveMessageOnPort(port)) {
      const m = msg.message as ToWatchdog;
      if (m.type === 'quit') {
        pipe?.close();
        return;
      }
      const views = arenaViews(m.sab, m.layout);
      table = new FaultTable(m.plan, views.buffers, views.health, views.ctrl, views.workerWords, views.stamps);
      words = views.workerWords;
      ctrl = views.ctrl;
      tids = m.tids;
      workers = m.plan.workers;
      ringBlocks = m.layout.ringBlocks;
      grace = Math.round(GRACE_S * m.plan.sampleRate);
      armed = false;
      running = new Int32Array(workers).fill(-1);
      beat = new Int32Array(workers);
      since = new Float64Array(workers);
      for (const t of state) t?.close();
      state = tids.slice(0, workers).map((tid) => ThreadState.open(tid));
      spinning = new Float64Array(workers);
      cpuAt = new Float64Array(workers).fill(NaN);
      cpuNs = new Float64Array(workers);
    }
    // Armed once the device has played the grace period: start-up (JIT tier-up of the first blocks, a
    // loaded machine) once kept a healthy worker in one call past the budget (a false hang in CI).
    drained = seen;
    // Idle (see "Sleeping"): every worker waits and the ring is full. RingRead is read first, so a slot
    // freed meanwhile ends the sleep at once.
    let idle = false, read = 0;
    if (ctrl && !armed) armed = Atomics.load(ctrl, Ctrl.SinkFrames) >= grace;
    if (table && words && ctrl && armed) {
      read = Atomics.load(ctrl, Ctrl.RingRead);
      idle = ringAhead(Atomics.load(ctrl, Ctrl.RingWritten), read) >= ringBlocks;
      const now = performance.now();
      const budget = Atomics.load(ctrl, Ctrl.HangMs);
      for (let w = 0; w < workers; w++) {
        const base = w * WorkerWord.Count;
        if (Atomics.load(words, base + WorkerWord.Dead) !== 0) continue;
        const r = Atomics.load(words, base + WorkerWord.Running), b = Atomics.load(words, base + WorkerWord.Beat);
        if (r >= 0) idle = false;
        if (r < 0 || r !== running[w] || b !== beat[w]) {
          running[w] = r;
          beat[w] = b;
          since[w] = spinning[w] = now;
          cpuAt[w] = NaN;
          continue;
        }
        // From half the budget on, its state is read at every check: time it spends waiting in the
        // kernel does not count (the clock restarts), so it must spin for a whole budget to be hung (a
        // stall that ends is not taken for a hang in the microseconds it runs before returning).
        const stuck = now - since[w], limit = Math.max(STALL_LIMIT_MS, 20 * budget);
        if (stuck < budget / 2) continue;
        if (stuck < limit && state[w]?.waiting() === true) {
          spinning[w] = now;
          cpuAt[w] = NaN;
          continue;
        }
        // Not waiting: measure its CPU use from here, to tell spinning from runnable-but-kept-off.
        if (cpuAt[w] !== cpuAt[w]) {
          cpuAt[w] = now;
          cpuNs[w] = state[w]?.cpuNanos() ?? NaN;
        }
        if (stuck < limit) {
          if (now - spinning[w] < budget || now - cpuAt[w] < budget / 4) continue;
          const used = state[w]?.cpuNanos() ?? NaN;
          // Less than half a CPU: runnable but kept off its core (preempted), not its fault.
          if ((used - cpuNs[w]) / 1e6 < HANG_CPU_SHARE * (now - cpuAt[w])) {
            cpuAt[w] = now;
            cpuNs[w] = used;
            continue;
          }
        }
        const block = writtenBlocks(ctrl);
        if (table.markWorkerDead(w, block)) {
          const demoted = pipe?.send(tids[w] ?? -1, 0) ?? false;
          const threadState = state[w]?.state() || 'unknown';
          const why = `${stuck.toFixed(1)} ms in one call, running for ${(now - spinning[w]).toFixed(1)} ms (thread state ${threadState})`;
          port.postMessage({ type: 'hung', worker: w, block, demoted, why } satisfies FromWatchdog);
        }
      }
    }
    if (idle && ctrl) Atomics.wait(ctrl, Ctrl.RingRead, read, Math.max(CHECK_MS, IDLE_CHECK_SHARE * Atomics.load(ctrl, Ctrl.HangMs)));
    else Atomics.wait(wake, 0, seen, CHECK_MS);
  }
}

main();
