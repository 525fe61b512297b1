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
  const { take, end } = blockTaker(space, first, frames, sink, onProgress);
  try {
    take(first, end);
  } catch (e) {
    halt(space, workers);
    throw e;
  }
  waitAtLeast(space.views.ctrl, Ctrl.WorkersDone, workers);
}

/**
 * drainRing for a run armed once over all its frames, taken in pieces of `pieceFrames` with
 * `await between()` after each (a stop signal gets in there): the workers run on meanwhile (into the
 * ring, up to its size), so a long render does not stop and restart them at every piece, and it
 * leaves them idle only at its very end. A sink or a `between` that throws stops the workers.
 */
export async function drainRingInPieces(space: Arena, workers: number, first: number, frames: number, sink: BlockSink, pieceFrames: number, between: () => Promise<void>, onProgress?: (framesDone: number) => void): Promise<void> {
  const { take, end } = blockTaker(space, first, frames, sink, onProgress);
  const piece = Math.max(1, Math.round(pieceFrames / space.layout.blockSize));
  try {
    for (let b = first; b < end; ) {
      b = take(b, Math.min(end, b + piece));
      if (b < end) await between();
    }
  } catch (e) {
    halt(space, workers);
    throw e;
  }
  waitAtLeast(space.views.ctrl, Ctrl.WorkersDone, workers);
}

/** take(from, to) hands blocks [from, to) of a run starting at `first` to `sink` and returns `to`; `end` is the run's end. */
function blockTaker(space: Arena, first: number, frames: number, sink: BlockSink, onProgress?: (framesDone: number) => void): { take: (from: number, to: number) => number; end: number } {
  const { views, layout } = space;
  const B = layout.blockSize, R = layout.ringBlocks;
  const { left, right } = ringSlots(views.ring, R, B);
  const slots = left.map((l, s) => [l, right[s]]);
  const ctrl = views.ctrl;
  const batch = Math.max(1, R >> 1);
  const take = (from: number, to: number): number => {
    let b = from;
    while (b < to) {
      const upto = Math.min(to, b + batch);
      waitWritten(ctrl, upto);
      for (; b < upto; b++) sink.write(slots[b % R], Math.min(B, frames - (b - first) * B));
      publishRead(ctrl, b);
      onProgress?.(Math.min(frames, (b - first) * B));
    }
    return b;
  };
  return { take, end: first + Math.ceil(frames / B) };
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
