/**
 * The health record (memory/health.ts) on its own: taking a module down zeroes exactly its output
 * ranges (canaries around them untouched), records why and when, and has one winner; a dead worker
 * takes down its modules (the running one as a hang, the others as lost) exactly once, also when two
 * threads race to declare it; disabled and up are what the supervisor and the worker write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { FaultKind, HealthState, HealthTable, type HealthShape } from '../../src/memory/health';
import { Ctrl, Health, WorkerWord } from '../../src/memory/layout';

// Three positions: 0 and 1 on worker 0, 2 on worker 1. Position 0 uses floats [4, 8) and [12, 14),
// position 1 [20, 24), position 2 [28, 30); every other float is a canary.
const SHAPE: HealthShape = { outputRanges: [[4, 8, 12, 14], [20, 24], [28, 30]], workerOf: [0, 0, 1], workers: 2 };
const CANARY = 7.25;

function arena() {
  const sab = new SharedArrayBuffer(32 * 4 + 3 * Health.Count * 4 + Ctrl.Count * 4 + 2 * WorkerWord.Count * 4);
  const buffers = new Float32Array(sab, 0, 32).fill(CANARY);
  const health = new Int32Array(sab, 32 * 4, 3 * Health.Count);
  const ctrl = new Int32Array(sab, 32 * 4 + health.byteLength, Ctrl.Count);
  const words = new Int32Array(sab, ctrl.byteOffset + ctrl.byteLength, 2 * WorkerWord.Count);
  return { sab, buffers, health, ctrl, words, table: new HealthTable(SHAPE, buffers, health, ctrl, words) };
}

const zeroed = (b: Float32Array) => [...b.keys()].filter((i) => b[i] === 0);

test('markDown zeroes exactly the outputs of that position, records kind and block, once', () => {
  const { buffers, ctrl, table } = arena();
  assert.ok(table.isUp(0));
  assert.equal(table.markDown(0, FaultKind.Throw, 77), true);
  assert.deepEqual(zeroed(buffers), [4, 5, 6, 7, 12, 13]);
  assert.ok(table.isDown(0) && !table.isUp(0));
  assert.equal(table.kind(0), FaultKind.Throw);
  assert.equal(table.block(0), 77);
  assert.equal(Atomics.load(ctrl, Ctrl.Faults), 1);
  assert.equal(table.markDown(0, FaultKind.NonFinite, 90), false, 'already down: the first fault stands');
  assert.equal(table.kind(0), FaultKind.Throw);
  assert.equal(Atomics.load(ctrl, Ctrl.Faults), 1);
  assert.ok(table.isUp(1) && table.isUp(2));
  table.markUp(0);
  assert.ok(table.isUp(0));
});

test('markWorkerDead: the running module goes down as a hang, the others on that worker as lost; one winner', () => {
  const { buffers, words, table } = arena();
  Atomics.store(words, 0 * WorkerWord.Count + WorkerWord.Running, 1);
  assert.equal(table.markWorkerDead(0, 5), true);
  assert.equal(table.markWorkerDead(0, 6), false);
  assert.equal(table.kind(0), FaultKind.Lost);
  assert.equal(table.kind(1), FaultKind.Hang);
  assert.ok(table.isUp(2), 'the other worker is untouched');
  assert.deepEqual(zeroed(buffers), [4, 5, 6, 7, 12, 13, 20, 21, 22, 23]);
  assert.deepEqual(table.positionsOf(0), [0, 1]);
  assert.equal(table.markWorkerDead(7, 5), false, 'no such worker');
});

test('markDisabled and setKind are what the supervisor writes', () => {
  const { health, table } = arena();
  table.markDisabled(2);
  assert.equal(Atomics.load(health, 2 * Health.Count), HealthState.Down);
  assert.equal(table.kind(2), FaultKind.Disabled);
  table.markDown(1, FaultKind.Hang, 3);
  table.setKind(1, FaultKind.Heap);
  assert.equal(table.kind(1), FaultKind.Heap);
});

test('two threads racing to declare a worker dead and take its modules down: exactly one fault each', async () => {
  for (let round = 0; round < 20; round++) {
    const { sab, ctrl, table } = arena();
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      const { HealthTable } = require(${JSON.stringify(join(__dirname, '../../src/memory/health.js'))});
      const { sab, shape, off } = workerData;
      const buffers = new Float32Array(sab, 0, 32), health = new Int32Array(sab, off.health, off.healthLen);
      const ctrl = new Int32Array(sab, off.ctrl, off.ctrlLen), words = new Int32Array(sab, off.words, off.wordsLen);
      const t = new HealthTable(shape, buffers, health, ctrl, words);
      parentPort.postMessage([t.markWorkerDead(0, 9), t.markDown(2, 1, 9)]);`;
    const off = { health: 32 * 4, healthLen: 3 * Health.Count, ctrl: ctrl.byteOffset, ctrlLen: Ctrl.Count, words: ctrl.byteOffset + ctrl.byteLength, wordsLen: 2 * WorkerWord.Count };
    const w = new Worker(code, { eval: true, workerData: { sab, shape: SHAPE, off } });
    const theirs = new Promise<boolean[]>((resolve) => w.once('message', resolve));
    const mine = [table.markWorkerDead(0, 9), table.markDown(2, FaultKind.Throw, 9)];
    const other = await theirs;
    await w.terminate();
    assert.equal(Number(mine[0]) + Number(other[0]), 1, 'one thread declared the worker dead');
    assert.equal(Number(mine[1]) + Number(other[1]), 1, 'one thread took position 2 down');
    assert.equal(Atomics.load(ctrl, Ctrl.Faults), 3, 'three positions, three faults');
  }
});
