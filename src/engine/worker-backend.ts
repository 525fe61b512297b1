/**
 * The worker backend: plans run on the pre-warmed DSP worker threads (pool.ts) in one shared arena
 * (arena.ts), in real time (streaming, paced by the device) or offline (ring-drain.ts). Owns the pool,
 * the watchdog and the fault supervisor; installs plans, swaps them live at a block edge, queues param
 * and event records on the workers' command rings. Control thread only; nothing here runs per block.
 * Just over 300 lines: each method is the Backend interface's, delegating to those files.
 */
import type { RenderPlan } from '../plan/compile';
import { Ctrl } from '../memory/layout';
import { loadMark, setMark } from '../memory/block-word';
import { EVENT_INDEX } from '../realtime/runner';
import { FaultTable } from '../realtime/faults';
import type { FromWorker } from '../realtime/messages';
import { WorkerPool } from './pool';
import { Supervisor } from './supervisor';
import { Watchdog } from './watchdog';
import { Arena, NO_SINK_COUNTERS, type EngineStats, type SinkCounters } from './arena';
import { EngineClock } from './clock';
import type { Backend } from './backend';
import type { BlockSink, StreamResult } from './block-sink';
import type { EngineOptions, LoadOptions } from './options';
import { armRun, drainRing, drainRingInPieces, releaseWorkers } from './ring-drain';
import { ringAhead, setSinkLimit, streamingConsumer, writtenBlocks } from '../memory/output-ring';

export class WorkerBackend implements Backend {
  plan: RenderPlan | undefined;
  /** The arena of the loaded patch. */
  private space: Arena | undefined;
  private readonly clock = new EngineClock();
  nextBlock = 0;
  private runGen = 0;
  streaming = false;
  private loadOpts: LoadOptions | undefined;
  /** Fault supervision: reports faults and restarts failed modules while streaming. */
  readonly supervisor: Supervisor;
  /** What the watchdog saw, per worker it declared hung, until the supervisor reports the fault. */
  private readonly hangs = new Map<number, string>();
  lastSwapBlock = 0;
  /** Replies of a swap armed ahead offline (completed during a later render). */
  private pendingSwap: Promise<unknown>[] | undefined;

  private constructor(
    readonly pool: WorkerPool,
    private readonly watchdog: Watchdog,
    options: EngineOptions,
  ) {
    const backend = this;
    this.supervisor = new Supervisor(
      {
        get plan() {
          return backend.plan;
        },
        get arena() {
          return backend.space;
        },
        pool,
        rewatch: () => this.rewatch(),
        hangReport: (w) => {
          const why = backend.hangs.get(w);
          backend.hangs.delete(w);
          return why;
        },
      },
      { maxFaults: options.faults?.maxFaults ?? 3, windowS: options.faults?.windowS ?? 10 },
    );
    watchdog.onHung = (w, why) => {
      this.hangs.set(w, why);
      this.supervisor.poke();
    };
  }

  static async start(options: EngineOptions): Promise<WorkerBackend> {
    const pool = await WorkerPool.start(options.workers, options.spares ?? 1, options.warm ?? true);
    const watchdog = await Watchdog.start();
    return new WorkerBackend(pool, watchdog, options);
  }

  get arena(): Arena | undefined {
    return this.space;
  }

  /** Points the watchdog at the current plan and worker threads. */
  private rewatch(): void {
    if (this.space && this.plan) this.watchdog.watch(this.space.sab, this.space.layout, this.plan, this.pool.workers.map((w) => w.tid));
  }

  /** Workers keep their threads; only their plan changes. */
  async install(plan: RenderPlan, opts: LoadOptions): Promise<void> {
    this.plan = plan;
    this.nextBlock = opts.firstBlock ?? 0;
    const pool = this.pool;
    // Isolated modules may need more workers than the pool has (spawned cold, at load time).
    await pool.grow(plan.workers);
    const ringBlocks = opts.ringBlocks ?? 64;
    const ringMs = (ringBlocks * opts.blockSize * 1000) / opts.sampleRate;
    const hangMs = Math.max(1, Math.round(opts.hangMs ?? Math.max(3, ringMs / 2)));
    const arena = Arena.create(plan, { ringBlocks, blockSize: opts.blockSize, poolWorkers: pool.workers.length, regionBytes: opts.regionBytes ?? 16 * 2 ** 20, hangMs, firstBlock: this.nextBlock });
    const { sab, layout } = arena;
    this.loadOpts = opts;
    this.streaming = false;
    this.space = arena;
    this.runGen = 0;
    await Promise.all(
      pool.workers.map((_, w) =>
        w < plan.workers ? pool.request(w, { type: 'load', sab, layout, plan, worker: w, warmBlocks: opts.warmBlocks ?? 0, firstBlock: this.nextBlock }, 'loaded') : Promise.resolve(pool.send(w, { type: 'unload' })),
      ),
    );
    this.rewatch();
  }

  stream(frames: number, sink: BlockSink, onProgress?: (framesDone: number) => void): StreamResult {
    const run = this.armOffline(frames);
    drainRing(run.space, run.workers, run.first, frames, sink, onProgress);
    return this.finishOffline(run);
  }

  async streamInPieces(frames: number, sink: BlockSink, pieceFrames: number, between: () => Promise<void>, onProgress?: (framesDone: number) => void): Promise<StreamResult> {
    const run = this.armOffline(frames);
    await drainRingInPieces(run.space, run.workers, run.first, frames, sink, pieceFrames, between, onProgress);
    return this.finishOffline(run);
  }

  /** Arms the workers for the next `frames` frames offline and kicks them. */
  private armOffline(frames: number): { space: Arena; workers: number; first: number; end: number; frames: number; t0: bigint } {
    const plan = this.plan, space = this.space;
    if (!plan || !space) throw new Error('no patch loaded');
    const first = this.nextBlock, end = first + Math.ceil(frames / plan.blockSize);
    armRun(space.ctrl, end, ++this.runGen);
    this.pool.kick();
    return { space, workers: plan.workers, first, end, frames, t0: process.hrtime.bigint() };
  }

  /** Ends an offline run armed by armOffline: the next one continues from its end. */
  private finishOffline(run: { end: number; frames: number; t0: bigint }): StreamResult {
    this.nextBlock = run.end;
    return { frames: run.frames, seconds: Number(process.hrtime.bigint() - run.t0) / 1e9 };
  }

  startStreaming(frameLimit: number): void {
    if (!this.space) throw new Error('streaming needs at least one worker and a loaded patch');
    if (this.loadOpts?.firstBlock) throw new Error('firstBlock is for offline renders: the device starts at block 0');
    const ctrl = this.space.ctrl;
    setSinkLimit(ctrl, frameLimit);
    Atomics.store(ctrl, Ctrl.Stop, 0);
    Atomics.store(ctrl, Ctrl.WorkersDone, 0);
    setMark(ctrl, Ctrl.RunTo, Infinity); // no end
    streamingConsumer(ctrl); // the device never sleeps on RingWritten
    Atomics.store(ctrl, Ctrl.RunGen, ++this.runGen);
    this.streaming = true;
    this.clock.reset();
    this.supervisor.start();
    this.pool.kick();
  }

  async stopStreaming(): Promise<void> {
    const space = this.space, plan = this.plan;
    if (!space || !plan) return;
    const ctrl = space.ctrl;
    this.supervisor.stop();
    releaseWorkers(space);
    const deadline = Date.now() + 2000;
    while (Atomics.load(ctrl, Ctrl.WorkersDone) < plan.workers && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    this.streaming = false;
  }

  canSwap(): boolean {
    return this.plan !== undefined && this.space !== undefined && this.loadOpts !== undefined;
  }

  /**
   * The new plan is laid out in the other arena region off the audio path; every worker switches at
   * the same block (SwapAt, chosen past any block a worker may have started); modules that stay keep
   * their worker and their kernel state.
   */
  async swap(plan: RenderPlan, atBlock: number | undefined, beforeSwap?: (atBlock: number) => void): Promise<void> {
    const space = this.space!;
    const ctrl = space.ctrl;
    // Streaming: a block no worker can have started before it sees SwapAt (see safeBlock). Offline
    // (between render calls): `atBlock` (armed ahead, so the fade-out happens; replay does this), or the
    // next block.
    const at = this.streaming ? space.safeBlock() : Math.max(atBlock ?? this.nextBlock, this.nextBlock);
    const armedAhead = !this.streaming && at > this.nextBlock;
    // Streaming, SwapAt is published at once, before the slow part (the session log's write, laying out
    // the region, posting the plan: milliseconds, more under load): a worker that reaches the block
    // before its plan arrives waits there for it (worker-entry.ts) instead of running on with the old
    // plan. (Published after those steps, a worker could pass the block unaware and the edit never
    // completed: a `/module/add` with no `/done`, seen in CI under load.)
    if (this.streaming) setMark(ctrl, Ctrl.SwapAt, at);
    // The caller's last word before anything changes (the session log is written here, before the
    // edit can be heard); if it throws, the edit is not applied: SwapAt is withdrawn (it is at least a
    // ring ahead, so no worker has reached its fade yet unless the hook stalled that long).
    try {
      beforeSwap?.(at);
    } catch (e) {
      if (this.streaming) {
        setMark(ctrl, Ctrl.SwapAt, Infinity);
        this.pool.kick();
      }
      throw e;
    }
    const next = space.nextRegion(plan, at);
    this.supervisor.markDisabled(plan, new FaultTable(plan, next.views.buffers, next.views.health));
    const replies = Array.from({ length: plan.workers }, (_, w) => this.pool.request(w, { type: 'swap', layout: next.layout, plan, worker: w, atBlock: at }, 'swapped'));
    setMark(ctrl, Ctrl.SwapAt, at);
    if (armedAhead) {
      // The workers swap when a later render reaches `at`; SwapAt is cleared after that render.
      this.pendingSwap = replies;
    } else {
      this.pool.kick();
      await Promise.all(replies);
      setMark(ctrl, Ctrl.SwapAt, Infinity);
    }
    this.plan = plan;
    this.space = next;
    this.lastSwapBlock = at;
    this.rewatch();
  }

  async settle(): Promise<void> {
    if (!this.pendingSwap || !this.space) return;
    if (this.nextBlock <= loadMark(this.space.ctrl, Ctrl.SwapAt, this.nextBlock)) return;
    await Promise.all(this.pendingSwap);
    this.pendingSwap = undefined;
    setMark(this.space.ctrl, Ctrl.SwapAt, Infinity);
  }

  setParam(position: number, param: string, value: number, atFrame: number): boolean {
    return this.pushRecord(position, Object.keys(this.plan!.modules[position].params).indexOf(param), value, atFrame);
  }

  sendEvent(position: number, data: number, atFrame: number): boolean {
    return this.pushRecord(position, EVENT_INDEX, data, atFrame);
  }

  /** The control thread is the only producer, so the room seen here is still there when it pushes. */
  canQueue(position: number, records: number): boolean {
    const space = this.space;
    if (!space) return true;
    if (space.commandRing(this.plan!.modules[position].worker).pending() + records <= space.layout.cmdRecords) return true;
    Atomics.add(space.ctrl, Ctrl.CmdDropped, records);
    return false;
  }

  /** Queues one command record on the owning worker's ring (single producer: the control thread). */
  private pushRecord(position: number, index: number, value: number, atFrame: number): boolean {
    const space = this.space;
    if (!space) return true;
    if (space.commandRing(this.plan!.modules[position].worker).push(atFrame, position, index, value)) return true;
    Atomics.add(space.ctrl, Ctrl.CmdDropped, 1);
    return false;
  }

  async drained(timeoutMs: number): Promise<void> {
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
    const target = writtenBlocks(views.ctrl) + 1;
    while (ringAhead(writtenBlocks(views.ctrl), target) < 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  }

  buffers(): Float32Array | undefined {
    return this.space?.views.buffers;
  }

  firstReachableFrame(): number {
    return this.space ? this.space.safeBlock() * this.space.layout.blockSize : 0;
  }

  frameAt(t: number): number | undefined {
    const space = this.space, plan = this.plan;
    if (!space || !plan || !this.streaming) return undefined;
    return this.clock.frameAt(t, space.ctrl, plan.sampleRate);
  }

  sinkCounters(): SinkCounters {
    return this.space ? this.space.sinkCounters() : { ...NO_SINK_COUNTERS };
  }

  stats(): EngineStats {
    const plan = this.plan;
    if (!plan || !this.space) return { blocks: 0, workersUsed: 0, perWorker: [], moduleCpuMs: {}, load: [], blockUs: [] };
    return this.space.stats(plan, this.nextBlock);
  }

  /** Where a module's port views point, asked of the worker that runs it (zero-copy checks). */
  describe(position: number): Promise<Extract<FromWorker, { type: 'described' }>> {
    const m = this.plan!.modules[position];
    return this.pool.request(m.worker, { type: 'describe', module: m.id }, 'described');
  }

  async close(): Promise<void> {
    this.supervisor.stop();
    await this.watchdog.close();
    await this.pool.close();
  }
}
