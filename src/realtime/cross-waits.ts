/**
 * The stamp protocol's tables for one worker's share of a plan (the protocol itself is described in
 * block-loop.ts): which stamps each of its modules waits for before a block, which stamp it publishes
 * after it, and which modules of other workers read its outputs. Built once per plan and worker; not
 * RT-safe (allocates); the tables it returns are flat typed arrays the block loop reads per block.
 */
import { SLOTS, type RenderPlan } from '../plan/compile';

export interface CrossWaits {
  /** For local module m, waits are the pairs (stamp index, block offset) in data[start[m] .. start[m+1]). */
  waitStart: Int32Array;
  waitData: Int32Array;
  /** Stamp index to publish after local module m, or -1 (no cable of it crosses workers). */
  publishes: Int32Array;
  /** Plan positions on other workers that read an output of this worker's modules (sorted). */
  consumers: Int32Array;
}

/**
 * Before running module m in block b the worker waits, for each cable crossing workers:
 *  - as its consumer: the producer's stamp ≥ b + 1 (same block), or ≥ b for a feedback cable;
 *  - as its producer: the consumer's stamp ≥ b − SLOTS + 1 (same-block consumer) or ≥ b − SLOTS + 2
 *    (feedback consumer), so the slot that held block b − SLOTS is no longer read.
 * Per stamp only the strictest offset is kept.
 */
export function crossWaits(plan: RenderPlan, positions: readonly number[]): CrossWaits {
  const waits: number[][] = positions.map(() => []);
  const crosses = new Uint8Array(plan.modules.length);
  plan.modules.forEach((m, p) => {
    m.inputs.forEach((inp) => {
      if (inp.from >= 0 && plan.modules[inp.from].worker !== m.worker) {
        crosses[p] = 1;
        crosses[inp.from] = 1;
      }
    });
  });
  const local = new Map(positions.map((p, i) => [p, i]));
  const consumers = new Set<number>();
  plan.modules.forEach((m, p) => {
    m.inputs.forEach((inp) => {
      if (inp.from < 0) return;
      const producer = plan.modules[inp.from];
      if (producer.worker === m.worker) return;
      // Consumer side: wait for the producer's block.
      const mi = local.get(p);
      if (mi !== undefined) waits[mi].push(inp.from, inp.lag === 0 ? 1 : 0);
      // Producer side: do not overwrite a slot the consumer may still read.
      const pi = local.get(inp.from);
      if (pi !== undefined) {
        waits[pi].push(p, inp.lag === 0 ? 1 - SLOTS : 2 - SLOTS);
        consumers.add(p);
      }
    });
  });
  const waitStart = new Int32Array(positions.length + 1);
  const flat: number[] = [];
  waits.forEach((w, i) => {
    waitStart[i] = flat.length;
    flat.push(...dedupeWaits(w));
  });
  waitStart[positions.length] = flat.length;
  return {
    waitStart,
    waitData: Int32Array.from(flat),
    publishes: Int32Array.from(positions.map((p) => (crosses[p] ? p : -1))),
    consumers: Int32Array.from([...consumers].sort((a, b) => a - b)),
  };
}

/** Keeps, per stamp index, only the strictest (largest) offset. */
function dedupeWaits(pairs: number[]): number[] {
  const best = new Map<number, number>();
  for (let i = 0; i < pairs.length; i += 2) best.set(pairs[i], Math.max(best.get(pairs[i]) ?? -Infinity, pairs[i + 1]));
  return [...best.entries()].sort((a, b) => a[0] - b[0]).flat();
}
