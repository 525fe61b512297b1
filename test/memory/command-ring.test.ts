/**
 * The command ring (memory/command-ring.ts) on its own: fill and order, the Int32 wrap of its
 * positions (counters started just below 2³¹), canaries around the region, and a real two-thread run
 * (a worker thread consuming while this thread produces) with a sequence verifier over four million
 * records that crosses the wrap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { CMD_FIELDS, CommandRing, ringFill, type CommandSink } from '../../src/memory/command-ring';

const CANARY = 0x5a5a5a5a;

/** Two rings (workers 0 and 1) with canary words around the index and record regions. */
function arena(capacity: number) {
  const sab = new SharedArrayBuffer(4 * 8 + 2 * capacity * CMD_FIELDS * 8 + 2 * 64);
  const guard = new Int32Array(sab, 0, 4);
  const index = new Int32Array(sab, 16, 4);
  const records = new Float64Array(sab, 64, 2 * capacity * CMD_FIELDS);
  const tail = new Int32Array(sab, 64 + 2 * capacity * CMD_FIELDS * 8, 16);
  guard.fill(CANARY);
  tail.fill(CANARY);
  return { sab, guard, index, records, tail };
}

class Collect implements CommandSink {
  readonly got: number[][] = [];
  record(frame: number, position: number, param: number, value: number): void {
    this.got.push([frame, position, param, value]);
  }
}

test('ringFill is the wrapping Int32 difference', () => {
  assert.equal(ringFill(5, 3), 2);
  assert.equal(ringFill(-2147483648, 2147483647), 1);
  assert.equal(ringFill(-2147483640, 2147483640), 16);
  assert.equal(ringFill(7, 7), 0);
});

test('push and take in order, refuse when full, across the 2³¹ wrap, canaries intact', () => {
  const cap = 8;
  const a = arena(cap);
  // Start both counters of ring 1 three records below the wrap.
  a.index[2] = a.index[3] = 2147483647 - 3;
  const ring = new CommandRing(a.index, a.records, 1, cap);
  let seq = 0, expect = 0;
  for (let round = 0; round < 50; round++) {
    while (ring.push(seq, 1, 2, seq * 0.5)) seq++;
    assert.equal(ring.pending(), cap, 'full at capacity');
    const c = new Collect();
    const n = ring.take(3 + (round % 5), c);
    for (const [frame, pos, param, value] of c.got) {
      assert.deepEqual([frame, pos, param, value], [expect, 1, 2, expect * 0.5]);
      expect++;
    }
    assert.equal(n, c.got.length);
  }
  assert.ok(a.index[2] < 0, 'head wrapped past 2³¹');
  assert.ok(expect > 100);
  assert.deepEqual([...a.guard], [CANARY, CANARY, CANARY, CANARY]);
  assert.deepEqual([...a.tail], new Array(16).fill(CANARY));
  assert.equal(a.index[0], 0, "ring 0's positions untouched");
  assert.equal(a.index[1], 0);
  for (let i = 0; i < cap * CMD_FIELDS; i++) assert.equal(a.records[i], 0, "ring 0's records untouched");
});

test('a capacity that is not a power of two is refused', () => {
  const a = arena(8);
  assert.throws(() => new CommandRing(a.index, a.records, 0, 6), /power of two/);
});

test('two threads: four million records in order across the wrap, none lost or repeated; canaries and the other ring untouched', async () => {
  const cap = 1024, total = 4_000_000;
  const a = arena(cap);
  a.index[0] = a.index[1] = 2147483647 - 2_000_000; // the wrap falls in the middle of the run
  const done = new Int32Array(new SharedArrayBuffer(8));
  const consumer = new Worker(
    `
    const { workerData } = require('node:worker_threads');
    const { CommandRing } = require(workerData.module);
    const { index, records, done, total, cap } = workerData;
    const ring = new CommandRing(index, records, 0, cap);
    let expect = 0, bad = 0;
    const sink = { record(frame, pos, param, value) {
      if (frame !== expect || pos !== 0 || param !== expect % 7 || value !== -expect) bad++;
      expect++;
    } };
    while (expect < total) { if (ring.take(64, sink) === 0) Atomics.wait(done, 1, 0, 1); }
    Atomics.store(done, 0, bad === 0 ? 1 : -1 - bad);
    `,
    { eval: true, workerData: { module: require.resolve('../../src/memory/command-ring'), index: a.index, records: a.records, done, total, cap } },
  );
  const ring = new CommandRing(a.index, a.records, 0, cap);
  for (let seq = 0; seq < total; ) {
    if (ring.push(seq, 0, seq % 7, -seq)) seq++;
    else await new Promise((r) => setImmediate(r));
  }
  while (Atomics.load(done, 0) === 0) await new Promise((r) => setTimeout(r, 5));
  await consumer.terminate();
  assert.equal(Atomics.load(done, 0), 1, `consumer saw ${-1 - Atomics.load(done, 0)} records out of sequence`);
  assert.equal(ring.pending(), 0);
  assert.deepEqual([...a.guard], [CANARY, CANARY, CANARY, CANARY]);
  assert.deepEqual([...a.tail], new Array(16).fill(CANARY));
  assert.deepEqual([a.index[2], a.index[3]], [0, 0], "ring 1's positions untouched");
  assert.ok(a.records.subarray(cap * CMD_FIELDS).every((v) => v === 0), "ring 1's records untouched");
});
