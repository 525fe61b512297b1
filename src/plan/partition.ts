/**
 * Automatic partition of a patch onto workers, with no grouping asked of the user.
 *
 * The compiler's execution order already keeps each chain together (Kahn's algorithm taking the
 * earliest ready module in the file, so a voice written module by module is scheduled module by
 * module). The partitioner cuts that order into contiguous chunks of about equal estimated cost, one
 * per worker: independent chains land on different workers and run in parallel, and the only
 * hand-offs are the few cables that cross a cut (summing mixers, shared clocks). A worker is used only
 * if it gets at least MIN_WORK_NS of estimated work per block: a patch of tiny modules stays on one
 * worker, so it is never slower on several.
 *
 * Modules whose descriptor says `isolated` (fault-prone by design) each get a worker of their own after
 * those, whatever the worker count asked for: a hang or heap exhaustion there costs no other module
 * its state.
 */
import type { Edge } from './compile';
import { findModule } from '../modules';

/**
 * Estimated cost in ns per sample, measured with the engine's own per-module CPU counters on the
 * 2-core machine kind (canonical workload; only the ratios matter). Unknown types count as 30.
 */
export const MODULE_COST_NS: Readonly<Record<string, number>> = {
  vco: 45, vcf: 70, lfo: 32, adsr: 34, vca: 13, mixer: 58, noise: 30, output: 25,
};

/** Below this much estimated work per block, a chunk is not worth a hand-off (~11.5 µs per wake-up). */
export const MIN_WORK_NS = 60_000;

export interface PartitionOptions {
  workers: number;
  blockSize: number;
  types: readonly string[]; // module type by patch index
  /** Voices (polyphonic channels) of each module, by patch index: a 16-voice VCO costs 16 VCOs. */
  voices?: readonly number[];
}

export function partition(order: readonly number[], _edges: readonly Edge[], opts: PartitionOptions): { worker: number[]; workers: number } {
  const cost = (i: number) => (MODULE_COST_NS[opts.types[i]] ?? 30) * opts.blockSize * (opts.voices?.[i] ?? 1);
  const isolated = order.filter((i) => isIsolated(opts.types[i]));
  const shared = order.filter((i) => !isIsolated(opts.types[i]));
  const total = shared.reduce((s, i) => s + cost(i), 0);
  const k = Math.max(1, Math.min(opts.workers, Math.floor(total / MIN_WORK_NS)));
  const worker = new Array<number>(opts.types.length).fill(0);
  let acc = 0;
  for (const i of shared) {
    const w = Math.min(k - 1, Math.floor((acc + cost(i) / 2) / (total / k)));
    worker[i] = w;
    acc += cost(i);
  }
  // `isolated: 'kind'` (user modules by default): one worker per type, shared by its instances.
  const groups = new Map<string, number>();
  for (const i of isolated) {
    const key = findModule(opts.types[i])?.isolated === 'kind' ? `type:${opts.types[i]}` : `module:${i}`;
    if (!groups.has(key)) groups.set(key, k + groups.size);
    worker[i] = groups.get(key)!;
  }
  return { worker, workers: k + groups.size };
}

function isIsolated(type: string): boolean {
  const isolated = findModule(type)?.isolated;
  return isolated === true || isolated === 'kind';
}

/**
 * Placement for a plan that replaces a running one: modules that already run keep their worker (their
 * kernel, and so their state, stays where it is); new modules go to the worker with the least estimated
 * work. The number of workers does not change during a live session.
 */
export function stickyPartition(
  order: readonly number[],
  ids: readonly string[],
  types: readonly string[],
  previous: ReadonlyMap<string, number>,
  workers: number,
  blockSize: number,
  voices?: readonly number[],
): { worker: number[]; workers: number } {
  const cost = (i: number) => (MODULE_COST_NS[types[i]] ?? 30) * blockSize * (voices?.[i] ?? 1);
  const load = new Array<number>(workers).fill(0);
  const worker = new Array<number>(ids.length).fill(0);
  const fresh: number[] = [];
  for (const i of order) {
    const w = previous.get(ids[i]);
    if (w !== undefined && w < workers) {
      worker[i] = w;
      load[w] += cost(i);
    } else fresh.push(i);
  }
  const used = new Set(worker.filter((_, i) => !fresh.includes(i)));
  for (const i of fresh) {
    // An isolated module added live takes an empty worker when there is one (the worker count is
    // fixed for a live session); otherwise it shares, like any module.
    const empty = isIsolated(types[i]) ? load.findIndex((_, w) => !used.has(w)) : -1;
    const w = empty >= 0 ? empty : load.indexOf(Math.min(...load));
    used.add(w);
    worker[i] = w;
    load[w] += cost(i);
  }
  return { worker, workers };
}
