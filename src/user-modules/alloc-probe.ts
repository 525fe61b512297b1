/**
 * The allocation probe: does a per-block function allocate? It is run for `WARMUP_BLOCKS`, then in
 * short windows until two in a row leave the heap's data spaces where they were (background compilation
 * has finished: interpreted code boxes doubles), then measured over a window of MEASURED_BLOCKS: the
 * scavenges (minor GCs: what allocation on the audio path causes) inside it and the growth of the
 * data spaces. A window with a scavenge or growth in it is measured again, up to 3 times (a late
 * recompilation leaves some metadata behind once; a kernel that allocates, ≥ 16 bytes a block, shows
 * in every window). Used by module-test's no-allocation check (conformance.ts, in its worker thread)
 * and by the built-in modules' conformance test (test/support/alloc-probe.ts, in a fresh process).
 * Not RT: it measures; run it on a thread of its own.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

export const WARMUP_BLOCKS = 4000;
export const MEASURED_BLOCKS = 20_000;
/** Heap growth over the measured window at or above which a block function allocates. */
export const GROWTH_LIMIT_BYTES = 16 * 1024;

export interface AllocationProbe {
  /** Scavenges during the last measured window. */
  gcs: number;
  /** Growth of the heap's data spaces over it, bytes. */
  growth: number;
}

/** Used bytes of the heap's data spaces (code spaces excluded: optimized code is not garbage). */
export function dataHeapUsed(): number {
  return getHeapSpaceStatistics()
    .filter((s) => !s.space_name.startsWith('code'))
    .reduce((sum, s) => sum + s.space_used_size, 0);
}

/**
 * Probes `run(from, blocks)` (runs blocks [from, from + blocks), allocating nothing itself). `now` is
 * the clock to time windows with (the module-test worker passes one taken before its traps are set).
 */
export async function probeAllocation(run: (from: number, blocks: number) => void, now: () => number = () => performance.now()): Promise<AllocationProbe> {
  run(0, WARMUP_BLOCKS);
  let done = WARMUP_BLOCKS;
  for (let flat = 0, round = 0; flat < 2 && round < 100; round++) {
    await new Promise((r) => setTimeout(r, 5));
    const before = dataHeapUsed();
    run(done, 1000);
    done += 1000;
    const growth = dataHeapUsed() - before;
    flat = growth >= 0 && growth < 1024 ? flat + 1 : 0;
  }
  // Major GCs can also start on their own (the idle-time memory reducer, incremental marking
  // finishing through an interrupt): only scavenges count.
  const gcs: number[] = [];
  const obs = new PerformanceObserver((list) =>
    list.getEntries().forEach((e) => (e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR && gcs.push(e.startTime)),
  );
  obs.observe({ entryTypes: ['gc'] });
  let during = 0, growth = 0;
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      await new Promise((r) => setTimeout(r, 10));
      const before = dataHeapUsed(), t0 = now();
      run(done, MEASURED_BLOCKS);
      done += MEASURED_BLOCKS;
      const t1 = now();
      growth = dataHeapUsed() - before;
      await new Promise((r) => setTimeout(r, 30)); // GC entries arrive asynchronously
      during = gcs.filter((t) => t >= t0 && t <= t1).length;
      if (during === 0 && growth < GROWTH_LIMIT_BYTES) break;
    }
  } finally {
    obs.disconnect();
  }
  return { gcs: during, growth };
}
