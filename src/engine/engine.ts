/**
 * The multi-worker engine, control side: owns the worker pool, the arena (arena.ts) and the clock
 * (clock.ts); compiles and partitions patches (plan/), installs plans into the warm workers, swaps them
 * live, queues param records, and drives offline renders. Control thread only. `workers: 0` is the
 * single-threaded path (local-backend.ts: the plan runs on the calling thread).
 *
 * Over 300 lines: the two backends are still interleaved here (`if (!this.pool)`); a Backend
 * interface with the worker and the local backend behind it is the next split.
 */
import { compilePatch, type RenderPlan } from '../plan/compile';
import { partition, stickyPartition } from '../plan/partition';
import type { Patch } from '../plan/patch';
import { WorkerPool } from './pool';
import { Ctrl, type ArenaLayout } from '../memory/layout';
import { Supervisor, type SupervisorOptions } from './supervisor';
import { Watchdog } from './watchdog';
import { waitAtLeast, publish } from '../memory/wait';
import { EVENT_INDEX } from '../realtime/runner';
import { FaultTable } from '../realtime/faults';
import { OfflineRenderer, type OfflineResult, type StreamResult } from './local-backend';
import { BlockCollector, type BlockSink } from './block-sink';
import { Arena, NO_SINK_COUNTERS, type EngineStats, type SinkCounters } from './arena';
import { EngineClock } from './clock';

export type { EngineStats, SinkCounters } from './arena';

export interface EngineOptions {
  /** DSP worker threads; 0 runs everything on the calling thread. */
  workers: number;
  /** Warm spare workers kept aside to replace a hung or dead one (default 1). */
  spares?: number;
  /**
   * JIT-warm each worker on a patch of every module type before it is used (default true). Real time
   * needs it (the first blocks must run optimized code); an offline render does not (no deadline: the JIT
   * warms on the real plan's first blocks), and skipping it saves ~0.4 s of CPU per thread at start-up.
   */
  warm?: boolean;
  /** Crash-loop policy (default: disabled after 3 faults within 10 s). */
  faults?: Partial<Pick<SupervisorOptions, 'maxFaults' | 'windowS'>>;
}

export interface LoadOptions {
  sampleRate: number;
  blockSize: number;
  /** Output ring capacity in blocks (default 64). */
  ringBlocks?: number;
  /**
   * Blocks each worker renders of this plan on a private arena before the first real block, so the
   * JIT has optimized code for these exact shapes (real time: avoids underruns at the start). Default 0.
   */
  warmBlocks?: number;
  /** Bytes reserved per plan region (two regions; live edits alternate). Default 16 MiB or the plan's need. */
  regionBytes?: number;
  /**
   * Hang budget in ms: a module stuck in one `process` call this long is declared hung and its worker
   * replaced. Default: half the output ring's duration, at least 3 ms (so a hang is over before the
   * ring runs dry).
   */
  hangMs?: number;
}

export class Engine {
  private plan: RenderPlan | undefined;
  /** The arena of the loaded patch (workers ≥ 1). */
  private space: Arena | undefined;
  private readonly clock = new EngineClock();
  private nextBlock = 0;
  private runGen = 0;
  private streaming = false;
  private loadOpts: LoadOptions | undefined;
  /** The single-threaded session (workers: 0). */
  private local: OfflineRenderer | undefined;
  /** Fault supervision (workers ≥ 1): reports faults and restarts failed modules while streaming. */
  readonly supervisor: Supervisor | undefined;
  /** What the watchdog saw, per worker it declared hung, until the supervisor reports the fault. */
  private readonly hangs = new Map<number, string>();

  private constructor(
    readonly options: EngineOptions,
    readonly pool: WorkerPool | undefined,
    private readonly watchdog: Watchdog | undefined,
  ) {
    if (!pool) return;
    const engine = this;
    this.supervisor = new Supervisor(
      {
        get plan() {
          return engine.plan;
        },
        get arena() {
          return engine.space;
        },
        pool,
        rewatch: () => this.rewatch(),
        hangReport: (w) => {
          const why = engine.hangs.get(w);
          engine.hangs.delete(w);
          return why;
        },
      },
      { maxFaults: options.faults?.maxFaults ?? 3, windowS: options.faults?.windowS ?? 10 },
    );
  }

  static async start(options: EngineOptions): Promise<Engine> {
    const pool = options.workers > 0 ? await WorkerPool.start(options.workers, options.spares ?? 1, options.warm ?? true) : undefined;
    const watchdog = pool ? await Watchdog.start() : undefined;
    const engine = new Engine(options, pool, watchdog);
    if (watchdog) {
      watchdog.onHung = (w, why) => {
        engine.hangs.set(w, why);
        engine.supervisor?.poke();
      };
    }
    return engine;
  }

  /** Points the watchdog at the current plan and worker threads. Control thread. */
  private rewatch(): void {
    if (this.watchdog && this.space && this.plan && this.pool) this.watchdog.watch(this.space.sab, this.space.layout, this.plan, this.pool.workers.map((w) => w.tid));
  }

  get currentPlan(): RenderPlan | undefined {
    return this.plan;
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
    this.plan = plan;
    this.nextBlock = 0;
    if (!this.pool) {
      this.local = new OfflineRenderer(plan);
      return plan;
    }
    // Isolated modules may need more workers than the pool has (spawned cold, at load time).
    await this.pool.grow(plan.workers);
    const ringBlocks = opts.ringBlocks ?? 64;
    const ringMs = (ringBlocks * opts.blockSize * 1000) / opts.sampleRate;
    const hangMs = Math.max(1, Math.round(opts.hangMs ?? Math.max(3, ringMs / 2)));
    const arena = Arena.create(plan, { ringBlocks, blockSize: opts.blockSize, poolWorkers: this.pool.workers.length, regionBytes: opts.regionBytes ?? 16 * 2 ** 20, hangMs });
    const { sab, layout } = arena;
    this.loadOpts = opts;
    this.streaming = false;
    this.space = arena;
    this.runGen = 0;
    await Promise.all(
      this.pool.workers.map((_, w) =>
        w < plan.workers
          ? this.pool!.request(w, { type: 'load', sab, layout, plan, worker: w, warmBlocks: opts.warmBlocks ?? 0 }, 'loaded')
          : Promise.resolve(this.pool!.send(w, { type: 'unload' })),
      ),
    );
    this.rewatch();
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
   * block to `sink` in order as soon as it is out of the output ring. Blocks the calling thread while
   * the workers run; the calling thread only passes finished blocks on, in batches of half the ring,
   * while the workers fill the other half. A sink that throws stops the workers; the engine then needs
   * a new `load` before it renders again.
   */
  stream(frames: number, sink: BlockSink, onProgress?: (framesDone: number) => void): StreamResult {
    const plan = this.plan;
    if (!plan) throw new Error('no patch loaded');
    if (!this.pool) {
      this.nextBlock += Math.ceil(frames / plan.blockSize);
      return this.local!.stream({ frames, onProgress }, sink);
    }
    const { views, layout } = this.space!;
    const B = plan.blockSize, R = layout.ringBlocks;
    const blocks = Math.ceil(frames / B);
    const first = this.nextBlock, end = first + blocks;
    // One pair of views per ring slot, made once per call: the loop below allocates nothing.
    const slots = Array.from({ length: R }, (_, s) => [views.ring.subarray(s * 2 * B, s * 2 * B + B), views.ring.subarray(s * 2 * B + B, (s + 1) * 2 * B)]);
    const ctrl = views.ctrl;
    Atomics.store(ctrl, Ctrl.WorkersDone, 0);
    Atomics.store(ctrl, Ctrl.RunTo, end);
    Atomics.store(ctrl, Ctrl.RunGen, ++this.runGen);
    this.pool.kick();
    const t0 = process.hrtime.bigint();
    const batch = Math.max(1, R >> 1);
    try {
      for (let b = first; b < end; ) {
        const upto = Math.min(end, b + batch);
        Atomics.store(ctrl, Ctrl.RingWant, upto);
        waitAtLeast(ctrl, Ctrl.RingWritten, upto);
        for (; b < upto; b++) sink.write(slots[b % R], Math.min(B, frames - (b - first) * B));
        publish(ctrl, Ctrl.RingRead, b);
        onProgress?.(Math.min(frames, (b - first) * B));
      }
    } catch (e) {
      this.halt();
      throw e;
    }
    waitAtLeast(ctrl, Ctrl.WorkersDone, plan.workers);
    this.nextBlock = end;
    return { frames, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
  }

  /** Stops an offline render midway (its sink failed): releases every wait and lets the workers finish. */
  private halt(): void {
    const views = this.space?.views, plan = this.plan;
    if (!views || !plan) return;
    const ctrl = views.ctrl;
    publish(ctrl, Ctrl.Stop, 1);
    publish(ctrl, Ctrl.RingRead, 0x7fffffff);
    views.stamps.releaseAll();
    waitAtLeast(ctrl, Ctrl.WorkersDone, plan.workers, 2000);
  }

  /**
   * Real time: lets the workers run indefinitely, paced by the sink taking blocks from the output ring
   * (the device's worklet publishes RingRead). The sink stops taking frames after `frameLimit` frames.
   * Returns immediately.
   */
  startStreaming(frameLimit = 0x7fffffff): void {
    if (!this.pool || !this.space) throw new Error('streaming needs at least one worker and a loaded patch');
    const ctrl = this.space.ctrl;
    Atomics.store(ctrl, Ctrl.SinkLimit, Math.min(0x7fffffff, Math.round(frameLimit)));
    Atomics.store(ctrl, Ctrl.Stop, 0);
    Atomics.store(ctrl, Ctrl.WorkersDone, 0);
    Atomics.store(ctrl, Ctrl.RunTo, 0x7fffffff);
    Atomics.store(ctrl, Ctrl.RingWant, 0x7fffffff); // the device never sleeps on RingWritten
    Atomics.store(ctrl, Ctrl.RunGen, ++this.runGen);
    this.streaming = true;
    this.clock.reset();
    this.supervisor?.start();
    this.pool.kick();
  }

  /**
   * Stops a streaming run at the next block boundary and waits for the workers. Wakes anything asleep
   * in the stamp protocol (the stamps and the ring read counter are released), so no worker can stay
   * blocked on a neighbour that already stopped.
   */
  async stopStreaming(): Promise<void> {
    const views = this.space?.views, plan = this.plan;
    if (!views || !plan || !this.pool) return;
    const ctrl = views.ctrl;
    this.supervisor?.stop();
    publish(ctrl, Ctrl.Stop, 1);
    publish(ctrl, Ctrl.RingRead, 0x7fffffff);
    views.stamps.releaseAll();
    const deadline = Date.now() + 2000;
    while (Atomics.load(ctrl, Ctrl.WorkersDone) < plan.workers && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    this.streaming = false;
  }

  /**
   * Live edit while streaming: installs `patch` at a block boundary without stopping the audio. The new
   * plan is compiled and laid out in the other arena region off the audio path; every worker switches
   * at the same block (SwapAt, chosen past any block a worker may have started); modules that stay keep
   * their worker and their kernel state. Not streaming: same as `load`.
   */
  async applyPatch(patch: Patch, atBlock?: number, beforeSwap?: (atBlock: number) => void): Promise<RenderPlan> {
    const cur = this.plan, space = this.space, opts = this.loadOpts;
    if (!cur || !space || !opts || !this.pool) {
      beforeSwap?.(this.nextBlock);
      return this.load(patch, opts ?? { sampleRate: 48000, blockSize: 128 });
    }
    const previous = new Map(cur.modules.map((m) => [m.id, m.worker]));
    const ids = patch.modules.map((m) => m.id), types = patch.modules.map((m) => m.type);
    const plan = compilePatch(patch, opts, (order, _edges, voices) => stickyPartition(order, ids, types, previous, cur.workers, opts.blockSize, voices));
    const ctrl = space.ctrl;
    // Streaming: a block no worker can have started before it sees SwapAt (see safeBlock). Offline
    // (between render calls): `atBlock` (armed ahead, so the fade-out happens; replay does this), or the
    // next block.
    const at = this.streaming ? space.safeBlock() : Math.max(atBlock ?? this.nextBlock, this.nextBlock);
    const armedAhead = !this.streaming && at > this.nextBlock;
    // The caller's last word before anything changes (the session log is written here, before the
    // edit can be heard); if it throws, the edit is not applied.
    beforeSwap?.(at);
    const next = space.nextRegion(plan, at);
    this.supervisor?.markDisabled(plan, new FaultTable(plan, next.views.buffers, next.views.health));
    const replies = Array.from({ length: plan.workers }, (_, w) => this.pool!.request(w, { type: 'swap', layout: next.layout, plan, worker: w, atBlock: at }, 'swapped'));
    publish(ctrl, Ctrl.SwapAt, at);
    if (armedAhead) {
      // The workers swap when a later render reaches `at`; SwapAt is cleared after that render.
      this.pendingSwap = replies;
    } else {
      this.pool.kick();
      await Promise.all(replies);
      Atomics.store(ctrl, Ctrl.SwapAt, 0x7fffffff);
    }
    this.plan = plan;
    this.space = next;
    this.lastSwapBlock = at;
    this.rewatch();
    return plan;
  }

  /** Block at which the last live edit took effect. */
  lastSwapBlock = 0;
  /** Replies of a swap armed ahead offline (completed during a later render). */
  private pendingSwap: Promise<unknown>[] | undefined;

  /** Offline: after a render that passed an armed swap, wait for the workers' acknowledgements. */
  async settle(): Promise<void> {
    if (!this.pendingSwap || !this.space) return;
    const swapAt = Atomics.load(this.space.ctrl, Ctrl.SwapAt);
    if (this.nextBlock <= swapAt) return;
    await Promise.all(this.pendingSwap);
    this.pendingSwap = undefined;
    Atomics.store(this.space.ctrl, Ctrl.SwapAt, 0x7fffffff);
  }

  /**
   * Sets a param through the owning worker's command ring (no plan rebuild): applied at the start of
   * the next block, or at absolute frame `atFrame` (sample-accurate: the module's block is split there).
   * Control thread only (single producer per ring). Returns false when the ring is full (counted).
   */
  setParam(moduleId: string, param: string, value: number, atFrame = this.nextParamFrame()): boolean {
    const plan = this.plan;
    if (!plan) return false;
    const pos = plan.modules.findIndex((m) => m.id === moduleId);
    if (pos < 0) return false;
    const pm = plan.modules[pos];
    pm.params[param] = value;
    if (!this.space) {
      this.local?.setParam(pos, param, value);
      return true;
    }
    return this.pushRecord(pos, Object.keys(pm.params).indexOf(param), value, atFrame);
  }

  /**
   * True when `moduleId`'s worker ring has room for `records` more records now; false (the records
   * counted as dropped) when it has not or the module is unknown. Control thread: the only producer, so
   * the room seen here is still there when it pushes (the worker only frees records).
   */
  canQueue(moduleId: string, records: number): boolean {
    const pm = this.plan?.modules.find((m) => m.id === moduleId);
    if (!pm) return false;
    const space = this.space;
    if (!space) return true;
    if (space.commandRing(pm.worker).pending() + records <= space.layout.cmdRecords) return true;
    Atomics.add(space.ctrl, Ctrl.CmdDropped, records);
    return false;
  }

  /**
   * Sends an event (Kernel.event, e.g. a MIDI message packed by packMidi) to a module, delivered at
   * absolute frame `atFrame` through the same command ring as param changes (sample-accurate). Control
   * thread only. Returns false when the module is unknown or the ring is full (counted).
   */
  sendEvent(moduleId: string, data: number, atFrame = this.nextParamFrame()): boolean {
    const plan = this.plan;
    if (!plan) return false;
    const pos = plan.modules.findIndex((m) => m.id === moduleId);
    if (pos < 0) return false;
    if (!this.space) {
      this.local?.event(pos, data, atFrame);
      return true;
    }
    return this.pushRecord(pos, EVENT_INDEX, data, atFrame);
  }

  /**
   * A copy of a module's readout area (analysis modules: meter, scope), read from shared memory
   * without locks, or undefined when the module has none. Control thread.
   */
  readModule(moduleId: string): Float32Array | undefined {
    const pm = this.plan?.modules.find((m) => m.id === moduleId);
    if (!pm || pm.readout.floats === 0) return undefined;
    const buffers = this.space ? this.space.views.buffers : this.local?.arena;
    return buffers?.slice(pm.readout.offset, pm.readout.offset + pm.readout.floats);
  }

  /** Queues one command record on the owning worker's ring (single producer: the control thread). */
  private pushRecord(pos: number, index: number, value: number, atFrame: number): boolean {
    const space = this.space!;
    const pm = this.plan!.modules[pos];
    if (space.commandRing(pm.worker).push(atFrame, pos, index, value)) return true;
    Atomics.add(space.ctrl, Ctrl.CmdDropped, 1);
    return false;
  }

  /**
   * Resolves once every param record sent so far has been taken by its worker and one more block has
   * been written to the output ring (so the changes are in the audio). Control thread.
   */
  async drained(timeoutMs = 2000): Promise<void> {
    const space = this.space;
    if (!space || !this.streaming) return;
    const views = space.views;
    const deadline = Date.now() + timeoutMs;
    const rings = Array.from({ length: space.layout.poolWorkers }, (_, w) => space.commandRing(w));
    const heads = rings.map((r) => r.head());
    // A worker declared dead takes nothing until its replacement starts (which then applies its records
    // in order): waiting for it would hold every /sync for as long as a cold replacement takes.
    const dead = (w: number) => w < (this.plan?.workers ?? 0) && space.workerDead(w);
    const pending = () => heads.some((h, w) => !rings[w].taken(h) && !dead(w));
    while (pending() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    const target = Atomics.load(views.ctrl, Ctrl.RingWritten) + 1;
    while (Atomics.load(views.ctrl, Ctrl.RingWritten) < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  }

  /**
   * The frame an untimed param change lands on: the first block no worker can have started (streaming),
   * or the next block to render (offline). Giving every change an exact frame makes sessions replayable.
   */
  nextParamFrame(): number {
    return this.streaming ? this.firstReachableFrame() : this.nextBlock * (this.plan?.blockSize ?? 0);
  }

  /**
   * The engine's clock: the absolute frame that plays at Unix time `t` (seconds), while streaming;
   * undefined before the device has taken its first frames (engine/clock.ts).
   */
  frameAt(t: number): number | undefined {
    const space = this.space, plan = this.plan;
    if (!space || !plan || !this.streaming) return undefined;
    return this.clock.frameAt(t, space.ctrl, plan.sampleRate);
  }

  /** The first frame a param record sent now is sure to reach exactly (see Arena.safeBlock). */
  firstReachableFrame(): number {
    return this.space ? this.space.safeBlock() * this.space.layout.blockSize : 0;
  }

  blockSize(): number {
    return this.plan?.blockSize ?? 128;
  }

  /** Live counters of the device sink (written by the worklet). */
  sinkCounters(): SinkCounters {
    return this.space ? this.space.sinkCounters() : { ...NO_SINK_COUNTERS };
  }

  /** Counters from the arena (written by the workers, read here without locks). */
  stats(): EngineStats {
    const plan = this.plan;
    if (!plan || !this.space) return { blocks: 0, workersUsed: 0, perWorker: [], moduleCpuMs: {}, load: [], blockUs: [] };
    return this.space.stats(plan, this.nextBlock);
  }

  /** Where a module's port views point, asked of the worker that runs it (zero-copy checks). */
  async describe(moduleId: string): Promise<Extract<import('../realtime/worker-entry').FromWorker, { type: 'described' }>> {
    const m = this.plan?.modules.find((x) => x.id === moduleId);
    if (!m || !this.pool) throw new Error(`no module ${moduleId} on a worker`);
    return this.pool.request(m.worker, { type: 'describe', module: moduleId }, 'described');
  }

  get arena(): { sab: SharedArrayBuffer; layout: ArenaLayout } | undefined {
    return this.space;
  }

  async close(): Promise<void> {
    this.supervisor?.stop();
    await this.watchdog?.close();
    await this.pool?.close();
  }
}
