/**
 * The Engine, control side: compiles and partitions patches (plan/), finds modules by id, and hands
 * plans and plan positions to its backend (backend.ts): the worker backend (worker-backend.ts: the
 * pre-warmed DSP workers in one shared arena, real time and offline) or, with `workers: 0`, the local
 * backend (local-backend.ts: the plan on the calling thread, offline). Control thread only.
 */
import { compilePatch, type RenderPlan } from '../plan/compile';
import { partition, stickyPartition } from '../plan/partition';
import type { Patch } from '../plan/patch';
import type { ArenaLayout } from '../memory/layout';
import type { FromWorker } from '../realtime/messages';
import type { Backend } from './backend';
import { LocalBackend, type OfflineResult, type StreamResult } from './local-backend';
import { WorkerBackend } from './worker-backend';
import { BlockCollector, type BlockSink } from './block-sink';
import type { EngineStats, SinkCounters } from './arena';
import type { Supervisor } from './supervisor';
import type { WorkerPool } from './pool';
import type { EngineOptions, LoadOptions } from './options';

export type { EngineStats, SinkCounters } from './arena';
export type { EngineOptions, LoadOptions } from './options';

export class Engine {
  /** Options of the last load (a live edit compiles with them). */
  private loadOpts: LoadOptions | undefined;

  private constructor(
    readonly options: EngineOptions,
    private readonly backend: Backend,
    private readonly workers: WorkerBackend | undefined,
  ) {}

  static async start(options: EngineOptions): Promise<Engine> {
    if (options.workers <= 0) return new Engine(options, new LocalBackend(), undefined);
    const workers = await WorkerBackend.start(options);
    return new Engine(options, workers, workers);
  }

  /** The worker pool (workers ≥ 1). */
  get pool(): WorkerPool | undefined {
    return this.workers?.pool;
  }

  /** Fault supervision (workers ≥ 1): reports faults and restarts failed modules while streaming. */
  get supervisor(): Supervisor | undefined {
    return this.workers?.supervisor;
  }

  get currentPlan(): RenderPlan | undefined {
    return this.backend.plan;
  }

  /** Block at which the last live edit took effect. */
  get lastSwapBlock(): number {
    return this.backend.lastSwapBlock;
  }

  get arena(): { sab: SharedArrayBuffer; layout: ArenaLayout } | undefined {
    return this.backend.arena;
  }

  /** Compiles, partitions and installs a patch. Workers keep their threads; only their plan changes. */
  async load(patch: Patch, opts: LoadOptions): Promise<RenderPlan> {
    const W = this.options.workers;
    const types = patch.modules.map((m) => m.type);
    return this.install(
      compilePatch(patch, opts, (order, edges, voices) =>
        W > 0 ? partition(order, edges, { workers: W, blockSize: opts.blockSize, types, voices }) : { worker: order.map(() => 0), workers: 1 },
      ),
      opts,
    );
  }

  /**
   * Like `load`, with the worker of each module given (by patch index) instead of partitioned
   * automatically. For tests and benchmarks of the hand-off machinery.
   */
  async loadForced(patch: Patch, opts: LoadOptions, assign: (order: readonly number[]) => number[]): Promise<RenderPlan> {
    return this.install(
      compilePatch(patch, opts, (order) => {
        const byPosition = assign(order);
        const worker = new Array<number>(order.length);
        order.forEach((i, pos) => (worker[i] = byPosition[pos]));
        return { worker, workers: Math.max(...worker) + 1 };
      }),
      opts,
    );
  }

  private async install(plan: RenderPlan, opts: LoadOptions): Promise<RenderPlan> {
    this.loadOpts = opts;
    await this.backend.install(plan, opts);
    return plan;
  }

  /**
   * Renders the next `frames` frames offline (continuing where the last call stopped) into memory.
   * For long renders use `stream`, which keeps nothing.
   */
  render(frames: number, onProgress?: (framesDone: number) => void): OfflineResult {
    const sink = new BlockCollector(frames);
    const r = this.stream(frames, sink, onProgress);
    return { left: sink.left, right: sink.right, frames: r.frames, seconds: r.seconds };
  }

  /**
   * Renders the next `frames` frames offline (continuing where the last call stopped), handing each
   * block to `sink` in order as soon as it is done. Blocks the calling thread while it renders. A sink
   * that throws stops the workers; the engine then needs a new `load` before it renders again.
   */
  stream(frames: number, sink: BlockSink, onProgress?: (framesDone: number) => void): StreamResult {
    if (!this.backend.plan) throw new Error('no patch loaded');
    return this.backend.stream(frames, sink, onProgress);
  }

  /**
   * `stream` for a long offline render that must stay interruptible: one run over all `frames`, with
   * `await between()` after every `pieceFrames` (a stop signal gets in there; one that throws stops
   * the render). On the worker backend the workers run on during the wait, so they are not stopped
   * and restarted at every piece. The samples are those of `stream`.
   */
  streamInPieces(frames: number, sink: BlockSink, pieceFrames: number, between: () => Promise<void>, onProgress?: (framesDone: number) => void): Promise<StreamResult> {
    if (!this.backend.plan) return Promise.reject(new Error('no patch loaded'));
    return this.backend.streamInPieces(frames, sink, pieceFrames, between, onProgress);
  }

  /**
   * Real time: lets the workers run indefinitely, paced by the sink taking blocks from the output ring
   * (the device's worklet publishes RingRead). The sink stops taking frames after `frameLimit` frames.
   * Returns immediately.
   */
  startStreaming(frameLimit = 0x7fffffff): void {
    this.backend.startStreaming(frameLimit);
  }

  /**
   * Stops a streaming run at the next block boundary and waits for the workers. Wakes anything asleep
   * in the stamp protocol, so no worker can stay blocked on a neighbour that already stopped.
   */
  stopStreaming(): Promise<void> {
    return this.backend.stopStreaming();
  }

  /**
   * Live edit while streaming: installs `patch` at a block boundary without stopping the audio (the
   * worker backend's swap: compiled and laid out off the audio path, modules that stay keep their
   * worker and their kernel state). `beforeSwap` gets the block the edit takes effect at before
   * anything changes; if it throws, the edit is not applied. With nothing loaded, or on the local
   * backend: the same as `load`.
   */
  async applyPatch(patch: Patch, atBlock?: number, beforeSwap?: (atBlock: number) => void): Promise<RenderPlan> {
    const backend = this.backend, cur = backend.plan, opts = this.loadOpts;
    if (!cur || !opts || !backend.canSwap()) {
      beforeSwap?.(backend.nextBlock);
      return this.load(patch, opts ?? { sampleRate: 48000, blockSize: 128 });
    }
    const previous = new Map(cur.modules.map((m) => [m.id, m.worker]));
    const ids = patch.modules.map((m) => m.id), types = patch.modules.map((m) => m.type);
    const plan = compilePatch(patch, opts, (order, _edges, voices) => stickyPartition(order, ids, types, previous, cur.workers, opts.blockSize, voices));
    await backend.swap(plan, atBlock, beforeSwap);
    return plan;
  }

  /** Offline: after a render that passed an armed swap, wait for the workers' acknowledgements. */
  settle(): Promise<void> {
    return this.backend.settle();
  }

  /** The plan position of a module, or -1. */
  private position(moduleId: string): number {
    return this.backend.plan?.modules.findIndex((m) => m.id === moduleId) ?? -1;
  }

  /**
   * Sets a param through the owning worker's command ring (no plan rebuild): applied at the start of
   * the next block, or at absolute frame `atFrame` (sample-accurate: the module's block is split there).
   * Control thread only (single producer per ring). Returns false when the ring is full (counted).
   */
  setParam(moduleId: string, param: string, value: number, atFrame = this.nextParamFrame()): boolean {
    const pos = this.position(moduleId);
    if (pos < 0) return false;
    this.backend.plan!.modules[pos].params[param] = value;
    return this.backend.setParam(pos, param, value, atFrame);
  }

  /**
   * True when `moduleId`'s worker ring has room for `records` more records now; false (the records
   * counted as dropped) when it has not or the module is unknown. Control thread: the only producer, so
   * the room seen here is still there when it pushes (the worker only frees records).
   */
  canQueue(moduleId: string, records: number): boolean {
    const pos = this.position(moduleId);
    return pos >= 0 && this.backend.canQueue(pos, records);
  }

  /**
   * Sends an event (Kernel.event, e.g. a MIDI message packed by packMidi) to a module, delivered at
   * absolute frame `atFrame` through the same command ring as param changes (sample-accurate). Control
   * thread only. Returns false when the module is unknown or the ring is full (counted).
   */
  sendEvent(moduleId: string, data: number, atFrame = this.nextParamFrame()): boolean {
    const pos = this.position(moduleId);
    return pos >= 0 && this.backend.sendEvent(pos, data, atFrame);
  }

  /**
   * A copy of a module's readout area (analysis modules: meter, scope), read from shared memory
   * without locks, or undefined when the module has none. Control thread.
   */
  readModule(moduleId: string): Float32Array | undefined {
    const pos = this.position(moduleId);
    const pm = pos >= 0 ? this.backend.plan!.modules[pos] : undefined;
    if (!pm || pm.readout.floats === 0) return undefined;
    return this.backend.buffers()?.slice(pm.readout.offset, pm.readout.offset + pm.readout.floats);
  }

  /**
   * Resolves once every param record sent so far has been taken by its worker and one more block has
   * been written to the output ring (so the changes are in the audio). Control thread.
   */
  drained(timeoutMs = 2000): Promise<void> {
    return this.backend.drained(timeoutMs);
  }

  /**
   * The frame an untimed param change lands on: the first block no worker can have started (streaming),
   * or the next block to render (offline). Giving every change an exact frame makes sessions replayable.
   */
  nextParamFrame(): number {
    const b = this.backend;
    return b.streaming ? b.firstReachableFrame() : b.nextBlock * (b.plan?.blockSize ?? 0);
  }

  /**
   * The engine's clock: the absolute frame that plays at Unix time `t` (seconds), while streaming;
   * undefined before the device has taken its first frames (engine/clock.ts).
   */
  frameAt(t: number): number | undefined {
    return this.backend.frameAt(t);
  }

  /** The first frame a param record sent now is sure to reach exactly (see Arena.safeBlock). */
  firstReachableFrame(): number {
    return this.backend.firstReachableFrame();
  }

  blockSize(): number {
    return this.backend.plan?.blockSize ?? 128;
  }

  /** Live counters of the device sink (written by the worklet). */
  sinkCounters(): SinkCounters {
    return this.backend.sinkCounters();
  }

  /** Counters from the arena (written by the workers, read here without locks). */
  stats(): EngineStats {
    return this.backend.stats();
  }

  /** Where a module's port views point, asked of the worker that runs it (zero-copy checks). */
  async describe(moduleId: string): Promise<Extract<FromWorker, { type: 'described' }>> {
    const pos = this.position(moduleId);
    if (pos < 0 || !this.workers) throw new Error(`no module ${moduleId} on a worker`);
    return this.workers.describe(pos);
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}
