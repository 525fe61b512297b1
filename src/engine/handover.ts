/**
 * A hot reload's hand-over without a gap, as the messages it takes (Supervisor.handover decides when
 * to try it and what to fall back to). The successor thread, spawned with the new user module code,
 * loads worker w's share of the plan and warms it on a private arena; then the thread playing w runs up
 * to a block edge no worker has reached and stops there (WorkerWord.Owner passes to the successor),
 * and the successor runs from that block: no block skipped, none silent. Control thread.
 */
import type { RenderPlan } from '../plan/compile';
import { Ctrl, WorkerWord } from '../memory/layout';
import type { Arena } from './arena';
import type { PoolWorker, WorkerPool } from './pool';

/** Longest a hot reload's new thread waits for the old one to hand over (ms). */
export const TAKEOVER_MS = 2000;

/** A hot reload's hand-over (Supervisor.handover): the block the new code plays from, or why not. */
export type HandoverResult = { ok: true; block: number | undefined; seamless: boolean } | { ok: false; reason: string };

/** What a hand-over works on: the engine's pool and arena, the plan playing, and how it may end. */
export interface HandoverSite {
  readonly pool: WorkerPool;
  readonly arena: Arena;
  readonly plan: RenderPlan;
  /** The plan playing now (a reload is refused when it is no longer `plan`). */
  current(): RenderPlan | undefined;
  /** Starts worker w with the new code the way a replacement starts, with a gap; the block it plays from. */
  withGap(): Promise<number | undefined>;
  /** Reports a problem (the supervisor's `error` event). */
  error(message: string): void;
}

/**
 * Hands worker w's modules (plan positions `positions`) over to `fresh`, a thread spawned with the
 * new user module code: the whole sequence above, with the fallbacks. Refused (ok: false, nothing
 * changed) when a module faults while warming or the patch changed; when the old thread does not
 * hand over in time, `withGap` starts the modules instead (seamless: false). Returns with the old
 * thread discarded. Counts nothing: the caller counts the replaced worker when `handed` is called.
 */
export async function handOverSeamlessly(site: HandoverSite, w: number, fresh: PoolWorker, warmBlocks: number, positions: readonly number[], handed: () => void): Promise<HandoverResult> {
  const { pool, arena, plan } = site;
  const refused = await loadSuccessor(pool, arena, plan, w, fresh, warmBlocks, site.current);
  if (refused) {
    pool.discard([fresh]);
    return { ok: false, reason: refused };
  }
  const { atBlock, old, started } = await handOver(pool, arena, plan, w, fresh, positions);
  handed();
  try {
    await started;
  } catch (e) {
    pool.discard([old]);
    // No hand-over came (the engine stops, or the old thread died meanwhile): start it the way a
    // replacement starts, with a gap.
    if (Atomics.load(arena.views.ctrl, Ctrl.Stop) !== 0) return { ok: false, reason: (e as Error).message };
    site.error(`worker ${w}: the hot reload's hand-over did not happen (${(e as Error).message}); replacing it with a gap`);
    return { ok: true, block: await site.withGap(), seamless: false };
  }
  pool.discard([old]); // idle since the hand-over
  return { ok: true, block: atBlock, seamless: true };
}

/**
 * Loads worker w's share of `plan` on `fresh` (as the next owner of index w) and warms it there.
 * Returns why the new code is refused (a module faulted in its warm-up blocks, or `current()` is no
 * longer `plan`: the patch changed meanwhile), else undefined. The playing thread is untouched either way.
 */
async function loadSuccessor(pool: WorkerPool, arena: Arena, plan: RenderPlan, w: number, fresh: PoolWorker, warmBlocks: number, current: () => RenderPlan | undefined): Promise<string | undefined> {
  const owner = Atomics.load(arena.views.workerWords, w * WorkerWord.Count + WorkerWord.Owner) + 1;
  const loaded = await pool.requestOn(fresh, { type: 'load', sab: arena.sab, layout: arena.layout, plan, worker: w, warmBlocks, owner, warmOwn: true }, 'loaded');
  if (loaded.warmFaults?.length) return `faulted in its first blocks on the patch (warm-up, before the swap): ${loaded.warmFaults.join(', ')}`;
  return current() !== plan ? 'the patch changed during the reload' : undefined;
}

/**
 * Stops the thread playing worker w at a block edge no worker has reached (Arena.safeBlock), or at the
 * block it is at if that is later, and installs `fresh` (loaded by loadSuccessor) as worker w, to run
 * from that block with the params the modules at `positions` have now (they may have changed while
 * the old thread played on). Returns that block, the old thread (idle from then on: discard it once
 * the successor runs) and the successor's `started` reply, which rejects when the hand-over did not
 * come within TAKEOVER_MS.
 */
async function handOver(pool: WorkerPool, arena: Arena, plan: RenderPlan, w: number, fresh: PoolWorker, positions: readonly number[]): Promise<{ atBlock: number; old: PoolWorker; started: Promise<unknown> }> {
  // The old thread reads 'handover' at its next block (Ctrl.Service makes it look).
  const handing = pool.request(w, { type: 'handover', atBlock: arena.safeBlock() }, 'handing');
  Atomics.add(arena.views.ctrl, Ctrl.Service, 1);
  pool.kick();
  const { atBlock } = await handing;
  // From here messages for worker w go to the new thread (it reads them once it runs).
  const params = Object.fromEntries(positions.map((p) => [plan.modules[p].id, { ...plan.modules[p].params }]));
  const started = pool.requestOn(fresh, { type: 'takeover', atBlock, waitMs: TAKEOVER_MS, params }, 'started');
  const old = pool.install(w, fresh);
  return { atBlock, old, started };
}
