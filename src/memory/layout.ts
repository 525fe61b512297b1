/**
 * The shared-memory arena: one SharedArrayBuffer holding control words, the output ring, parameter
 * command rings, the workers' heartbeat words, and (per plan) completion stamps, module health,
 * statistics and every cable buffer. Offsets are computed by the control thread; every thread builds
 * its typed-array views from the same numbers, so a consumer's input view and its producer's output
 * view are the same bytes (zero copy). Each protocol on these words has its own file in memory/ with
 * its thread rules: output-ring.ts, command-ring.ts, stamps.ts, health.ts, block-word.ts (block
 * numbers and counters past 2³¹), wait.ts.
 *
 * Thread rules: control words are only touched with Atomics (the counters among them wrap: see each).
 * Buffers are plain Float32 views: the stamp protocol (memory/stamps.ts, described in
 * realtime/block-loop.ts) orders every write before the reads it feeds. Stats are written by one
 * thread each and read by the control thread without locks (a torn read of a statistic is harmless).
 */
import { STAMP_STRIDE, stampBytes, Stamps } from './stamps';

/** Control word indices (Int32). */
export const enum Ctrl {
  /** Blocks the sink (main thread or device) has consumed from the output ring (wrapping count, memory/output-ring.ts). */
  RingRead = 0,
  /** Blocks the output stage has written into the output ring (wrapping count). */
  RingWritten = 1,
  /** Exclusive end of the current run, a block mark (memory/block-word.ts; NO_MARK: no end, streaming); workers stop before it. */
  RunTo = 2,
  /** Generation of the current run; bumped to wake and restart workers. */
  RunGen = 3,
  /** Faults published by workers (memory/health.ts bumps and notifies it); the supervisor sleeps on it (engine/fault-waker.ts). */
  Faults = 4,
  /** Workers that finished the current run. */
  WorkersDone = 5,
  /** Stop request (1 = stop at the next block boundary). */
  Stop = 6,
  /**
   * Device quanta that found the ring short (filled with silence instead). Bumped by the sink with
   * Atomics.add: past 2³¹ − 1 the word reads negative, so readers take it as a wrapping count
   * (Count32 in memory/block-word.ts; Arena.sinkCounters).
   */
  Underruns = 7,
  /** Frames the device sink has taken from the ring, modulo 2³¹ (Arena reads it as a growing count). Written by the sink. */
  SinkFrames = 8,
  /** The sink plays silence once it has taken this many frames (--seconds); 0x7fffffff = no limit. */
  SinkLimit = 9,
  /** Block at which every worker switches to the plan it was sent: a block mark (memory/block-word.ts; NO_MARK: none pending). */
  SwapAt = 10,
  /**
   * Parameter records dropped because a worker's command ring was full. Bumped by the control thread
   * with Atomics.add; a wrapping count like Underruns (read through Count32).
   */
  CmdDropped = 11,
  /** Bumped by the control thread when a worker has a control message it must act on mid-run. */
  Service = 12,
  /**
   * Hang budget in ms: a worker the watchdog thread finds inside the same `process` call this long
   * (spinning) is declared hung (realtime/watchdog-entry.ts). Set by the control thread at load.
   */
  HangMs = 13,
  /** Render quanta the device has asked for, silent ones included, modulo 2³¹. Written by the sink. */
  DeviceQuanta = 14,
  /**
   * The RingWritten value the main thread's offline render sleeps for: the output stage notifies only
   * when it reaches it (a wake-up per block cost a worker 7 % of its time). 0x7fffffff while streaming:
   * the device never sleeps on the ring.
   */
  RingWant = 15,
  Count = 16,
}

/**
 * Per pool worker (Int32, WorkerWord.Count each): the heartbeat the watchdog thread
 * (realtime/watchdog-entry.ts) reads to find a hung worker. Written by the worker on the audio path
 * (Running with Atomics.store; Beat a plain increment, its only writer), read by the watchdog, other
 * workers and the supervisor.
 */
export const enum WorkerWord {
  /** Plan position of the module being processed, or -1 (between modules, waiting or idle). */
  Running = 0,
  /** Modules processed so far (wraps). */
  Beat = 1,
  /** 1 once the worker is declared hung or dead (its modules are down until it is replaced). */
  Dead = 2,
  /**
   * Incarnation of the thread that owns this worker index, bumped when a replacement takes over. A
   * thread whose incarnation is no longer current stops at its next block (a worker declared hung
   * that was only slow must not write beside its replacement).
   */
  Owner = 3,
  /**
   * Words per worker: the stride, one 64-byte cache line. Each worker stores Running and Beat around
   * every module call; with 4 words per worker the workers' words shared a line, so each store could
   * take the line from the other core (false sharing). Measured on the 2-core VM: no change in render
   * time (farm-bench, 9 pairs of 2-worker renders, median ratio 1.00); kept because it costs 48 bytes
   * per worker and removes the hazard wherever the line transfer is dearer.
   */
  Count = 16,
}

/** Per plan position (Int32, Health.Count each): the module's health, see memory/health.ts. */
export const enum Health {
  /** HealthState. */
  State = 0,
  /** FaultKind of the last fault. */
  Kind = 1,
  /** Block in which it went down: the block number's low 32 bits (memory/block-word.ts). */
  Block = 2,
  Count = 3,
}

/** Per-worker statistics (Float64 slots, WorkerStat.Count per worker). */
export const enum WorkerStat {
  Blocks = 0,
  /** Nanoseconds spent processing modules. */
  BusyNs = 1,
  /** Nanoseconds spent waiting for other workers. */
  WaitNs = 2,
  /** Waits that had to sleep (Atomics.wait), as opposed to being satisfied while spinning. */
  Sleeps = 3,
  /** Slots per worker: the stride, one 64-byte cache line (Float64), so workers never share a line. */
  Count = 8,
}

/**
 * The engine's arena, laid out once for the engine's life:
 *
 *   [Int32 control words][Float32 output ring][Int32 command-ring indices][Int32 worker words]
 *   [Float64 command records][plan region 0][plan region 1]
 *
 * A plan region holds one plan's [Int32 stamps][Int32 health][Float64 stats][Float32 cable buffers].
 * Plans alternate between the two regions, so a new plan is laid out while the current one plays and both exist at
 * the swap block; the control words, the ring (which the device reads) and the command rings never move.
 */
export interface EngineLayout {
  byteLength: number;
  ctrlOffset: number;
  ringOffset: number;
  ringBlocks: number;
  blockSize: number;
  /** Int32 pairs [head, tail] per pool worker: head written by the control thread, tail by the worker. */
  cmdIndexOffset: number;
  /** Float64 records, CMD_FIELDS each, `cmdRecords` per pool worker. */
  cmdOffset: number;
  cmdRecords: number;
  poolWorkers: number;
  /** Int32 WorkerWord.Count words per pool worker. */
  workerWordsOffset: number;
  regions: readonly { offset: number; bytes: number }[];
}

/** A parameter change record: absolute frame, plan position of the module, param index, value (memory/command-ring.ts). */
import { CMD_FIELDS } from './command-ring';
export { CMD_FIELDS };

export interface ArenaLayout extends EngineLayout {
  region: number;
  stampsOffset: number;
  /** Int32 Health.Count words per plan position. */
  healthOffset: number;
  moduleCount: number;
  /** Byte offset of Float64 stats: workers × WorkerStat.Count, then one CPU-ns slot per module. */
  statsOffset: number;
  /** Workers the plan uses. */
  workers: number;
  buffersOffset: number;
  bufferFloats: number;
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

export interface PlanSize {
  moduleCount: number;
  workers: number;
  bufferFloats: number;
}

/** Bytes a plan needs in a region. */
export function planBytes(p: PlanSize): number {
  const health = align(stampBytes(p.moduleCount), 64);
  const stats = align(health + p.moduleCount * Health.Count * 4, 64);
  const buffers = align(stats + (p.workers * WorkerStat.Count + p.moduleCount) * 8, 64);
  return align(buffers + p.bufferFloats * 4, 64);
}

export function layoutEngine(opts: { ringBlocks: number; blockSize: number; poolWorkers: number; regionBytes: number; cmdRecords?: number }): EngineLayout {
  // 65,536 records (2 MiB) per worker: the OSC server takes UDP in bursts (a whole socket buffer in
  // one event-loop turn after any stall), and tens of thousands of changes can arrive within one block.
  const cmdRecords = opts.cmdRecords ?? 65536;
  const ctrlOffset = 0;
  const ringOffset = align(Ctrl.Count * 4, 64);
  const cmdIndexOffset = align(ringOffset + opts.ringBlocks * opts.blockSize * 2 * 4, 64);
  const workerWordsOffset = align(cmdIndexOffset + opts.poolWorkers * 2 * 4, 64);
  const cmdOffset = align(workerWordsOffset + opts.poolWorkers * WorkerWord.Count * 4, 64);
  const r0 = align(cmdOffset + opts.poolWorkers * cmdRecords * CMD_FIELDS * 8, 64);
  const bytes = align(opts.regionBytes, 64);
  return {
    byteLength: r0 + 2 * bytes,
    ctrlOffset,
    ringOffset,
    ringBlocks: opts.ringBlocks,
    blockSize: opts.blockSize,
    cmdIndexOffset,
    cmdOffset,
    cmdRecords,
    poolWorkers: opts.poolWorkers,
    workerWordsOffset,
    regions: [
      { offset: r0, bytes },
      { offset: r0 + bytes, bytes },
    ],
  };
}

/** Places a plan in region `region`. Throws when it does not fit. */
export function layoutPlan(engine: EngineLayout, region: number, p: PlanSize): ArenaLayout {
  const need = planBytes(p);
  const r = engine.regions[region];
  if (need > r.bytes) throw new Error(`the patch needs ${(need / 2 ** 20).toFixed(1)} MiB of buffers, the arena has ${(r.bytes / 2 ** 20).toFixed(1)} MiB per plan`);
  const stampsOffset = r.offset;
  const healthOffset = align(stampsOffset + stampBytes(p.moduleCount), 64);
  const statsOffset = align(healthOffset + p.moduleCount * Health.Count * 4, 64);
  const buffersOffset = align(statsOffset + (p.workers * WorkerStat.Count + p.moduleCount) * 8, 64);
  return { ...engine, region, stampsOffset, healthOffset, moduleCount: p.moduleCount, statsOffset, workers: p.workers, buffersOffset, bufferFloats: p.bufferFloats };
}

/** An arena holding exactly one plan (offline tools, benchmarks). */
export function layoutArena(opts: PlanSize & { ringBlocks: number; blockSize: number }): ArenaLayout {
  const engine = layoutEngine({ ringBlocks: opts.ringBlocks, blockSize: opts.blockSize, poolWorkers: opts.workers, regionBytes: planBytes(opts), cmdRecords: 16 });
  return layoutPlan(engine, 0, opts);
}

/** Typed views of an arena. Not RT-safe to create (allocates views); create once per plan per thread. */
export interface ArenaViews {
  ctrl: Int32Array;
  /** Completion stamps (memory/stamps.ts). */
  stamps: Stamps;
  /** Health.Count words per plan position. */
  health: Int32Array;
  /** WorkerWord.Count words per pool worker. */
  workerWords: Int32Array;
  stats: Float64Array;
  buffers: Float32Array;
  /** Ring slot s: left = ring[s·2B .. s·2B+B), right = next B floats. */
  ring: Float32Array;
  cmdIndex: Int32Array;
  cmd: Float64Array;
}

export function arenaViews(sab: SharedArrayBuffer, l: ArenaLayout): ArenaViews {
  return {
    ctrl: new Int32Array(sab, l.ctrlOffset, Ctrl.Count),
    stamps: new Stamps(new Int32Array(sab, l.stampsOffset, l.moduleCount * STAMP_STRIDE)),
    health: new Int32Array(sab, l.healthOffset, l.moduleCount * Health.Count),
    workerWords: new Int32Array(sab, l.workerWordsOffset, l.poolWorkers * WorkerWord.Count),
    stats: new Float64Array(sab, l.statsOffset, l.workers * WorkerStat.Count + l.moduleCount),
    buffers: new Float32Array(sab, l.buffersOffset, l.bufferFloats),
    ring: new Float32Array(sab, l.ringOffset, l.ringBlocks * l.blockSize * 2),
    cmdIndex: new Int32Array(sab, l.cmdIndexOffset, l.poolWorkers * 2),
    cmd: new Float64Array(sab, l.cmdOffset, l.poolWorkers * l.cmdRecords * CMD_FIELDS),
  };
}
