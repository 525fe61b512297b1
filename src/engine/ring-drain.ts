/**
 * Offline renders on the worker backend: the calling thread drains the output ring (its consumer end,
 * memory/output-ring.ts) while the workers fill it, and passes each finished block to a sink. Control thread (it blocks in Atomics.wait while
 * the workers run; never the audio path).
 */
import { Ctrl } from '../memory/layout';
import { waitAtLeast, publish } from '../memory/wait';
import { markWord } from '../memory/block-word';
import { publishRead, releaseProducer, ringSlots, waitWritten } from '../memory/output-ring';
import type { Arena } from './arena';
import type { BlockSink } from './block-sink';

/**
 * Lets the workers run blocks [first, first + ceil(frames / B)) (they must have been kicked after
 * `arm`) and hands each block to `sink` in order as soon as it is out of the ring, in batches of half
 * the ring while the workers fill the other half. A sink that throws stops the workers (`halt`) and
 * the error is rethrown. Allocates one pair of views per ring slot per call, nothing per block.
 */
export function drainRing(space: Arena, workers: number, first: number, frames: number, sink: BlockSink, onProgress?: (framesDone: number) => void): void {
  const { views, layout } = space;
  const B = layout.blockSize, R = layout.ringBlocks;
  const end = first + Math.ceil(frames / B);
  const { left, right } = ringSlots(views.ring, R, B);
  const slots = left.map((l, s) => [l, right[s]]);
  const ctrl = views.ctrl;
  const batch = Math.max(1, R >> 1);
  try {
    for (let b = first; b < end; ) {
      const upto = Math.min(end, b + batch);
      waitWritten(ctrl, upto);
      for (; b < upto; b++) sink.write(slots[b % R], Math.min(B, frames - (b - first) * B));
      publishRead(ctrl, b);
      onProgress?.(Math.min(frames, (b - first) * B));
    }
  } catch (e) {
    halt(space, workers);
    throw e;
  }
  waitAtLeast(ctrl, Ctrl.WorkersDone, workers);
}

/** Arms an offline run of the workers up to block `end` (then kick the pool): RunTo is a mark (memory/block-word.ts). */
export function armRun(ctrl: Int32Array, end: number, runGen: number): void {
  Atomics.store(ctrl, Ctrl.WorkersDone, 0);
  Atomics.store(ctrl, Ctrl.RunTo, markWord(end));
  Atomics.store(ctrl, Ctrl.RunGen, runGen);
}

/**
 * Stops the workers at their next block edge and wakes anything asleep in the stamp protocol (the
 * stamps and the ring read counter are released), so no worker stays blocked on a neighbour that
 * already stopped.
 */
export function releaseWorkers(space: Arena): void {
  const ctrl = space.views.ctrl;
  publish(ctrl, Ctrl.Stop, 1);
  releaseProducer(ctrl);
  space.views.stamps.releaseAll();
}

/** Stops an offline render midway (its sink failed): releases every wait and lets the workers finish. */
function halt(space: Arena, workers: number): void {
  releaseWorkers(space);
  waitAtLeast(space.views.ctrl, Ctrl.WorkersDone, workers, 2000);
}
