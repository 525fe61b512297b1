/**
 * The shared-memory arena: one SharedArrayBuffer holding control words, per-module completion stamps,
 * statistics, every cable buffer and the output ring. Offsets are computed once per plan by the control
 * thread; every thread builds its typed-array views from the same numbers, so a consumer's input view
 * and its producer's output view are the same bytes (zero copy).
 *
 *   [Int32 control words][Int32 stamps × modules][Float64 stats][Float32 buffers][Float32 output ring]
 *
 * Thread rules: control words and stamps are only touched with Atomics. Buffers are plain Float32 views:
 * the stamp protocol (see realtime/block-loop.ts) orders every write before the reads it feeds. Stats
 * are written by one thread each and read by the control thread without locks (a torn read of a
 * statistic is harmless).
 */

/** Control word indices (Int32). */
export const enum Ctrl {
  /** Blocks the sink (main thread or device) has consumed from the output ring. */
  RingRead = 0,
  /** Blocks the output stage has written into the output ring. */
  RingWritten = 1,
  /** Exclusive end of the current run (block index); workers stop before it. */
  RunTo = 2,
  /** Generation of the current run; bumped to wake and restart workers. */
  RunGen = 3,
  /** The sink asks to be notified when RingWritten reaches this value. */
  SinkWakeAt = 4,
  /** Workers that finished the current run. */
  WorkersDone = 5,
  /** Stop request (1 = stop at the next block boundary). */
  Stop = 6,
  /** Device quanta that found the ring short (filled with silence instead). Written by the sink. */
  Underruns = 7,
  /** Frames the device sink has taken from the ring (low 31 bits). Written by the sink. */
  SinkFrames = 8,
  /** The sink plays silence once it has taken this many frames (--seconds); 0x7fffffff = no limit. */
  SinkLimit = 9,
  Count = 12,
}

/** Per-worker statistics (Float64 slots, WORKER_STATS per worker). */
export const enum WorkerStat {
  Blocks = 0,
  /** Nanoseconds spent processing modules. */
  BusyNs = 1,
  /** Nanoseconds spent waiting for other workers. */
  WaitNs = 2,
  /** Waits that had to sleep (Atomics.wait), as opposed to being satisfied while spinning. */
  Sleeps = 3,
  Count = 4,
}

export interface ArenaLayout {
  byteLength: number;
  /** Byte offset of the Int32 control words. */
  ctrlOffset: number;
  stampsOffset: number;
  moduleCount: number;
  /** Byte offset of Float64 stats: workers × WorkerStat.Count, then one CPU-ns slot per module. */
  statsOffset: number;
  workers: number;
  buffersOffset: number;
  bufferFloats: number;
  ringOffset: number;
  ringBlocks: number;
  blockSize: number;
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

export function layoutArena(opts: { moduleCount: number; workers: number; bufferFloats: number; ringBlocks: number; blockSize: number }): ArenaLayout {
  const ctrlOffset = 0;
  const stampsOffset = ctrlOffset + Ctrl.Count * 4;
  const statsOffset = align(stampsOffset + opts.moduleCount * 4, 64);
  const statsSlots = opts.workers * WorkerStat.Count + opts.moduleCount;
  const buffersOffset = align(statsOffset + statsSlots * 8, 64);
  const ringOffset = align(buffersOffset + opts.bufferFloats * 4, 64);
  const byteLength = align(ringOffset + opts.ringBlocks * opts.blockSize * 2 * 4, 64);
  return { byteLength, ctrlOffset, stampsOffset, moduleCount: opts.moduleCount, statsOffset, workers: opts.workers, buffersOffset, bufferFloats: opts.bufferFloats, ringOffset, ringBlocks: opts.ringBlocks, blockSize: opts.blockSize };
}

/** Typed views of an arena. Not RT-safe to create (allocates views); create once per plan per thread. */
export interface ArenaViews {
  ctrl: Int32Array;
  stamps: Int32Array;
  stats: Float64Array;
  buffers: Float32Array;
  /** Ring slot s: left = ring[s·2B .. s·2B+B), right = next B floats. */
  ring: Float32Array;
}

export function arenaViews(sab: SharedArrayBuffer, l: ArenaLayout): ArenaViews {
  return {
    ctrl: new Int32Array(sab, l.ctrlOffset, Ctrl.Count),
    stamps: new Int32Array(sab, l.stampsOffset, l.moduleCount),
    stats: new Float64Array(sab, l.statsOffset, l.workers * WorkerStat.Count + l.moduleCount),
    buffers: new Float32Array(sab, l.buffersOffset, l.bufferFloats),
    ring: new Float32Array(sab, l.ringOffset, l.ringBlocks * l.blockSize * 2),
  };
}
