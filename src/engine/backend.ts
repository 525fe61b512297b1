/**
 * What runs a compiled plan: the worker backend (worker-backend.ts: DSP worker threads sharing one
 * arena, real time and offline) or the local backend (local-backend.ts: the whole plan on the calling
 * thread, offline only). The Engine (engine.ts) compiles patches and finds modules by id; a backend
 * takes plans and plan positions. Control thread only; nothing here runs per block.
 */
import type { RenderPlan } from '../plan/compile';
import type { ArenaLayout } from '../memory/layout';
import type { LoadOptions } from './options';
import type { BlockSink, StreamResult } from './block-sink';
import type { EngineStats, SinkCounters } from './arena';

export interface Backend {
  /** The plan installed (the last one loaded or swapped in). */
  readonly plan: RenderPlan | undefined;
  /** The next block an offline render starts at (blocks rendered since the last load). */
  readonly nextBlock: number;
  /** True between startStreaming and stopStreaming (real time). */
  readonly streaming: boolean;
  /** Block at which the last live edit took effect. */
  readonly lastSwapBlock: number;
  /** The arena (worker backend, once a patch is loaded). */
  readonly arena: { sab: SharedArrayBuffer; layout: ArenaLayout } | undefined;

  /** Installs a plan from its start (fresh state, block 0). */
  install(plan: RenderPlan, opts: LoadOptions): Promise<void>;
  /**
   * True when `swap` can replace the plan keeping the state of the modules that stay (a loaded worker
   * backend); otherwise the Engine loads the new plan afresh.
   */
  canSwap(): boolean;
  /**
   * Replaces the plan at a block edge, keeping the state of the modules that stay. `beforeSwap` is the
   * caller's last word (it may throw: then nothing changes).
   */
  swap(plan: RenderPlan, atBlock: number | undefined, beforeSwap?: (atBlock: number) => void): Promise<void>;
  /** Offline: waits for a swap armed ahead once a render has passed it. */
  settle(): Promise<void>;

  /** Renders the next `frames` frames offline into `sink`. */
  stream(frames: number, sink: BlockSink, onProgress?: (framesDone: number) => void): StreamResult;
  /**
   * Renders the next `frames` frames offline into `sink` as one run, calling `await between()` after
   * every `pieceFrames` (whole blocks); what it renders is exactly what `stream` renders.
   */
  streamInPieces(frames: number, sink: BlockSink, pieceFrames: number, between: () => Promise<void>, onProgress?: (framesDone: number) => void): Promise<StreamResult>;
  startStreaming(frameLimit: number): void;
  stopStreaming(): Promise<void>;

  /** Queues a param change (by the param's name; `pm.params` already holds the value). */
  setParam(position: number, param: string, value: number, atFrame: number): boolean;
  sendEvent(position: number, data: number, atFrame: number): boolean;
  canQueue(position: number, records: number): boolean;
  drained(timeoutMs: number): Promise<void>;
  /** The plan's buffers (readouts are read here), or undefined before a load. */
  buffers(): Float32Array | undefined;
  /** The first frame a param record sent now is sure to reach exactly. */
  firstReachableFrame(): number;
  /** The absolute frame that plays at Unix time `t` (s) while streaming, else undefined. */
  frameAt(t: number): number | undefined;
  sinkCounters(): SinkCounters;
  stats(): EngineStats;
  close(): Promise<void>;
}
