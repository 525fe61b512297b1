/**
 * The supervisor: watches module health while the engine streams, reports faults and brings modules
 * back. Control thread only; it sleeps on Ctrl.Faults (fault-waker.ts), wakes at once when the
 * watchdog reports a hang or a worker exits, and looks ten times a second anyway. Its events, status
 * and crash-loop policy are in supervision.ts.
 *
 * - A module that threw or output NaN/±Inf on a healthy worker is restarted in place: the worker gets a
 *   `restart` message and a Ctrl.Service bump, makes a fresh kernel with the params the module has, and
 *   runs it again from its next block.
 * - A worker declared hung by the watchdog (realtime/watchdog-entry.ts), or one that exited (heap
 *   exhausted), is terminated; a warm spare loads its modules (fresh kernels,
 *   current params) and joins the stream at the first block no other worker can have reached.
 * - Crash loops back off: a module with `maxFaults` faults within `windowS` seconds stays down
 *   (disabled) until `enable` (OSC /module/enable).
 * Every fault, restart, disable and enable is an event for /notify, the log and /status (FaultLedger,
 * supervision.ts). A hot reload's gapless hand-over of a worker's modules to a new thread is `handover`
 * (its messages: handover.ts).
 *
 * A little over 300 lines for a reason: restart in place, worker replacement and a reload's renew share
 * one view of the plan (its health table, the per-position `handled` flags, the `replacing` guard), and
 * splitting them would put that state behind getters again.
 */
import { ringWorker, type RenderPlan } from '../plan/compile';
import type { PoolWorker } from './pool';
import { Ctrl, WorkerWord } from '../memory/layout';
import { unwrapBlock } from '../memory/block-word';
import { FaultKind, type HealthTable } from '../memory/health';
import { FaultTable } from '../realtime/faults';
import { FaultWaker } from './fault-waker';
import { FaultLedger, type FaultEvent, type FaultStatus, type SupervisorHost, type SupervisorOptions } from './supervision';
import { handOverSeamlessly, type HandoverResult } from './handover';

export type { FaultEvent, FaultStatus, SupervisorHost, SupervisorOptions } from './supervision';
export type { HandoverResult } from './handover';

export class Supervisor {
  /** Counts, downs, disabled modules and the crash-loop history; every event goes out through it. */
  private readonly ledger: FaultLedger;
  private readonly waker = new FaultWaker(
    () => this.host.arena?.views.ctrl,
    () => this.faultsSeen,
    () => this.tick(),
  );
  private plan: RenderPlan | undefined;
  private table: FaultTable | undefined;
  /** Per plan position: 1 once its current fault is being handled. */
  private handled = new Uint8Array(0);
  private faultsSeen = 0;
  private readonly replacing = new Set<number>();
  /**
   * Module ids whose faults are counted and reported but not restarted here: a hot reload's new
   * version on probation (cli/module-reload.ts restores the previous version instead). A held module
   * on a hung or dead worker stays down on the replacement thread until then.
   */
  readonly held = new Set<string>();
  private readonly outOfMemory = new Set<number>();

  constructor(
    private readonly host: SupervisorHost,
    readonly options: SupervisorOptions,
  ) {
    this.ledger = new FaultLedger(options);
    host.pool.onExit = (w, error) => {
      if (error?.code === 'ERR_WORKER_OUT_OF_MEMORY') this.outOfMemory.add(w);
      this.sync();
      this.table?.markWorkerDead(w, this.currentBlock());
      this.tick();
    };
  }

  onEvent(listener: (e: FaultEvent) => void): void {
    this.ledger.onEvent(listener);
  }

  start(): void {
    this.waker.start();
  }

  stop(): void {
    this.waker.stop();
  }

  status(): FaultStatus {
    return this.ledger.status();
  }

  /**
   * Enables a disabled module again (restarted with its params); false when it is not disabled. The
   * fault history is cleared.
   */
  enable(id: string): boolean {
    if (!this.ledger.disabled.has(id)) return false;
    this.ledger.forgive(id);
    this.sync();
    const p = this.plan?.modules.findIndex((m) => m.id === id) ?? -1;
    if (p >= 0) this.restartInPlace(this.plan!.modules[p].worker, [id]);
    return true;
  }

  /** Follows plan swaps: a new plan has fresh health words; disabled modules stay down. */
  private sync(): void {
    const plan = this.host.plan, views = this.host.arena?.views;
    if (!plan || !views || plan === this.plan) return;
    this.plan = plan;
    this.table = new FaultTable(plan, views.buffers, views.health, views.ctrl, views.workerWords);
    this.handled = new Uint8Array(plan.modules.length);
    this.faultsSeen = Atomics.load(views.ctrl, Ctrl.Faults);
    this.ledger.newPlan();
    plan.modules.forEach((m, p) => {
      if (this.ledger.disabled.has(m.id)) this.handled[p] = 1;
    });
  }

  /** Marks the disabled modules of a plan down before it starts (Engine, at a swap). Not RT. */
  markDisabled(plan: RenderPlan, health: HealthTable): void {
    plan.modules.forEach((m, p) => {
      if (this.ledger.disabled.has(m.id)) health.markDisabled(p);
    });
  }

  /** Blocks the output stage has finished, as a block number (past 2³¹ too). */
  private currentBlock(): number {
    return this.host.arena?.blocksWritten() ?? 0;
  }

  /** Checks at once (the watchdog just declared a worker hung). */
  poke(): void {
    this.tick();
  }

  private tick(): void {
    this.sync();
    this.host.arena?.observe(); // keeps its wrapping counters exact (Arena.observe)
    const plan = this.plan, views = this.host.arena?.views;
    if (!plan || !views) return;
    const words = views.workerWords, now = performance.now();
    const seen = Atomics.load(views.ctrl, Ctrl.Faults);
    if (seen !== this.faultsSeen) {
      this.faultsSeen = seen;
      this.scan(now);
    }
    for (let w = 0; w < plan.workers; w++) {
      if (!this.replacing.has(w) && Atomics.load(words, w * WorkerWord.Count + WorkerWord.Dead) !== 0) {
        void this.replace(w).catch((e: Error) => this.emit({ type: 'error', message: `could not replace worker ${w}: ${e.message}` }));
      }
    }
  }

  /** Faults on healthy workers (throw, NaN): report, then restart in place or disable. */
  private scan(now: number): void {
    const plan = this.plan!, health = this.table!, arena = this.host.arena!;
    const restart = new Map<number, string[]>();
    plan.modules.forEach((m, p) => {
      if (this.handled[p] || !health.isDown(p)) return;
      if (arena.workerDead(m.worker)) return; // replace() handles it
      this.handled[p] = 1;
      const kind = health.kind(p);
      if (this.record(m.id, kind, unwrapBlock(health.block(p), this.currentBlock()), now) && !this.held.has(m.id)) restart.set(m.worker, [...(restart.get(m.worker) ?? []), m.id]);
    });
    for (const [w, ids] of restart) this.restartInPlace(w, ids);
  }

  /** Counts a fault; returns false when the module is now disabled (not to be restarted). */
  private record(id: string, kind: FaultKind, block: number, now: number, detail?: string): boolean {
    if (this.ledger.fault(id, kind, block, now, detail)) return true;
    const p = this.plan!.modules.findIndex((m) => m.id === id);
    if (p >= 0) this.table!.setKind(p, FaultKind.Disabled);
    return false;
  }

  private restartInPlace(w: number, ids: string[]): void {
    const pool = this.host.pool, views = this.host.arena!.views;
    // Back at a block no worker has started: consumers on other workers that ran ahead while the
    // module was down (they do not wait for a module that is down) must not have read that block yet,
    // so the module's output returns exactly at the reported frame.
    const reply = pool.request(w, { type: 'restart', ids, atBlock: this.host.arena!.safeBlock() }, 'restarted');
    Atomics.add(views.ctrl, Ctrl.Service, 1);
    pool.kick();
    void reply.then(
      (r) => {
        for (const id of r.ids) this.back(id, r.atBlock, false);
        this.scan(performance.now()); // a module that failed again meanwhile
      },
      () => undefined,
    );
  }

  private back(id: string, block: number, replacedWorker: boolean): void {
    const p = this.plan?.modules.findIndex((m) => m.id === id) ?? -1;
    if (p >= 0) this.handled[p] = 0;
    this.ledger.back(id, block, replacedWorker);
  }

  /**
   * A hung or dead worker: terminate it, report its modules' faults (a thread that died of heap
   * exhaustion reports its running module as `heap`), load its modules on a warm spare and start it at
   * a block no other worker has reached.
   */
  private async replace(w: number, reload = false, given?: PoolWorker): Promise<number | undefined> {
    const host = this.host, plan = this.plan!, table = this.table!;
    this.replacing.add(w);
    if (reload) table.markWorkerDead(w, this.currentBlock()); // its modules go down (silent) until the new thread starts
    const detectedAt = performance.now();
    try {
      // The hung thread is terminated in the background: the replacement does not wait for it. It is
      // retired first (WorkerWord.Owner), so if it was only slow it stops at its next block.
      const words = host.arena!.views.workerWords;
      const owner = Atomics.add(words, w * WorkerWord.Count + WorkerWord.Owner, 1) + 1;
      const { old } = await host.pool.replace(w, given);
      if (old.error?.code === 'ERR_WORKER_OUT_OF_MEMORY') this.outOfMemory.add(w);
      this.ledger.workersReplaced++;
      const keepDown: string[] = [];
      const hangDetail = host.hangReport?.(w);
      for (const p of table.positionsOf(w)) {
        const m = plan.modules[p];
        let kind = table.kind(p);
        if (this.handled[p]) {
          if (this.ledger.disabled.has(m.id)) keepDown.push(m.id);
          continue; // already down before the worker died (restart pending, or disabled)
        }
        if (reload) {
          this.handled[p] = 1; // not a fault: no event, no count
          continue;
        }
        if (kind === FaultKind.Hang && this.outOfMemory.has(w)) {
          kind = FaultKind.Heap;
          table.setKind(p, kind);
        }
        this.handled[p] = 1;
        const detail = kind === FaultKind.Hang ? hangDetail : undefined;
        if (!this.record(m.id, kind, unwrapBlock(table.block(p), this.currentBlock()), detectedAt, detail) || this.held.has(m.id)) keepDown.push(m.id);
      }
      this.outOfMemory.delete(w);
      if (host.plan !== plan) return undefined; // the patch changed meanwhile: the swap rebuilt every worker's modules
      await host.pool.request(w, { type: 'load', sab: host.arena!.sab, layout: host.arena!.layout, plan, worker: w, warmBlocks: 0, owner }, 'loaded');
      // A worker other than the ring's joins at a block no other worker has reached. The ring's worker
      // must go on from the first block it has not published: nothing else advances the ring, so a
      // later block would wait forever for room (the ring only drains what that worker writes).
      const at = w === ringWorker(plan) ? host.arena!.blocksWritten() : host.arena!.safeBlock();
      const stamps = host.arena!.views.stamps;
      for (const p of table.positionsOf(w)) stamps.set(p, at);
      // The thread starts at `at` or later: a consumer on another worker may have passed `at` before
      // the thread read the message (BlockLoop.join); its reply names the block its output returns at.
      const { atBlock: from } = await host.pool.request(w, { type: 'start', atBlock: at, keepDown }, 'started');
      host.rewatch();
      for (const p of table.positionsOf(w)) {
        if (keepDown.includes(plan.modules[p].id)) continue;
        if (reload) this.handled[p] = 0;
        // A module that was down from a fault (a rollback after the new version faulted) is back too.
        if (!reload || this.ledger.isDown(plan.modules[p].id)) this.back(plan.modules[p].id, from, true);
      }
      return from;
    } finally {
      this.replacing.delete(w);
    }
  }

  /**
   * Replaces worker w by a thread started with the user module code installed now (a module file was
   * reloaded: old code cannot be unloaded from a thread). Its modules are silent from the current block
   * and play again, fresh kernels with their params, from the block returned (undefined: the patch
   * changed meanwhile, and the swap rebuilt them). Not a fault: no event, no count. With `forgive` (a
   * rollback to the previous version) its modules' fault history is cleared and disabled ones come back
   * (`enabled`); modules down from a fault are reported `restarted`. `given`: the thread to use (from
   * WorkerPool.spawnFor) instead of a spare. Control thread.
   */
  async renew(w: number, forgive = false, given?: PoolWorker): Promise<number | undefined> {
    this.sync();
    if (!this.plan || w >= this.plan.workers) return undefined;
    while (this.replacing.has(w)) await new Promise((r) => setTimeout(r, 5));
    this.sync();
    if (forgive && this.plan) {
      // A rollback: the faults were the new version's; the restored one starts with a clean history.
      for (const p of this.table!.positionsOf(w)) this.ledger.forgive(this.plan.modules[p].id);
    }
    return this.replace(w, true, given);
  }

  /**
   * Hot reload without a gap: the thread playing worker w hands its modules over to `fresh` (spawned
   * with the user module code installed now, not yet in the pool) at a block edge no worker has
   * reached (handover.ts). Seamless, sample for sample, apart from the module's own new code (fresh
   * kernels, same params). Not a fault: no event, no count. Falls back to `renew` (a gap of a few
   * blocks) when a module of w is down or the worker is being replaced. Control thread.
   */
  async handover(w: number, fresh: PoolWorker, warmBlocks: number): Promise<HandoverResult> {
    this.sync();
    const plan = this.plan, host = this.host, arena = host.arena, pool = host.pool;
    if (!plan || !arena || w >= plan.workers) return { ok: false, reason: 'the patch changed' };
    const positions = this.table!.positionsOf(w);
    if (this.replacing.has(w) || arena.workerDead(w) || positions.some((p) => !this.table!.isUp(p))) {
      pool.discard([fresh]);
      await pool.renewSpares(1); // the replacement's spare must have the new code
      return { ok: true, block: await this.renew(w), seamless: false };
    }
    this.replacing.add(w);
    const withGap = async () => {
      this.replacing.delete(w);
      await pool.renewSpares(1);
      return this.replace(w, true);
    };
    const site = { pool, arena, plan, current: () => host.plan, withGap, error: (message: string) => this.emit({ type: 'error', message }) };
    try {
      const r = await handOverSeamlessly(site, w, fresh, warmBlocks, positions, () => this.ledger.workersReplaced++);
      if (r.ok && r.seamless) host.rewatch();
      return r;
    } catch (e) {
      if (!pool.workers.includes(fresh)) pool.discard([fresh]);
      return { ok: false, reason: (e as Error).message };
    } finally {
      this.replacing.delete(w);
    }
  }

  private emit(e: FaultEvent): void {
    this.ledger.emit(e);
  }
}
