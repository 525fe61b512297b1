/**
 * Entry point of a DSP worker thread (pre-warmed: module code loaded and JIT-warm before it is used).
 *
 * The thread never returns to its event loop while the engine lives: it sleeps on the pool's wake word
 * (Atomics.wait), reads control messages synchronously with receiveMessageOnPort when woken, and runs
 * blocks when a run is armed. Messages are control-plane only (load a plan, report, quit); no audio and
 * nothing per block travels by message. The messages: realtime/messages.ts.
 */
import { receiveMessageOnPort, threadId, workerData } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import { Ctrl } from '../memory/layout';
import { isMark, loadMark } from '../memory/block-word';
import { BlockLoop } from './block-loop';
import { warmPlan, warmUp } from './warmup';
import { currentTid } from '../threads/thread-policy';
import { installUserModules } from '../user-modules/install';
import type { FromWorker, ToWorker, WorkerInit } from './messages';

function main(): void {
  const { mailbox, port, warm, userModules } = workerData as WorkerInit;
  const wake = new Int32Array(mailbox);
  installUserModules(userModules ?? []);
  const warmMs = warm ? warmUp() : 0;
  port.postMessage({ type: 'ready', threadId, tid: currentTid(), warmMs } satisfies FromWorker);

  let loop: BlockLoop | undefined;
  let sab: SharedArrayBuffer | undefined;
  let gen = -1; // run generation last served
  let next = 0; // next block to run in the current generation
  let resume = false; // a run stopped at a swap block and goes on with the new plan
  let deferred: Extract<ToWorker, { type: 'swap' }> | undefined; // a swap armed for a later block
  // Stopped at the published swap block (SwapAt) before its plan arrived: wait for it, never run the
  // block on the old plan (WorkerBackend.swap publishes SwapAt before posting the plan).
  let holding = false;
  let seen = Atomics.load(wake, 0);
  const swapNow = (m: Extract<ToWorker, { type: 'swap' }>) => {
    // Kernels of modules that stay (same id and type) keep their state; so do pending param records.
    // A module that is down gets a fresh kernel (the swap restarts it).
    const carry = new Map((loop?.runner.modules ?? []).filter((_, i) => loop!.runner.isUp(i)).map((rm) => [rm.id, rm]));
    const old = loop;
    loop = new BlockLoop(m.plan, sab!, m.layout, m.worker, carry, m.atBlock, old?.ownerId);
    if (old) loop.carryPending(old);
    const kept = loop.runner.modules.filter((rm) => carry.get(rm.id)?.kernels[0] === rm.kernels[0]).length;
    port.postMessage({ type: 'swapped', atBlock: next, kept, created: loop.runner.modules.length - kept } satisfies FromWorker);
  };
  for (;;) {
    for (let msg = receiveMessageOnPort(port); msg; msg = receiveMessageOnPort(port)) {
      const m = msg.message as ToWorker;
      try {
        if (m.type === 'quit') return;
        if (m.type === 'load') {
          const t0 = performance.now();
          if (m.warmBlocks > 0) warmPlan(m.plan, m.warmBlocks);
          sab = m.sab;
          loop = new BlockLoop(m.plan, m.sab, m.layout, m.worker, undefined, -1, m.owner);
          gen = Atomics.load(loop.views.ctrl, Ctrl.RunGen);
          next = m.firstBlock ?? 0;
          resume = false;
          port.postMessage({ type: 'loaded', modules: loop.positions.length, buildMs: performance.now() - t0 } satisfies FromWorker);
        } else if (m.type === 'swap') {
          // Installed exactly at its block: now if this worker is there, else when its run reaches it.
          if (loop && next < m.atBlock) deferred = m;
          else {
            swapNow(m);
            if (holding) {
              holding = false;
              resume = true;
            }
          }
        } else if (m.type === 'restart') {
          const ids = loop ? loop.restart(m.ids, m.atBlock) : [];
          port.postMessage({ type: 'restarted', ids, atBlock: Math.max(next, m.atBlock) } satisfies FromWorker);
        } else if (m.type === 'start') {
          next = loop!.join(m.atBlock, m.keepDown); // atBlock, or later if a consumer passed it meanwhile
          resume = true;
          port.postMessage({ type: 'started', atBlock: next } satisfies FromWorker);
        } else if (m.type === 'unload') {
          loop = undefined;
        } else if (m.type === 'describe') {
          port.postMessage(describe(loop, m.module));
        } else if (m.type === 'heap') {
          const h = getHeapStatistics();
          port.postMessage({ type: 'heap', usedHeap: h.used_heap_size, totalHeap: h.total_heap_size } satisfies FromWorker);
        }
      } catch (e) {
        port.postMessage({ type: 'error', message: (e as Error).message } satisfies FromWorker);
      }
    }
    if (loop) {
      const ctrl = loop.views.ctrl;
      const g = Atomics.load(ctrl, Ctrl.RunGen);
      if (g !== gen || resume) {
        gen = g;
        next = loop.run(next, loadMark(ctrl, Ctrl.RunTo, next)); // RunTo: Infinity while streaming
        if (loop.retired()) {
          // Replaced (this thread was declared hung, and is about to be terminated): idle.
          loop = undefined;
          continue;
        }
        if (next < loadMark(ctrl, Ctrl.RunTo, next) && Atomics.load(ctrl, Ctrl.Stop) === 0) {
          // Stopped early at a swap block or for a service message: install the new plan (held, or
          // still in the queue), read the messages, and go on from the same block.
          if (isMark(Atomics.load(ctrl, Ctrl.SwapAt), next)) {
            if (deferred && deferred.atBlock === next) {
              swapNow(deferred);
              deferred = undefined;
            } else if (Atomics.load(ctrl, Ctrl.Stop) === 0) {
              holding = true; // its plan is still being posted: wait below for the message
              resume = false;
            }
          }
          if (!holding) {
            resume = true;
            continue;
          }
        } else {
          resume = false;
          Atomics.add(ctrl, Ctrl.WorkersDone, 1);
          Atomics.notify(ctrl, Ctrl.WorkersDone);
        }
      } else if (holding && (!isMark(Atomics.load(ctrl, Ctrl.SwapAt), next) || Atomics.load(ctrl, Ctrl.Stop) !== 0)) {
        // The swap was withdrawn (its session log could not be written) or the engine stops: go on.
        holding = false;
        resume = true;
        continue;
      }
    }
    if (holding) {
      // Re-checks SwapAt and Stop every 2 ms (they are not signalled on the wake word).
      Atomics.wait(wake, 0, seen, 2);
      seen = Atomics.load(wake, 0);
      continue;
    }
    // Sleep until the control thread posts a message or arms a run (both bump the wake word).
    Atomics.wait(wake, 0, seen);
    seen = Atomics.load(wake, 0);
  }
}

/** Where a module's port views point (for the zero-copy test). Not RT. */
function describe(loop: BlockLoop | undefined, id: string): FromWorker {
  const rm = loop?.runner.modules.find((m) => m.id === id);
  if (!rm) return { type: 'error', message: `module ${id} is not on this worker` };
  const io = rm.io[0][0];
  return {
    type: 'described',
    inputs: Object.entries(io.in).map(([name, v]) => ({ name, byteOffset: v.byteOffset, isShared: v.buffer instanceof SharedArrayBuffer, first: v[0] })),
    outputs: Object.entries(io.out).map(([name, v]) => ({ name, byteOffset: v.byteOffset, isShared: v.buffer instanceof SharedArrayBuffer })),
  };
}

main();
