/**
 * Heap use over many blocks of the real block loop (BlockLoop + kernels), run on this thread after a
 * warm-up: used heap before and after, and the number of garbage collections in between. A loop that
 * allocates nothing triggers no GC and leaves the heap where it was.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { canonicalPatch } from './canonical';
import type { BenchSection } from './report';
import { compilePatch, type RenderPlan } from '../src/plan/compile';
import { validatePatch } from '../src/plan/patch';
import { arenaViews, Ctrl, layoutArena } from '../src/memory/layout';
import { fillConstants } from '../src/realtime/runner';
import { BlockLoop } from '../src/realtime/block-loop';
import { dataHeapUsed } from '../src/user-modules/alloc-probe';

export interface HeapProbe {
  blocks: number;
  heapBefore: number;
  heapAfter: number;
  /** Collections that started inside the measured run. */
  gcs: number;
  /** Each collection inside the run: its kind ('minor', 'major', 'incremental', 'weakcb') and start, ms after the run began. */
  gcLog: string[];
  seconds: number;
}

const GC_KIND: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};


export async function probeHeap(plan: RenderPlan, blocks: number, timingEvery = 0, warmup = 2000): Promise<HeapProbe> {
  const R = 64;
  const layout = layoutArena({ moduleCount: plan.modules.length, workers: 1, bufferFloats: plan.arenaFloats, ringBlocks: R, blockSize: plan.blockSize });
  const sab = new SharedArrayBuffer(layout.byteLength);
  fillConstants(plan, arenaViews(sab, layout).buffers);
  const loop = new BlockLoop(plan, sab, layout, 0);
  loop.timingEvery = timingEvery;
  const ctrl = loop.views.ctrl;
  const runChunked = (from: number, to: number) => {
    for (let b = from; b < to; b += R) {
      loop.run(b, Math.min(to, b + R));
      Atomics.store(ctrl, Ctrl.RingRead, Math.min(to, b + R));
    }
  };
  runChunked(0, warmup);
  // Tiering up is concurrent: on a loaded machine the optimizing compiler's thread may not have
  // installed code yet, and interpreted code boxes every double. Settle first: short windows, with a
  // yield between them so background compile jobs finish, until two windows in a row leave the data
  // heap where it was (or the settle budget runs out; the measured run then shows the allocation).
  let done = warmup;
  for (let flat = 0, round = 0; flat < 2 && round < 100; round++) {
    await new Promise((r) => setTimeout(r, 10));
    const before = dataHeapUsed();
    runChunked(done, done + 1000);
    done += 1000;
    const growth = dataHeapUsed() - before;
    flat = growth >= 0 && growth < 1024 ? flat + 1 : 0;
  }
  // GC entries arrive asynchronously: keep their start times and count those inside the measured run.
  const seen: { start: number; kind: string }[] = [];
  const obs = new PerformanceObserver((list) => list.getEntries().forEach((e) => {
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? -1;
    seen.push({ start: e.startTime, kind: GC_KIND[kind] ?? `kind ${kind}` });
  }));
  obs.observe({ entryTypes: ['gc'] });
  await new Promise((r) => setTimeout(r, 20));
  const heapBefore = dataHeapUsed();
  const t0 = performance.now();
  runChunked(done, done + blocks);
  const t1 = performance.now();
  const heapAfter = dataHeapUsed();
  await new Promise((r) => setTimeout(r, 50)); // let the observer deliver entries
  obs.disconnect();
  const inRun = seen.filter((g) => g.start >= t0 && g.start <= t1);
  return {
    blocks, heapBefore, heapAfter, gcs: inRun.length,
    gcLog: inRun.map((g) => `${g.kind} at ${(g.start - t0).toFixed(1)} ms`), seconds: (t1 - t0) / 1000,
  };
}

export async function heapFlat(blocks: number): Promise<BenchSection> {
  const plan = compilePatch(validatePatch(canonicalPatch(16)), { sampleRate: 48000, blockSize: 64 });
  const rows: (string | number)[][] = [];
  for (const every of [0, 16]) {
    const p = await probeHeap(plan, blocks, every);
    rows.push([every === 0 ? 'off' : `1 block in ${every}`, (p.heapBefore / 1024).toFixed(0), (p.heapAfter / 1024).toFixed(0), p.heapAfter - p.heapBefore, ((p.heapAfter - p.heapBefore) / blocks).toFixed(3), p.gcs]);
  }
  return {
    name: `heap use over ${blocks} blocks after warm-up (canonical workload, 16 voices, block loop on one thread)`,
    settings: { sampleRate: 48000, block: 64, blocks, note: 'timing = the sampled CPU counters (performance.now allocates in Node 20)' },
    columns: ['timing', 'heap before KiB', 'heap after KiB', 'growth bytes', 'bytes/block', 'GCs during run'],
    rows,
  };
}
