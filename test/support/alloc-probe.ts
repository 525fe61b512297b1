/**
 * Allocation probe for one module type, run in a fresh process by the conformance suite:
 * `node alloc-probe.js TYPE` prints {"gcs": n, "growth": bytes} for 20,000 blocks of 64 frames after a
 * warm-up (the kernel fed lively seeded signals on every input, every output used): the scavenges
 * during the run and the growth of the heap's data spaces. A window with a scavenge or growth in it is
 * measured again, up to 3 times (a late recompilation leaves some metadata behind once; a kernel that
 * allocates, ≥ 16 bytes a block, shows in every window).
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { dataHeapUsed } from '../../bench/heap';
import { findModule } from '../../src/modules';
import { makeBlockIO, makeParams } from '../../src/sdk/block-io';
import { Random } from '../../src/dsp/random';

const B = 64, FRAMES = 4096;


async function main(): Promise<void> {
  const desc = findModule(process.argv[2]);
  if (!desc) throw new Error(`no module type ${process.argv[2]}`);
  const rng = new Random(21);
  const inNames = Object.keys(desc.inputs), outNames = Object.keys(desc.outputs);
  const sources = inNames.map((name) => {
    const kind = desc.inputs[name].signal, x = new Float32Array(FRAMES);
    for (let i = 0; i < FRAMES; i++) x[i] = kind === 'gate' || kind === 'trigger' ? ((i >> 8) % 3 === 0 ? 10 : 0) : kind === 'audio' ? 5 * rng.nextBipolar() : 2 * Math.sin(i / 300) + 0.5 * rng.nextBipolar();
    return x;
  });
  const kernel = desc.create({ sampleRate: 48000, seed: 3, maxBlock: B });
  const inViews = inNames.map(() => new Float32Array(B));
  const io = makeBlockIO(desc, inViews, outNames.map(() => new Float32Array(B)), makeParams(desc, {}), inNames.map(() => true), outNames.map(() => true));
  // Plain copy loops: the harness itself must not allocate (subarray would make a view per block).
  const run = (from: number, blocks: number) => {
    for (let b = from; b < from + blocks; b++) {
      const at = (b * B) % (FRAMES - B);
      for (let k = 0; k < sources.length; k++) {
        const src = sources[k], dst = inViews[k];
        for (let i = 0; i < B; i++) dst[i] = src[at + i];
      }
      kernel.process(io, 0, B, b * B);
    }
  };
  run(0, 4000);
  // Let background compilation finish (interpreted code boxes doubles).
  let done = 4000;
  for (let flat = 0, round = 0; flat < 2 && round < 100; round++) {
    await new Promise((r) => setTimeout(r, 5));
    const before = dataHeapUsed();
    run(done, 1000);
    done += 1000;
    const growth = dataHeapUsed() - before;
    flat = growth >= 0 && growth < 1024 ? flat + 1 : 0;
  }
  // Scavenges (minor GCs) are what allocation on the audio path causes. Major GCs can also start on
  // their own (the idle-time memory reducer, incremental marking finishing through an interrupt).
  const gcs: number[] = [];
  const obs = new PerformanceObserver((list) =>
    list.getEntries().forEach((e) => (e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR && gcs.push(e.startTime)),
  );
  obs.observe({ entryTypes: ['gc'] });
  let during = 0, growth = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    await new Promise((r) => setTimeout(r, 10));
    const before = dataHeapUsed(), t0 = performance.now();
    run(done, 20_000);
    done += 20_000;
    const t1 = performance.now();
    growth = dataHeapUsed() - before;
    await new Promise((r) => setTimeout(r, 30));
    during = gcs.filter((t) => t >= t0 && t <= t1).length;
    if (during === 0 && growth < 16 * 1024) break;
  }
  obs.disconnect();
  process.stdout.write(JSON.stringify({ gcs: during, growth }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
