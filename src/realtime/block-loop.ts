/**
 * One worker's share of a plan, run block after block against the shared arena.
 *
 * Stamp protocol. `stamps[p]` counts the blocks module p (plan position) has completed. A module with a
 * cable to or from another worker publishes its stamp after each block (memory/stamps.ts). Before
 * running module m in block b, the worker waits for:
 *   - each producer on another worker: stamps[p] ≥ b + 1 (same block), or ≥ b for a feedback cable
 *     (it reads the producer's previous block);
 *   - each consumer on another worker of m's outputs (those outputs have SLOTS buffers, written at
 *     block % SLOTS): before m overwrites the slot that held block b − SLOTS, the consumer must be done
 *     with it: stamps[c] ≥ b − SLOTS + 1 (same-block consumer) or ≥ b − SLOTS + 2 (feedback consumer).
 * Every wait targets an event strictly earlier in (block, plan position) order, so the protocol cannot
 * deadlock, and workers may drift up to SLOTS − 1 blocks apart, which absorbs jitter without a global
 * barrier.
 * Block numbers are plain numbers here; the shared words (stamps, SwapAt, the ring's counters) hold
 * them wrapped and are compared across the wrap (memory/block-word.ts), so nothing stops at 2³¹ blocks.
 * The output ring (memory/output-ring.ts) bounds everything: block b is started only when its slot is
 * free (b < RingRead + ringBlocks); the output stage writes the slot and publishes RingWritten.
 *
 * Faults (realtime/faults.ts). A wait on a module that is down is skipped (its outputs hold 0 V). The
 * worker stores its heartbeat around every module call (WorkerWord.Running, an Atomics store, and Beat,
 * a plain increment: it is its only writer); the watchdog
 * thread reads it and declares a worker stuck in one call for Ctrl.HangMs dead, which takes its modules
 * down and wakes every wait on them. So no worker waits on a hung or dead one past the hang budget.
 *
 * Its parts, one file each: the stamp tables (cross-waits.ts), the param changes waiting for their
 * block (param-queue.ts), the swap fades (swap-fade.ts), the output ring (memory/output-ring.ts).
 *
 * Construction is not RT-safe; `run` is the audio path: no allocation, no messages, no logging.
 *
 * Length (~320 lines, over the project's ~300): `run` and the waits it makes are one piece of the
 * protocol described above, and the service points (restart, revive, join) must see the same private
 * tables; what could stand alone already does (see "Its parts").
 */
import { ringWorker, type RenderPlan } from '../plan/compile';
import { arenaViews, Ctrl, WorkerStat, WorkerWord, type ArenaLayout, type ArenaViews } from '../memory/layout';
import { SPIN_LOADS } from '../memory/wait';
import { hasRoom, publishWritten, ringSlots, waitForRoom } from '../memory/output-ring';
import { CommandRing } from '../memory/command-ring';
import { isMark, loadMark, unwrapBlock } from '../memory/block-word';
import { FaultTable } from './faults';
import { Runner, type RunnerModule } from './runner';
import { crossWaits } from './cross-waits';
import { ParamQueue } from './param-queue';
import { applySwapFade } from './swap-fade';

export { FADE_BLOCKS } from './swap-fade';

/** Longest sleep of a cross-worker wait before it re-checks the producer's health (ms, integer). */
const WAIT_SLICE_MS = 2;

/**
 * Timing is sampled: one block in TIMING_EVERY is timed (busy and wait time of the worker, plus one
 * module, round-robin), and the figures are scaled up. In Node 20 every performance.now() call
 * allocates (the binding boxes its double), so timing every module of every block would put garbage
 * on the audio path; sampled, it is 4 small allocations per 16 blocks. `timingEvery: 0` turns it off.
 */
export const TIMING_EVERY = 16;

export class BlockLoop {
  readonly views: ArenaViews;
  readonly runner: Runner;
  /** Plan positions of this worker's modules, in order. */
  readonly positions: Int32Array;
  /** Flattened waits (cross-waits.ts): for local module m, pairs (stampIndex, offset) in waitData[waitStart[m] .. waitStart[m+1]). */
  private readonly waitStart: Int32Array;
  private readonly waitData: Int32Array;
  /** Stamp index to publish after local module m, or -1. */
  private readonly publishes: Int32Array;
  /** Plan positions on other workers that read an output of this worker's modules. */
  private readonly consumers: Int32Array;
  /** Local index of the output module, or -1. */
  private readonly outputAt: number;
  /** Local index after which this worker publishes RingWritten, or -1. */
  private readonly ringAt: number;
  private readonly advancesRing: boolean;
  /** The output ring's slots (memory/output-ring.ts): left and right views of slot s. */
  private readonly ringLeft: Float32Array[];
  private readonly ringRight: Float32Array[];
  private readonly statBase: number;
  private readonly moduleStatBase: number;
  /** Health of every plan position (shared). */
  readonly table: FaultTable;
  /** This worker's heartbeat words: workerWords[wordBase + WorkerWord.*]. */
  private readonly wordBase: number;
  private readonly owner: number;

  get ownerId(): number {
    return this.owner;
  }

  /** True once another thread took over this worker index. RT-safe. */
  retired(): boolean {
    return Atomics.load(this.views.workerWords, this.wordBase + WorkerWord.Owner) !== this.owner;
  }

  /** Param changes from this worker's command ring, waiting for their block (param-queue.ts). */
  private readonly params: ParamQueue;

  constructor(
    readonly plan: RenderPlan,
    sab: SharedArrayBuffer,
    readonly layout: ArenaLayout,
    readonly worker: number,
    carry?: ReadonlyMap<string, RunnerModule>,
    /** Block at which this plan replaced the previous one (fade-in starts there), or -1. */
    private readonly startedAt = -1,
    /** Incarnation of this worker index this thread is (WorkerWord.Owner); default: the current one. */
    owner?: number,
  ) {
    this.views = arenaViews(sab, layout);
    const positions: number[] = [];
    plan.modules.forEach((m, p) => {
      if (m.worker === worker) positions.push(p);
    });
    this.positions = Int32Array.from(positions);
    const localOf = new Int32Array(plan.modules.length).fill(-1);
    positions.forEach((p, i) => (localOf[p] = i));
    this.table = new FaultTable(plan, this.views.buffers, this.views.health, this.views.ctrl, this.views.workerWords, this.views.stamps);
    this.runner = new Runner(plan, this.views.buffers, positions, carry, this.table);
    this.wordBase = worker * WorkerWord.Count;
    this.params = new ParamQueue(new CommandRing(this.views.cmdIndex, this.views.cmd, worker, layout.cmdRecords), localOf);
    this.owner = owner ?? Atomics.load(this.views.workerWords, this.wordBase + WorkerWord.Owner);

    // Cross-worker waits and publications (the stamp protocol above).
    ({ waitStart: this.waitStart, waitData: this.waitData, publishes: this.publishes, consumers: this.consumers } = crossWaits(plan, positions));

    this.outputAt = positions.indexOf(plan.output);
    // Without an output module, worker 0 still advances the ring (silent blocks) so the sink never waits;
    // with no modules at all it does so at the end of each block.
    this.advancesRing = ringWorker(plan) === worker;
    this.ringAt = this.outputAt >= 0 ? this.outputAt : this.advancesRing ? positions.length - 1 : -1;
    ({ left: this.ringLeft, right: this.ringRight } = ringSlots(this.views.ring, layout.ringBlocks, layout.blockSize));
    this.statBase = worker * WorkerStat.Count;
    this.moduleStatBase = layout.workers * WorkerStat.Count;
  }

  /** Blocks between timed blocks (0: no timing at all, the loop then allocates nothing). */
  timingEvery = TIMING_EVERY;

  /**
   * Audio path. Runs blocks [from, to) unless Ctrl.Stop is raised; returns the next block to run.
   * `frames` per block is the plan's block size.
   */
  run(from: number, to: number): number {
    const { ctrl, stamps, stats } = this.views;
    const runner = this.runner;
    const B = this.layout.blockSize, R = this.layout.ringBlocks;
    const waitStart = this.waitStart, waitData = this.waitData, publishes = this.publishes;
    const positions = this.positions, n = positions.length;
    const out = this.runner.output;
    const sb = this.statBase, msb = this.moduleStatBase, every = this.timingEvery;
    const words = this.views.workerWords, running = this.wordBase + WorkerWord.Running, beat = this.wordBase + WorkerWord.Beat;
    const ownerWord = this.wordBase + WorkerWord.Owner;
    const service = Atomics.load(ctrl, Ctrl.Service);
    let b = from;
    for (; b < to; b++) {
      if (Atomics.load(ctrl, Ctrl.Stop) !== 0) break;
      // A control message this worker must act on (a module restart): return to the caller, who reads
      // it and calls run again from this block.
      if (Atomics.load(ctrl, Ctrl.Service) !== service) break;
      if (Atomics.load(words, ownerWord) !== this.owner) break;
      // At the swap block the caller installs the new plan, then resumes here (the resumed call starts
      // at that block, hence `b !== from`).
      if (b !== from && isMark(Atomics.load(ctrl, Ctrl.SwapAt), b)) break;
      const params = this.params;
      params.takeDue(b * B, B);
      const dueCount = params.dueCount, due = params.due;
      const timed = every > 0 && b % every === 0;
      const probe = timed && n > 0 ? (b / every) % n : -1;
      const t0 = timed ? performance.now() : 0;
      let waited = 0;
      // Room in the output ring.
      if (!hasRoom(ctrl, b, R)) waited += this.waitRoom(b, timed);
      const outputAt = this.outputAt, ringAt = this.ringAt;
      for (let m = 0; m < n; m++) {
        const w0 = waitStart[m], w1 = waitStart[m + 1];
        if (w0 !== w1) {
          Atomics.store(words, running, -1); // waiting, not running: the watchdog must not count this as module time
          for (let w = w0; w < w1; w += 2) {
            const idx = waitData[w], target = b + waitData[w + 1];
            if (!stamps.reached(idx, target)) waited += this.waitModule(idx, target, timed);
          }
        }
        if (m === outputAt && out) {
          out.left = this.ringLeft[b % R];
          out.right = this.ringRight[b % R];
        }
        // Heartbeat. Running is an Atomics store: it names the module to blame when the worker dies or
        // hangs, and a plain store may be reordered or merged (with plain stores CI once saw a heap
        // exhaustion blamed on no module, "lost"; not proven to be the cause). Beat is a
        // plain increment (this worker is its only writer; the watchdog reads it with Atomics.load):
        // before, an Atomics.add and a second Atomics.store per module made three full barriers.
        Atomics.store(words, running, positions[m]);
        const cursor = dueCount === 0 ? 0 : runner.applyDue(m, b, b * B, due, dueCount);
        if (m === probe) {
          const tm = performance.now();
          runner.runRange(m, b, b * B, cursor, B);
          stats[msb + positions[m]] += (performance.now() - tm) * 1e6 * every * n;
        } else {
          runner.runRange(m, b, b * B, cursor, B);
        }
        words[beat] = words[beat] + 1;
        const pub = publishes[m];
        if (pub >= 0) {
          Atomics.store(words, running, -1);
          stamps.publish(pub, b + 1);
        }
        if (m === outputAt) this.fade(b);
        if (m === ringAt) {
          Atomics.store(words, running, -1);
          publishWritten(ctrl, b + 1);
        }
      }
      Atomics.store(words, running, -1);
      if (n === 0 && this.advancesRing) publishWritten(ctrl, b + 1);
      stats[sb + WorkerStat.Blocks]++;
      if (timed) {
        const total = performance.now() - t0;
        stats[sb + WorkerStat.WaitNs] += waited * 1e6 * every;
        stats[sb + WorkerStat.BusyNs] += (total - waited) * 1e6 * every;
      }
    }
    return b;
  }

  /** Applies the swap fades to block b's ring slot (swap-fade.ts). RT-safe. */
  private fade(b: number): void {
    const R = this.layout.ringBlocks;
    applySwapFade(this.ringLeft[b % R], this.ringRight[b % R], b, loadMark(this.views.ctrl, Ctrl.SwapAt, b), this.startedAt, this.layout.blockSize);
  }

  /** Takes over the param records another loop (the plan this one replaces) still held, by module id. Not RT (swap time). */
  carryPending(from: BlockLoop): void {
    const ids = new Map(this.runner.modules.map((m, i) => [m.id, i]));
    this.params.carryFrom(from.params, (k) => ids.get(from.runner.modules[k].id) ?? -1);
  }

  /**
   * Waits for stamps[idx] ≥ target, unless module idx is or goes down (the watchdog or a fault wakes
   * this wait then). Sleeps in slices so a missed wake-up costs at most one slice. Returns ms waited when
   * timed (else 0). RT-safe.
   */
  private waitModule(idx: number, target: number, timed: boolean): number {
    const stamps = this.views.stamps, ctrl = this.views.ctrl, table = this.table;
    const tw = timed ? performance.now() : 0;
    let spin = true, slept = false;
    for (;;) {
      if (!table.isUp(idx)) {
        table.settle(idx);
        break;
      }
      const r = stamps.waitSlice(idx, target, WAIT_SLICE_MS, spin ? SPIN_LOADS : 0);
      if (r === 0) break;
      slept = true;
      if (r > 0 || Atomics.load(ctrl, Ctrl.Stop) !== 0) break;
      spin = false;
    }
    if (slept) this.views.stats[this.statBase + WorkerStat.Sleeps]++;
    return timed ? performance.now() - tw : 0;
  }

  /**
   * Restarts the modules with these ids that are down (fresh kernels, current params); they run again
   * from block `atBlock` (or the next one when it has passed). Not RT-safe: called by the worker
   * between runs (service point).
   */
  restart(ids: readonly string[], atBlock = 0): string[] {
    const done: string[] = [];
    for (const id of ids) {
      const m = this.runner.indexOf(id);
      if (m >= 0 && !this.runner.isUp(m)) {
        this.runner.restart(m, atBlock);
        done.push(id);
      }
    }
    return done;
  }

  /**
   * A replacement worker taking over a dead one's modules: they start up (fresh kernels, zeroed
   * outputs) except those that stay disabled, and this worker's heartbeat is cleared. The caller has set
   * their stamps to the start block. Not RT-safe (start-up).
   */
  revive(keepDown: readonly string[]): void {
    const words = this.views.workerWords;
    Atomics.store(words, this.wordBase + WorkerWord.Running, -1);
    this.runner.modules.forEach((rm) => {
      if (keepDown.includes(rm.id)) return;
      this.table.zero(rm.position);
      this.table.markUp(rm.position);
    });
    Atomics.store(words, this.wordBase + WorkerWord.Dead, 0);
  }

  /**
   * A replacement worker joins the running stream (its 'start' message): its modules come up (revive)
   * and it runs from `atBlock`, or from a later block when a consumer of its modules on another worker
   * already passed `atBlock` while they were down. Such a consumer read 0 V there (a wait on a module
   * that is down is skipped), so the new thread's output must not be claimed from that block: seen
   * under load, when this message came later than the supervisor's safe-block margin. Once the modules
   * are up, every consumer block not yet begun waits for this worker's stamps; the one a consumer may
   * be inside (its stamp, i.e. blocks completed) may have skipped. So the start is the largest of
   * `atBlock` and each consumer's stamp + 1, and the stamps are published at it: blocks before it read
   * the zeroed outputs. The ring's worker always starts at `atBlock` (a later start would leave ring
   * blocks unwritten). Returns the block it starts at. Not RT-safe (start-up).
   */
  join(atBlock: number, keepDown: readonly string[]): number {
    this.revive(keepDown);
    if (this.advancesRing) return atBlock;
    const stamps = this.views.stamps;
    let at = atBlock;
    for (let k = 0; k < this.consumers.length; k++) at = Math.max(at, unwrapBlock(stamps.value(this.consumers[k]), atBlock) + 1);
    if (at > atBlock) for (let k = 0; k < this.positions.length; k++) stamps.publish(this.positions[k], at);
    return at;
  }

  /** Waits for room in the output ring for block b; counts sleeps; returns ms waited when timed (else 0). RT-safe. */
  private waitRoom(b: number, timed: boolean): number {
    const tw = timed ? performance.now() : 0;
    if (waitForRoom(this.views.ctrl, b, this.layout.ringBlocks) > 0) this.views.stats[this.statBase + WorkerStat.Sleeps]++;
    return timed ? performance.now() - tw : 0;
  }
}
