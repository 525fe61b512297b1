/**
 * The engine's arena: one SharedArrayBuffer for a loaded patch, its layout and its typed views, with
 * the plan in one of two regions (a live edit lays the next plan out in the other). What the control
 * thread reads and writes there goes through here: the counters the workers and the device publish,
 * the statistics, the command rings, the first block a message sent now can reach. Control thread
 * only; nothing here runs per block.
 */
import type { RenderPlan } from '../plan/compile';
import { arenaViews, Ctrl, layoutEngine, layoutPlan, planBytes, WorkerStat, WorkerWord, type ArenaLayout, type ArenaViews } from '../memory/layout';
import { CommandRing } from '../memory/command-ring';
import { BlockCount, blockWord, Count31, Count32, NO_MARK } from '../memory/block-word';
import { fillConstants } from '../realtime/runner';

/** What a plan's workers measured (read from the arena without locks). */
export interface EngineStats {
  blocks: number;
  workersUsed: number;
  perWorker: { blocks: number; busyMs: number; waitMs: number; sleeps: number }[];
  /** CPU ms per module (sampled one block in 16, scaled), by module id. */
  moduleCpuMs: Record<string, number>;
  /** Mean share of the block period each worker spent processing (0..1 per worker). */
  load: number[];
  /** Mean processing time per block per worker, µs. */
  blockUs: number[];
}

/** Live counters of the device sink (written by the worklet) and the command rings. */
export interface SinkCounters {
  underruns: number;
  framesPlayed: number;
  deviceQuanta: number;
  blocksWritten: number;
  paramsDropped: number;
}

export const NO_SINK_COUNTERS: SinkCounters = { underruns: 0, framesPlayed: 0, deviceQuanta: 0, blocksWritten: 0, paramsDropped: 0 };

export class Arena {
  private constructor(
    readonly sab: SharedArrayBuffer,
    readonly layout: ArenaLayout,
    readonly views: ArenaViews,
    /** The wrapping counters read as growing numbers (shared by both regions' Arena objects). */
    private readonly counts: { read: BlockCount; written: BlockCount; frames: Count31; quanta: Count31; underruns: Count32; dropped: Count32 },
  ) {}

  /**
   * A new arena for `plan`, in region 0, with the control words set for a first run and the plan's
   * constant buffers filled. `hangMs` is the watchdog's budget; `firstBlock` the block the first run
   * starts at (0; tests start the shared counters near their 2³¹ wrap with it).
   */
  static create(plan: RenderPlan, o: { ringBlocks: number; blockSize: number; poolWorkers: number; regionBytes: number; hangMs: number; firstBlock?: number }): Arena {
    const size = { moduleCount: plan.modules.length, workers: plan.workers, bufferFloats: plan.arenaFloats };
    const engineLayout = layoutEngine({ ringBlocks: o.ringBlocks, blockSize: o.blockSize, poolWorkers: o.poolWorkers, regionBytes: Math.max(o.regionBytes, 2 * planBytes(size)) });
    const layout = layoutPlan(engineLayout, 0, size);
    const sab = new SharedArrayBuffer(layout.byteLength);
    const views = arenaViews(sab, layout);
    const first = o.firstBlock ?? 0;
    Atomics.store(views.ctrl, Ctrl.SwapAt, NO_MARK);
    Atomics.store(views.ctrl, Ctrl.RingRead, blockWord(first));
    Atomics.store(views.ctrl, Ctrl.RingWritten, blockWord(first));
    views.stamps.fill(first);
    Atomics.store(views.ctrl, Ctrl.HangMs, o.hangMs);
    for (let w = 0; w < engineLayout.poolWorkers; w++) Atomics.store(views.workerWords, w * WorkerWord.Count + WorkerWord.Running, -1);
    fillConstants(plan, views.buffers);
    return new Arena(sab, layout, views, { read: new BlockCount(first), written: new BlockCount(first), frames: new Count31(), quanta: new Count31(), underruns: new Count32(), dropped: new Count32() });
  }

  /**
   * The same arena with `plan` laid out in the other region, cleared (stamps at `startBlock`), its
   * constants filled. The current plan keeps playing from this region meanwhile. Throws when it does
   * not fit.
   */
  nextRegion(plan: RenderPlan, startBlock: number): Arena {
    const next = layoutPlan(this.layout, 1 - this.layout.region, { moduleCount: plan.modules.length, workers: plan.workers, bufferFloats: plan.arenaFloats });
    const views = arenaViews(this.sab, next);
    views.stamps.fill(startBlock);
    views.health.fill(0);
    views.stats.fill(0);
    views.buffers.fill(0);
    fillConstants(plan, views.buffers);
    return new Arena(this.sab, next, views, this.counts);
  }

  get ctrl(): Int32Array {
    return this.views.ctrl;
  }

  /** Worker w's command ring (single producer: the control thread). */
  commandRing(w: number): CommandRing {
    return new CommandRing(this.views.cmdIndex, this.views.cmd, w, this.layout.cmdRecords);
  }

  /**
   * First block no worker can start before a message sent now is seen. A worker may be rendering any
   * block below RingRead + ringBlocks, and the device can take a whole ring's worth of blocks between
   * this read and the message's arrival (JACK takes a period at once), so one more ring of margin.
   */
  safeBlock(): number {
    return this.blocksRead() + 2 * this.layout.ringBlocks + 1;
  }

  /** Blocks the sink has taken (Ctrl.RingRead) as a block number, right past 2³¹ blocks. Control thread. */
  blocksRead(): number {
    return this.counts.read.read(Atomics.load(this.views.ctrl, Ctrl.RingRead));
  }

  /** Blocks the output stage has finished (Ctrl.RingWritten) as a block number, right past 2³¹. Control thread. */
  blocksWritten(): number {
    return this.counts.written.read(Atomics.load(this.views.ctrl, Ctrl.RingWritten));
  }

  /**
   * Reads every wrapping counter once, so each stays exact however long nobody asks for it (a
   * BlockCount needs a read every 2³¹ blocks, a Count31 every 2³¹ frames). The supervisor calls it on
   * every tick. Control thread.
   */
  observe(): void {
    this.blocksRead();
    this.blocksWritten();
    this.sinkCounters();
  }

  /** True when worker w (of the plan) has been declared dead and not yet replaced. */
  workerDead(w: number): boolean {
    return Atomics.load(this.views.workerWords, w * WorkerWord.Count + WorkerWord.Dead) !== 0;
  }

  sinkCounters(): SinkCounters {
    const ctrl = this.views.ctrl;
    return {
      underruns: this.counts.underruns.read(Atomics.load(ctrl, Ctrl.Underruns)),
      framesPlayed: this.counts.frames.read(Atomics.load(ctrl, Ctrl.SinkFrames)),
      deviceQuanta: this.counts.quanta.read(Atomics.load(ctrl, Ctrl.DeviceQuanta)),
      blocksWritten: this.blocksWritten(),
      paramsDropped: this.counts.dropped.read(Atomics.load(ctrl, Ctrl.CmdDropped)),
    };
  }

  /** The workers' statistics for `plan` (which must be the plan of this region), after `blocks` blocks. */
  stats(plan: RenderPlan, blocks: number): EngineStats {
    const s = this.views.stats;
    const periodMs = (plan.blockSize / plan.sampleRate) * 1000;
    const perWorker = Array.from({ length: plan.workers }, (_, w) => {
      const base = w * WorkerStat.Count;
      return { blocks: s[base + WorkerStat.Blocks], busyMs: s[base + WorkerStat.BusyNs] / 1e6, waitMs: s[base + WorkerStat.WaitNs] / 1e6, sleeps: s[base + WorkerStat.Sleeps] };
    });
    const moduleCpuMs: Record<string, number> = {};
    plan.modules.forEach((m, p) => (moduleCpuMs[m.id] = s[plan.workers * WorkerStat.Count + p] / 1e6));
    return {
      blocks,
      workersUsed: plan.workers,
      perWorker,
      moduleCpuMs,
      blockUs: perWorker.map((w) => (w.blocks ? (w.busyMs * 1000) / w.blocks : 0)),
      load: perWorker.map((w) => (w.blocks ? w.busyMs / w.blocks / periodMs : 0)),
    };
  }
}
