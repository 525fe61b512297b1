/**
 * Block numbers in shared Int32 words past 2³¹ blocks (memory/block-word.ts), and the words that hold
 * them: completion stamps (memory/stamps.ts), Health.Block (memory/health.ts), the SwapAt and RunTo
 * marks. Every test starts just below the wrap. The stamp protocol runs on two real threads over
 * millions of blocks across the wrap, with a sequence verifier on the data it guards and canaries
 * around the stamps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { BlockCount, Count31, Count32, blockAhead, blockWord, isMark, loadMark, markAhead, markWord, NO_MARK, setMark, unwrapBlock } from '../../src/memory/block-word';
import { STAMP_STRIDE, Stamps } from '../../src/memory/stamps';
import { FaultKind, HealthTable } from '../../src/memory/health';
import { Ctrl, Health } from '../../src/memory/layout';

const WRAP = 2 ** 31;
const CANARY = 0x5a5a5a5a;

test('count words: blockAhead and unwrapBlock are right across the 2³¹ and 2³² wraps', () => {
  for (const base of [0, WRAP - 3, 2 ** 32 - 3, 3 * WRAP + 7, 2 ** 40 - 1]) {
    for (let d = -5; d <= 5; d++) {
      const b = base + d;
      assert.equal(blockAhead(blockWord(b + 2), b), 2, `${b}`);
      assert.equal(blockAhead(blockWord(b), b + 7), -7, `${b}`);
      assert.equal(unwrapBlock(blockWord(b), base), b, `${b}`);
      // What Atomics.store keeps of a plain block number is the same word.
      const w = new Int32Array(1);
      Atomics.store(w, 0, b);
      assert.equal(w[0], blockWord(b));
    }
  }
  assert.ok(blockWord(WRAP + 1) < 0, 'the word really wraps');
});

test('BlockCount reads a wrapping word as a growing block number', () => {
  const c = new BlockCount(WRAP - 10);
  const seen: number[] = [];
  for (let b = WRAP - 10; b < WRAP + 2 ** 32 + 10; b += 2 ** 28 + 1) seen.push(c.read(blockWord(b)));
  seen.forEach((v, i) => assert.equal(v, WRAP - 10 + i * (2 ** 28 + 1)));
  assert.ok(seen.at(-1)! > 2 ** 32, 'past the second wrap');
});

test('Count31 reads a counter kept modulo 2³¹ (the sink\'s frames) as a growing count', () => {
  const c = new Count31();
  let frames = 0;
  for (let i = 0; i < 40; i++) {
    frames += 2 ** 29 + 12345; // about 3 h of frames between two reads
    assert.equal(c.read(frames % 0x80000000), frames);
  }
  assert.ok(frames > 2 ** 34, 'past several wraps');
});

test('Count32 reads an Int32 word bumped with Atomics.add (underruns, dropped params) as a growing count past 2³¹ and 2³²', () => {
  const word = new Int32Array(1);
  const c = new Count32();
  let count = 0;
  for (let i = 0; i < 40; i++) {
    const step = 2 ** 30 + 777; // less than 2³² between two reads
    Atomics.add(word, 0, step);
    count += step;
    assert.equal(c.read(Atomics.load(word, 0)), count);
  }
  assert.ok(count > 2 ** 35, 'past several wraps');
  assert.equal(new Count32().read(-1), 2 ** 32 - 1, 'a first read of a negative word');
});

test('marks: one block or none in a word; equality and distance right past the wrap, never NO_MARK', () => {
  for (const at of [0, 5, WRAP - 1, WRAP, WRAP + 1, 2 ** 32 - 1, 2 ** 32, 5 * WRAP + 3]) {
    assert.notEqual(markWord(at), NO_MARK);
    assert.equal(markWord(at) & 1, 1);
    assert.ok(isMark(markWord(at), at));
    assert.ok(!isMark(markWord(at), at + 1) && !isMark(markWord(at), at - 1));
    for (const d of [-3, -1, 0, 1, 2, 1000]) assert.equal(markAhead(markWord(at), at - d), d, `${at} ${d}`);
  }
  // The old sentinel 0x7fffffff was a real block number: as a mark, no block is "none".
  assert.ok(!isMark(NO_MARK, 0x7fffffff) && !isMark(NO_MARK, WRAP) && !isMark(NO_MARK, 0));
  assert.equal(markAhead(NO_MARK, WRAP), Infinity);
  const ctrl = new Int32Array(Ctrl.Count);
  setMark(ctrl, Ctrl.SwapAt, WRAP + 2);
  assert.equal(loadMark(ctrl, Ctrl.SwapAt, WRAP - 3), WRAP + 2);
  setMark(ctrl, Ctrl.SwapAt, Infinity);
  assert.equal(ctrl[Ctrl.SwapAt], NO_MARK);
  assert.equal(loadMark(ctrl, Ctrl.SwapAt, WRAP), Infinity);
});

test('stamps: reached, waitSlice and releaseAll across the wrap; neighbours and canaries untouched', () => {
  const n = 3;
  const words = new Int32Array(new SharedArrayBuffer(4 * STAMP_STRIDE * (n + 2))).fill(CANARY);
  const stamps = new Stamps(words.subarray(STAMP_STRIDE, STAMP_STRIDE * (n + 1)));
  stamps.words.fill(0);
  stamps.fill(WRAP - 2);
  for (let b = WRAP - 2; b < WRAP + 3; b++) {
    stamps.publish(1, b + 1);
    assert.ok(stamps.reached(1, b + 1) && stamps.reached(1, b) && !stamps.reached(1, b + 2), `${b}`);
    assert.equal(stamps.waitSlice(1, b + 1, 1, 0), 0);
    assert.equal(stamps.waitSlice(1, b + 2, 1, 10), -1, 'not there yet: one slice, then -1');
    assert.equal(unwrapBlock(stamps.value(1), b), b + 1);
  }
  assert.ok(stamps.value(1) < 0, 'the stamp wrapped');
  assert.ok(stamps.reached(0, WRAP - 2) && !stamps.reached(0, WRAP - 1));
  stamps.releaseAll();
  for (let p = 0; p < n; p++) assert.ok(stamps.reached(p, WRAP + 1000), 'released: every near target is reached');
  for (let i = 0; i < STAMP_STRIDE; i++) assert.equal(words[i], CANARY);
  for (let i = STAMP_STRIDE * (n + 1); i < words.length; i++) assert.equal(words[i], CANARY);
  for (let p = 0; p < n; p++) assert.equal(words[STAMP_STRIDE * (p + 1) + 1], 0, 'no waiter left registered');
});

test('health: the block a module went down in is kept past 2³¹ and read back beside the current block', () => {
  const buffers = new Float32Array(8).fill(1);
  const health = new Int32Array(2 * Health.Count);
  const ctrl = new Int32Array(Ctrl.Count);
  const t = new HealthTable({ outputRanges: [[0, 4], [4, 8]], workerOf: [0, 0], workers: 1 }, buffers, health, ctrl);
  const down = WRAP + 5;
  assert.ok(t.markDown(1, FaultKind.Throw, down));
  assert.ok(t.block(1) < 0, 'the stored word wrapped');
  assert.equal(unwrapBlock(t.block(1), down + 300), down);
  assert.deepEqual([...buffers], [1, 1, 1, 1, 0, 0, 0, 0]);
  assert.equal(ctrl[Ctrl.Faults], 1);
});

/**
 * Two threads run the stamp protocol (realtime/block-loop.ts) in miniature over a 2-slot buffer: the
 * producer may write block b's slot only once the consumer's stamp shows it finished block b − 2,
 * and publishes its stamp b + 1 after writing; the consumer waits for the producer's stamp b + 1, reads
 * the slot, checks it holds block b's data, and publishes its own stamp. Run across the 2³¹ wrap.
 */
test('two threads: a million blocks (8 million values) through the stamp protocol across the 2³¹ wrap, in order, none lost, canaries intact', async () => {
  const SLOTS = 4, FRAMES = 8, total = 1_000_000, first = WRAP - 500_000;
  const DATA = 4 + SLOTS * FRAMES + 4, DATA_CANARY = -7.5;
  // [canary line][producer stamp][consumer stamp][canary line] then the slots, then canaries.
  const sab = new SharedArrayBuffer(4 * STAMP_STRIDE * 4 + 8 * DATA);
  const lines = new Int32Array(sab, 0, STAMP_STRIDE * 4).fill(CANARY);
  const data = new Float64Array(sab, 4 * STAMP_STRIDE * 4, DATA).fill(DATA_CANARY);
  const stamps = new Stamps(new Int32Array(sab, 4 * STAMP_STRIDE, STAMP_STRIDE * 2));
  stamps.fill(first);
  const code = `
    const { workerData: w } = require('node:worker_threads');
    const { Stamps, STAMP_STRIDE } = require(w.module);
    const stamps = new Stamps(new Int32Array(w.sab, 4 * STAMP_STRIDE, STAMP_STRIDE * 2));
    const data = new Float64Array(w.sab, 4 * STAMP_STRIDE * 4, w.DATA);
    for (let b = w.first; b < w.first + w.total; b++) {
      const need = b - w.SLOTS + 1; // the consumer finished block b - SLOTS
      while (stamps.waitSlice(1, need, 2, 2000) < 0);
      const at = 4 + (b % w.SLOTS) * w.FRAMES;
      for (let i = 0; i < w.FRAMES; i++) data[at + i] = b * w.FRAMES + i;
      stamps.publish(0, b + 1);
    }`;
  const worker = new Worker(code, { eval: true, workerData: { module: require.resolve('../../src/memory/stamps'), sab, SLOTS, FRAMES, DATA, first, total } });
  const failed = new Promise<never>((_, reject) => worker.on('error', reject));
  let errors = 0;
  const run = async () => {
    for (let b = first; b < first + total; b++) {
      while (stamps.waitSlice(0, b + 1, 2, 2000) < 0);
      const at = 4 + (b % SLOTS) * FRAMES;
      for (let i = 0; i < FRAMES; i++) if (data[at + i] !== b * FRAMES + i) errors++;
      stamps.publish(1, b + 1);
      if (b % 500_000 === 0) await new Promise((r) => setImmediate(r)); // let the error event through
    }
  };
  await Promise.race([run(), failed]);
  await worker.terminate();
  assert.equal(errors, 0, 'every slot held the block it was read for');
  assert.equal(unwrapBlock(stamps.value(0), first + total), first + total);
  assert.equal(unwrapBlock(stamps.value(1), first + total), first + total);
  assert.ok(stamps.value(0) < 0 && first < WRAP && first + total > WRAP, 'the run crossed the wrap');
  for (let i = 0; i < STAMP_STRIDE; i++) assert.equal(lines[i], CANARY);
  for (let i = STAMP_STRIDE * 3; i < STAMP_STRIDE * 4; i++) assert.equal(lines[i], CANARY);
  for (let i = 0; i < 4; i++) assert.equal(data[i], DATA_CANARY, 'canary floats before the slots');
  for (let i = 4 + SLOTS * FRAMES; i < DATA; i++) assert.equal(data[i], DATA_CANARY, 'canary floats after the slots');
});
