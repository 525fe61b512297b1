/**
 * The output ring: finished stereo blocks on their way from the output stage to the sink. This file
 * owns its layout and both ends' arithmetic; every reader and writer of the ring goes through it.
 *
 * Layout. `ringBlocks` slots of one block each, in the arena at EngineLayout.ringOffset (Float32):
 * slot s holds the left channel at [s·2B, s·2B + B) and the right one at the next B floats. Block b
 * (a plain block number, counted from 0 without wrapping) lives in slot b mod ringBlocks.
 *
 * Single producer, single consumer, two Int32 counters in the control words (memory/layout.ts):
 *   Ctrl.RingWritten  blocks the producer has finished: the output stage, on the DSP worker that runs
 *                     the output module (or ringWorker(plan) when there is none: silent blocks);
 *   Ctrl.RingRead     blocks the consumer has taken: the device's AudioWorklet (io/ring-worklet.ts)
 *                     while streaming, or the control thread draining an offline render
 *                     (engine/ring-drain.ts).
 * The producer starts block b only when the slot's previous block was taken (b − RingRead <
 * ringBlocks), writes the slot, then publishes RingWritten = b + 1 (Atomics.store: the samples are
 * visible before the count). The consumer loads RingWritten before it reads the samples, and
 * publishes RingRead once it has copied out the last frame of a block, which frees the slot. So a
 * slot is never written while it is read, and nothing is lost or read twice.
 *
 * Wrap. The counters are free-running Int32 and wrap at 2³¹ (after 2³¹ blocks: 66 days at 48 kHz and
 * 128 frames), like the command ring's (memory/command-ring.ts): every comparison uses the wrapping
 * difference `(a − b) | 0` (ringAhead), which is right across the wrap while the two are less than
 * 2³¹ apart (they are at most ringBlocks apart). Each side keeps its own position as a plain number
 * (exact to 2⁵³): only the shared counters wrap. `writtenBlocks`/`readBlocks` return a counter word;
 * the control side reads them as block numbers for its scheduling (swap and restart blocks) through
 * a BlockCount (memory/block-word.ts; Arena.blocksWritten, Arena.blocksRead), right past 2³¹ blocks.
 *
 * Sleeping. The producer sleeps on RingRead, which the consumer notifies. A consumer that sleeps for
 * blocks (the offline drain) names the count it waits for in Ctrl.RingWant, and the producer notifies
 * RingWritten only when it reaches that count (a wake-up per block cost a worker 7 % of its time);
 * while streaming RingWant is NO_WANT and the producer never notifies (the device polls).
 *
 * Thread and real-time rules, per function below: the producer's functions run on the output
 * stage's worker (audio path: no allocation, no clock, no messages); the consumer's on the device
 * thread (audio path, likewise) or on the control thread (the offline drain, which blocks in
 * Atomics.wait and never runs on an audio thread); `ringSlots` allocates and is not RT-safe.
 */
import { Ctrl } from './layout';
import { SPIN_LOADS } from './wait';

/** RingWant when no consumer sleeps on RingWritten (streaming). */
export const NO_WANT = -0x80000000;

/** Ctrl.SinkLimit when the sink has no frame limit. */
export const NO_SINK_LIMIT = 0x7fffffff;

/** How far counter `a` is ahead of counter (or block number) `b`, right across the Int32 wrap. Any thread, RT-safe. */
export function ringAhead(a: number, b: number): number {
  return (a - b) | 0;
}

/** Float32 values the ring takes in the arena. */
export function ringFloats(ringBlocks: number, blockSize: number): number {
  return ringBlocks * blockSize * 2;
}

/** Float offset, in the ring, of block `block`'s left channel (right: + blockSize). Any thread, RT-safe. */
export function slotOffset(block: number, ringBlocks: number, blockSize: number): number {
  return (block % ringBlocks) * 2 * blockSize;
}

/** Views of every slot: left[s], right[s]. Not RT-safe (allocates): make them once per plan and thread. */
export function ringSlots(ring: Float32Array, ringBlocks: number, blockSize: number): { left: Float32Array[]; right: Float32Array[] } {
  const left: Float32Array[] = [], right: Float32Array[] = [];
  for (let s = 0; s < ringBlocks; s++) {
    left.push(ring.subarray(s * 2 * blockSize, s * 2 * blockSize + blockSize));
    right.push(ring.subarray(s * 2 * blockSize + blockSize, (s + 1) * 2 * blockSize));
  }
  return { left, right };
}

// ---- Producer (the output stage's worker; audio path) ----

/** True when block `block` may be written: the slot's previous block was taken. Producer, RT-safe. */
export function hasRoom(ctrl: Int32Array, block: number, ringBlocks: number): boolean {
  return ringAhead(Atomics.load(ctrl, Ctrl.RingRead), block - ringBlocks + 1) >= 0;
}

/**
 * Waits until block `block` may be written: spins SPIN_LOADS loads, then sleeps on RingRead (the
 * consumer notifies it; releaseProducer ends every wait). Returns 0 when it did not sleep, 1 when it
 * did. Producer (and any worker bounded by the ring), RT-safe: no allocation, no clock.
 */
export function waitForRoom(ctrl: Int32Array, block: number, ringBlocks: number): number {
  const target = block - ringBlocks + 1;
  let v = Atomics.load(ctrl, Ctrl.RingRead);
  if (ringAhead(v, target) >= 0) return 0;
  for (let s = 0; s < SPIN_LOADS; s++) {
    v = Atomics.load(ctrl, Ctrl.RingRead);
    if (ringAhead(v, target) >= 0) return 0;
  }
  while (ringAhead(v, target) < 0) {
    Atomics.wait(ctrl, Ctrl.RingRead, v);
    v = Atomics.load(ctrl, Ctrl.RingRead);
  }
  return 1;
}

/**
 * Publishes that `blocks` blocks are finished (the last one's slot is written), and wakes a consumer
 * sleeping for that many (RingWant). Producer, RT-safe.
 */
export function publishWritten(ctrl: Int32Array, blocks: number): void {
  const count = blocks | 0;
  Atomics.store(ctrl, Ctrl.RingWritten, count);
  const want = Atomics.load(ctrl, Ctrl.RingWant);
  if (want !== NO_WANT && ringAhead(count, want) >= 0) Atomics.notify(ctrl, Ctrl.RingWritten);
}

// ---- Consumer (the device thread, or the control thread's offline drain) ----

/** Blocks finished and not yet taken, for a consumer that has taken `taken` (a plain block number). Consumer, RT-safe. */
export function blocksReady(ctrl: Int32Array, taken: number): number {
  return ringAhead(Atomics.load(ctrl, Ctrl.RingWritten), taken);
}

/** Publishes that `blocks` blocks have been taken (their slots are free) and wakes the producer. Consumer, RT-safe. */
export function publishRead(ctrl: Int32Array, blocks: number): void {
  Atomics.store(ctrl, Ctrl.RingRead, blocks | 0);
  Atomics.notify(ctrl, Ctrl.RingRead);
}

/** Streaming: no consumer sleeps on RingWritten, so the producer never notifies it. Control thread, before the run. */
export function streamingConsumer(ctrl: Int32Array): void {
  Atomics.store(ctrl, Ctrl.RingWant, NO_WANT);
}

/**
 * Sleeps until `blocks` blocks are finished (RingWritten has reached it). Control thread only (the
 * offline drain): it blocks, with no time limit. A count that happens to equal NO_WANT is asked for one
 * block early (the wait then goes on for the last one).
 */
export function waitWritten(ctrl: Int32Array, blocks: number): void {
  const want = blocks | 0;
  Atomics.store(ctrl, Ctrl.RingWant, want === NO_WANT ? (want - 1) | 0 : want);
  let v = Atomics.load(ctrl, Ctrl.RingWritten);
  for (let s = 0; s < SPIN_LOADS && ringAhead(v, want) < 0; s++) v = Atomics.load(ctrl, Ctrl.RingWritten);
  while (ringAhead(v, want) < 0) {
    Atomics.wait(ctrl, Ctrl.RingWritten, v);
    v = Atomics.load(ctrl, Ctrl.RingWritten);
  }
}

/**
 * Ends every producer wait for room, now and until the next run (stopping: raise Ctrl.Stop first):
 * RingRead is moved 2³⁰ blocks ahead of RingWritten, past any block a worker can be waiting to start.
 * Any thread (control thread when stopping), RT-safe.
 */
export function releaseProducer(ctrl: Int32Array): void {
  publishRead(ctrl, (Atomics.load(ctrl, Ctrl.RingWritten) + 0x40000000) | 0);
}

// ---- The counter words (the control side unwraps them: BlockCount, memory/block-word.ts) ----

/** Blocks finished (RingWritten): the count's low 32 bits (see the header). Any thread, RT-safe. */
export function writtenBlocks(ctrl: Int32Array): number {
  return Atomics.load(ctrl, Ctrl.RingWritten);
}

/** Blocks taken (RingRead): the count's low 32 bits. Any thread, RT-safe. */
export function readBlocks(ctrl: Int32Array): number {
  return Atomics.load(ctrl, Ctrl.RingRead);
}

/** Sets the sink's frame limit (Ctrl.SinkLimit): it plays silence once it has taken that many frames. Control thread, before the run. */
export function setSinkLimit(ctrl: Int32Array, frames: number): void {
  Atomics.store(ctrl, Ctrl.SinkLimit, frames >= NO_SINK_LIMIT ? NO_SINK_LIMIT : Math.max(0, Math.round(frames)));
}

/** The sink's frame limit: Infinity for none. Consumer, RT-safe. */
export function sinkLimit(ctrl: Int32Array): number {
  const l = Atomics.load(ctrl, Ctrl.SinkLimit);
  return l === NO_SINK_LIMIT ? Infinity : l;
}

/**
 * The device's reading end: copies the stream out of the ring into render quanta, frame by frame,
 * freeing each slot as its last frame is taken. Construction allocates nothing but the object; `read`
 * is the device thread's audio path (RT-safe: no allocation, no clock, no messages).
 */
export class OutputRingReader {
  /** Frames taken from the ring so far (a plain number: exact for 2⁵³ frames). */
  frame = 0;

  constructor(
    private readonly ctrl: Int32Array,
    private readonly ring: Float32Array,
    private readonly ringBlocks: number,
    private readonly blockSize: number,
  ) {}

  /**
   * Copies up to `n` frames of the stream, stopping when the ring is empty or `limit` frames have been
   * taken in all (`sinkLimit`), into outL/outR from index 0. Returns the frames copied; the caller
   * fills the rest (an underrun when the ring ran empty). Device thread, RT-safe.
   */
  read(outL: Float32Array, outR: Float32Array, n: number, limit: number): number {
    const ctrl = this.ctrl, ring = this.ring, B = this.blockSize, R = this.ringBlocks;
    let frame = this.frame;
    let block = Math.floor(frame / B), at = frame - block * B;
    let ready = blocksReady(ctrl, block);
    let base = slotOffset(block, R, B);
    let i = 0;
    while (i < n && ready > 0 && frame < limit) {
      outL[i] = ring[base + at];
      outR[i] = ring[base + B + at];
      i++;
      frame++;
      if (++at === B) {
        at = 0;
        block++;
        ready--;
        publishRead(ctrl, block);
        base = slotOffset(block, R, B);
      }
    }
    this.frame = frame;
    return i;
  }
}
