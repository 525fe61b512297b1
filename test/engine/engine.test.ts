import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine';
import { BlockCollector } from '../../src/engine/block-sink';
import { Ctrl } from '../../src/memory/layout';
import { loadMark } from '../../src/memory/block-word';
import { parsePatch, validatePatch, type Patch } from '../../src/plan/patch';
import { canonicalPatch } from '../../bench/canonical';
import { feedbackPatch } from '../support/patches';
import { ROOT } from '../support/cli';

const SR = 48000;
const engines: Engine[] = [];
after(async () => {
  for (const e of engines) await e.close();
});

async function engineWith(workers: number): Promise<Engine> {
  const e = await Engine.start({ workers });
  engines.push(e);
  return e;
}

function hash(left: Float32Array, right: Float32Array): string {
  return createHash('sha256').update(Buffer.from(left.buffer)).update(Buffer.from(right.buffer)).digest('hex');
}

function examples(): [string, Patch][] {
  const dir = join(ROOT, 'examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f, parsePatch(readFileSync(join(dir, f), 'utf8'))]);
}

test('engine: output is bit-identical with 0, 1, 2 and 4 workers (every example and the canonical workload)', async () => {
  const patches: [string, Patch, number][] = [
    ...examples().map(([n, p]) => [n, p, SR] as [string, Patch, number]),
    ['canonical-64', validatePatch(canonicalPatch(64)), SR / 2],
  ];
  const byWorkers = await Promise.all([0, 1, 2, 4].map(engineWith));
  for (const [name, patch, frames] of patches) {
    const hashes: string[] = [];
    for (const e of byWorkers) {
      await e.load(patch, { sampleRate: SR, blockSize: 64 });
      const r = e.render(frames);
      hashes.push(hash(r.left, r.right));
    }
    assert.equal(new Set(hashes).size, 1, `${name}: ${hashes.map((h) => h.slice(0, 12)).join(' ')}`);
  }
  // The canonical workload really ran on two workers in the 2-worker engine.
  await byWorkers[2].load(validatePatch(canonicalPatch(64)), { sampleRate: SR, blockSize: 64 });
  assert.equal(byWorkers[2].currentPlan!.workers, 2);
});

test('engine: streamInPieces is one run: the samples of render, `between` after every piece while the workers run on; a `between` that throws stops the render', async () => {
  const patch = validatePatch(canonicalPatch(16));
  const frames = 20_000, piece = 3_000; // pieces of 3,008 frames (47 blocks of 64): 7 pieces, 6 waits
  const [one, two] = await Promise.all([engineWith(0), engineWith(2)]);
  await one.load(patch, { sampleRate: SR, blockSize: 64 });
  const want = one.render(frames);
  for (const e of [one, two]) {
    await e.load(patch, { sampleRate: SR, blockSize: 64 });
    const sink = new BlockCollector(frames);
    let waits = 0;
    const armed: number[] = [];
    const r = await e.streamInPieces(frames, sink, piece, async () => {
      waits++;
      // Worker backend: the run armed is the whole render (313 blocks), not the piece just taken.
      if (e.arena) armed.push(loadMark(new Int32Array(e.arena.sab, e.arena.layout.ctrlOffset, Ctrl.Count), Ctrl.RunTo, 0));
      await new Promise((res) => setTimeout(res, 5));
    });
    assert.equal(r.frames, frames);
    assert.equal(waits, 6);
    assert.deepEqual(armed, e.arena ? new Array(6).fill(Math.ceil(frames / 64)) : []);
    assert.equal(hash(sink.left, sink.right), hash(want.left, want.right), `${e.currentPlan!.workers} worker(s)`);
    // Stopped in the second wait: rejected with that error; the engine renders again after a load.
    await e.load(patch, { sampleRate: SR, blockSize: 64 });
    let calls = 0;
    await assert.rejects(
      e.streamInPieces(frames, new BlockCollector(frames), piece, async () => {
        if (++calls === 2) throw new Error('stopped');
      }),
      /stopped/,
    );
    await e.load(patch, { sampleRate: SR, blockSize: 64 });
    const again = e.render(frames);
    assert.equal(hash(again.left, again.right), hash(want.left, want.right), `${e.currentPlan!.workers} worker(s), after a stopped render`);
  }
});

test('engine: forced splits (every cable crossing workers, feedback across workers) give identical samples', async () => {
  const patch = feedbackPatch();
  const single = await engineWith(0);
  await single.load(patch, { sampleRate: SR, blockSize: 64 });
  const ref = single.render(SR);
  const multi = await engineWith(4);
  for (const split of [(o: readonly number[]) => o.map((_, i) => i % 2), (o: readonly number[]) => o.map((_, i) => i % 4), (o: readonly number[]) => o.map((_, i) => (i < 3 ? 1 : 0))]) {
    const plan = await multi.loadForced(patch, { sampleRate: SR, blockSize: 64 }, split);
    assert.ok(plan.feedback.length === 1 && plan.workers >= 2);
    const r = multi.render(SR);
    assert.equal(hash(r.left, r.right), hash(ref.left, ref.right));
  }
  // Rendering continues across calls exactly as one long render.
  const a = multi.render(SR / 2), b = multi.render(SR / 2);
  await single.load(patch, { sampleRate: SR, blockSize: 64 });
  single.render(SR);
  const whole = single.render(SR);
  assert.deepEqual(Buffer.concat([Buffer.from(a.left.buffer), Buffer.from(b.left.buffer)]), Buffer.from(whole.left.buffer));
});

test('engine: zero copy — a consumer reads its producer’s output in place (same SharedArrayBuffer, same bytes)', async () => {
  const e = await engineWith(2);
  const patch = feedbackPatch();
  const plan = await e.loadForced(patch, { sampleRate: SR, blockSize: 64 }, (o) => o.map((_, i) => i % 2));
  const filt = plan.modules.find((m) => m.id === 'filt')!, mix = plan.modules.find((m) => m.id === 'mix')!;
  assert.notEqual(filt.worker, mix.worker, 'producer and consumer are on different workers');
  e.render(64 * 10); // 10 blocks: the last one used slot 9 % SLOTS
  const producer = await e.describe('filt'), consumer = await e.describe('mix');
  const out = producer.outputs.find((o) => o.name === 'lp')!, inp = consumer.inputs.find((i) => i.name === 'in1')!;
  assert.ok(out.isShared && inp.isShared);
  assert.equal(inp.byteOffset, out.byteOffset, 'the input view starts where the output view starts');
  // And it is the arena the engine owns: the main thread sees through its own view what the consumer read.
  const { sab } = e.arena!;
  assert.equal(new Float32Array(sab, inp.byteOffset, 1)[0], inp.first);
  assert.notEqual(inp.first, 0);
});

test('engine: memory does not grow with the number of blocks rendered', async () => {
  const e = await engineWith(2);
  await e.load(validatePatch(canonicalPatch(16)), { sampleRate: SR, blockSize: 64 });
  const heaps = async () => Promise.all(e.pool!.workers.map((_, w) => e.pool!.request(w, { type: 'heap' }, 'heap')));
  for (let i = 0; i < 5; i++) e.render(SR);
  const rss0 = process.memoryUsage().rss, heap0 = await heaps();
  for (let i = 0; i < 40; i++) e.render(SR); // 30,000 more blocks
  const rss1 = process.memoryUsage().rss, heap1 = await heaps();
  // RSS moves with GC heap sizing; the worker heaps below are the tight check.
  assert.ok(rss1 - rss0 < 48 * 2 ** 20, `RSS grew ${((rss1 - rss0) / 2 ** 20).toFixed(1)} MiB`);
  heap1.forEach((h, w) => assert.ok(h.usedHeap - heap0[w].usedHeap < 4 * 2 ** 20, `worker ${w} heap grew ${h.usedHeap - heap0[w].usedHeap} bytes`));
});

test('engine: loading, adding and removing modules creates no thread (same thread ids, same OS threads)', async () => {
  const tasks = () => readdirSync('/proc/self/task').length;
  const e = await engineWith(2);
  const ids = e.pool!.threadIds, spawned = e.pool!.spawned, threads = tasks();
  for (const voices of [4, 40, 2, 64, 1, 16]) {
    // Voices added and removed between loads; the pool's threads just get new plans.
    await e.load(validatePatch(canonicalPatch(voices)), { sampleRate: SR, blockSize: 128 });
    e.render(SR / 10);
  }
  assert.deepEqual(e.pool!.threadIds, ids);
  assert.equal(e.pool!.spawned, spawned);
  assert.equal(tasks(), threads);
});

test('engine: counters report blocks, time per block, load, and CPU per module', async () => {
  const e = await engineWith(2);
  const plan = await e.loadForced(validatePatch(canonicalPatch(4)), { sampleRate: SR, blockSize: 64 }, (o) => o.map((_, i) => (i < o.length / 2 ? 0 : 1)));
  e.render(SR);
  const s = e.stats();
  assert.equal(plan.workers, 2);
  assert.equal(s.blocks, SR / 64);
  assert.equal(s.workersUsed, 2);
  for (const w of s.perWorker) assert.equal(w.blocks, SR / 64);
  for (const l of s.load) assert.ok(l > 0 && Number.isFinite(l));
  for (const us of s.blockUs) assert.ok(us > 0);
  // Per-module CPU is sampled round-robin (one module per timed block): 23 modules are all covered.
  for (const [id, ms] of Object.entries(s.moduleCpuMs)) assert.ok(ms > 0, `${id} has CPU time`);
});

