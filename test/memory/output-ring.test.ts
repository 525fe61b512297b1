/**
 * The output ring (memory/output-ring.ts) on its own: order and fullness, the Int32 wrap of its block
 * counters (started just below 2³¹, block numbers and frame counts past it), canaries around the ring
 * and untouched control words, the sink's limit past 2³¹ frames (12.4 h at 48 kHz), and real
 * two-thread runs (a worker thread producing as the output stage does, this thread consuming as the
 * device does, then as the offline drain does) with sequence verifiers over millions of frames.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { Ctrl } from '../../src/memory/layout';
import {
  blocksReady,
  hasRoom,
  NO_WANT,
  OutputRingReader,
  publishRead,
  publishWritten,
  readBlocks,
  releaseProducer,
  ringAhead,
  ringFloats,
  ringSlots,
  setSinkLimit,
  sinkLimit,
  slotOffset,
  streamingConsumer,
  waitWritten,
  writtenBlocks,
} from '../../src/memory/output-ring';

const CANARY = -1234.5;
const WRAP = 2 ** 31;

/** Control words and a ring of R blocks of B frames, with canary floats before and after the ring. */
function arena(R: number, B: number) {
  const floats = ringFloats(R, B);
  const sab = new SharedArrayBuffer(Ctrl.Count * 4 + (floats + 32) * 4);
  const ctrl = new Int32Array(sab, 0, Ctrl.Count);
  const before = new Float32Array(sab, Ctrl.Count * 4, 16);
  const ring = new Float32Array(sab, Ctrl.Count * 4 + 64, floats);
  const after = new Float32Array(sab, Ctrl.Count * 4 + 64 + floats * 4, 16);
  before.fill(CANARY);
  after.fill(CANARY);
  const canariesIntact = () => [...before, ...after].every((v) => v === CANARY);
  return { sab, ctrl, ring, canariesIntact };
}

/** The sample a producer writes at absolute frame f (exact in Float32): left, right. */
const sampleL = (f: number) => f % 65536;
const sampleR = (f: number) => -(f % 65521);

/** Control words the ring must never touch. */
function othersZero(ctrl: Int32Array): boolean {
  const ours = [Ctrl.RingRead, Ctrl.RingWritten, Ctrl.RingWant, Ctrl.SinkLimit];
  return [...ctrl].every((v, i) => ours.includes(i) || v === 0);
}

test('ringAhead is the wrapping Int32 difference, also against a plain block number past 2³¹', () => {
  assert.equal(ringAhead(5, 3), 2);
  assert.equal(ringAhead(-2147483648, 2147483647), 1);
  assert.equal(ringAhead(3, 5), -2);
  assert.equal(ringAhead(WRAP + 7 - 2 ** 32, WRAP + 3), 4, 'counter wrapped to negative, block number not');
  assert.equal(ringAhead(2147483647, WRAP + 1), -2);
});

test('slots: block b in slot b mod R, left then right; views cover the ring exactly', () => {
  const { ring } = arena(3, 4);
  const { left, right } = ringSlots(ring, 3, 4);
  assert.equal(left.length, 3);
  for (let s = 0; s < 3; s++) {
    assert.equal(left[s].byteOffset, ring.byteOffset + s * 8 * 4);
    assert.equal(right[s].byteOffset, ring.byteOffset + (s * 8 + 4) * 4);
    assert.equal(left[s].length + right[s].length, 8);
  }
  assert.equal(slotOffset(7, 3, 4), 8);
  assert.equal(slotOffset(WRAP + 1, 3, 4), ((WRAP + 1) % 3) * 8);
});

test('one thread: the producer stops when the ring is full, the reader takes frames in order in odd-sized quanta, across the 2³¹ wrap of both counters; canaries and other control words intact', () => {
  const R = 4, B = 16;
  const a = arena(R, B);
  const { left, right } = ringSlots(a.ring, R, B);
  const first = WRAP - 5; // block numbers run past 2³¹; the counters wrap to negative
  publishRead(a.ctrl, first);
  publishWritten(a.ctrl, first);
  streamingConsumer(a.ctrl);
  const reader = new OutputRingReader(a.ctrl, a.ring, R, B);
  reader.frame = first * B;
  const outL = new Float32Array(37), outR = new Float32Array(37);
  let next = first, expect = first * B;
  const end = first + 400;
  while (expect < end * B) {
    // Produce until full.
    while (next < end && hasRoom(a.ctrl, next, R)) {
      const s = next % R;
      for (let i = 0; i < B; i++) {
        left[s][i] = sampleL(next * B + i);
        right[s][i] = sampleR(next * B + i);
      }
      publishWritten(a.ctrl, next + 1);
      next++;
    }
    assert.ok(next === end || ringAhead(writtenBlocks(a.ctrl), readBlocks(a.ctrl)) === R, 'full: R blocks written and not taken');
    // Take one quantum (it may end inside a block, which stays untaken until its last frame).
    const n = reader.read(outL, outR, 37, Infinity);
    assert.ok(n > 0);
    for (let i = 0; i < n; i++, expect++) {
      if (outL[i] !== sampleL(expect) || outR[i] !== sampleR(expect)) assert.fail(`frame ${expect}: ${outL[i]}, ${outR[i]}`);
    }
    assert.equal(reader.frame, expect);
    assert.equal(ringAhead(readBlocks(a.ctrl), Math.floor(expect / B)), 0, 'RingRead counts the blocks whose last frame was taken');
  }
  assert.equal(reader.read(outL, outR, 37, Infinity), 0, 'empty: nothing more to take');
  assert.ok(writtenBlocks(a.ctrl) < 0 && readBlocks(a.ctrl) < 0, 'both counters wrapped past 2³¹');
  assert.equal(blocksReady(a.ctrl, end), 0);
  assert.ok(a.canariesIntact());
  assert.ok(othersZero(a.ctrl));
});

test('the reader stops at the sink limit; no limit means none, also past 2³¹ frames (12.4 h at 48 kHz)', () => {
  const R = 2, B = 8;
  const a = arena(R, B);
  setSinkLimit(a.ctrl, Infinity);
  assert.equal(sinkLimit(a.ctrl), Infinity);
  setSinkLimit(a.ctrl, 5e12);
  assert.equal(sinkLimit(a.ctrl), Infinity, 'a limit beyond the word is no limit');
  setSinkLimit(a.ctrl, 48000.4);
  assert.equal(sinkLimit(a.ctrl), 48000);
  // The device 2³¹ + 3 frames in: still playing.
  const frame0 = WRAP + 3, block0 = Math.floor(frame0 / B);
  publishRead(a.ctrl, block0);
  const { left } = ringSlots(a.ring, R, B);
  left[block0 % R].fill(0.25);
  publishWritten(a.ctrl, block0 + 1);
  const reader = new OutputRingReader(a.ctrl, a.ring, R, B);
  reader.frame = frame0;
  const outL = new Float32Array(4), outR = new Float32Array(4);
  setSinkLimit(a.ctrl, Infinity);
  assert.equal(reader.read(outL, outR, 4, sinkLimit(a.ctrl)), 4);
  assert.deepEqual([...outL], [0.25, 0.25, 0.25, 0.25]);
  // A limit two frames ahead stops it there.
  assert.equal(reader.read(outL, outR, 4, reader.frame + 1), 1);
});

test('releaseProducer ends a wait for room: RingRead jumps 2³⁰ ahead of RingWritten, past the wrap', () => {
  const a = arena(4, 8);
  publishWritten(a.ctrl, 2147483647 - 2);
  publishRead(a.ctrl, 2147483647 - 6);
  assert.equal(hasRoom(a.ctrl, 2147483647 - 2, 4), false);
  releaseProducer(a.ctrl);
  for (const b of [2147483647 - 2, WRAP + 10]) assert.ok(hasRoom(a.ctrl, b, 4), `room for block ${b}`);
});

/** A worker thread that produces blocks [first, first + total) as the output stage does. */
function producer(sab: SharedArrayBuffer, R: number, B: number, first: number, total: number): Worker {
  return new Worker(
    `
    const { workerData: w } = require('node:worker_threads');
    const { ringSlots, waitForRoom, publishWritten } = require(w.module);
    const ctrl = new Int32Array(w.sab, 0, w.ctrlCount);
    const ring = new Float32Array(w.sab, w.ctrlCount * 4 + 64, w.R * w.B * 2);
    const { left, right } = ringSlots(ring, w.R, w.B);
    for (let b = w.first; b < w.first + w.total; b++) {
      waitForRoom(ctrl, b, w.R);
      const L = left[b % w.R], Rt = right[b % w.R];
      for (let i = 0; i < w.B; i++) { const f = b * w.B + i; L[i] = f % 65536; Rt[i] = -(f % 65521); }
      publishWritten(ctrl, b + 1);
    }
    `,
    { eval: true, workerData: { module: require.resolve('../../src/memory/output-ring'), sab, ctrlCount: Ctrl.Count, R, B, first, total } },
  );
}

test('two threads, the device end: 16 million frames in order across the 2³¹ wrap, none lost or repeated, canaries intact', async () => {
  const R = 64, B = 16, total = 1_000_000;
  const a = arena(R, B);
  const first = WRAP - 500_000; // the wrap falls in the middle of the run
  publishRead(a.ctrl, first);
  publishWritten(a.ctrl, first);
  streamingConsumer(a.ctrl);
  const worker = producer(a.sab, R, B, first, total);
  const reader = new OutputRingReader(a.ctrl, a.ring, R, B);
  reader.frame = first * B;
  const Q = 100; // quanta that end inside blocks
  const outL = new Float32Array(Q), outR = new Float32Array(Q);
  const end = (first + total) * B;
  let expect = first * B, bad = 0, empty = 0;
  while (expect < end) {
    const n = reader.read(outL, outR, Math.min(Q, end - expect), Infinity);
    for (let i = 0; i < n; i++, expect++) if (outL[i] !== sampleL(expect) || outR[i] !== sampleR(expect)) bad++;
    if (n === 0) {
      empty++;
      Atomics.wait(a.ctrl, Ctrl.RingWritten, Atomics.load(a.ctrl, Ctrl.RingWritten), 1); // the device polls; the producer does not notify
    }
  }
  await worker.terminate();
  assert.equal(bad, 0, `${bad} frames out of sequence`);
  assert.equal(expect, end);
  assert.equal(ringAhead(readBlocks(a.ctrl), first + total), 0);
  assert.ok(a.canariesIntact());
  assert.ok(othersZero(a.ctrl));
});

test('two threads, the offline drain: it sleeps for batches (RingWant), one of which ends exactly at the count that equals NO_WANT, and wakes for every one', async () => {
  const R = 8, B = 4, total = 200_000;
  const a = arena(R, B);
  const first = WRAP - 100_000; // even: the batches of 4 end on every 4th count, 2³¹ among them
  assert.equal(WRAP | 0, NO_WANT);
  publishRead(a.ctrl, first);
  publishWritten(a.ctrl, first);
  const worker = producer(a.sab, R, B, first, total);
  const { left, right } = ringSlots(a.ring, R, B);
  let bad = 0;
  for (let b = first; b < first + total; ) {
    const upto = Math.min(first + total, b + (R >> 1));
    waitWritten(a.ctrl, upto);
    for (; b < upto; b++) {
      const L = left[b % R], Rt = right[b % R];
      for (let i = 0; i < B; i++) if (L[i] !== sampleL(b * B + i) || Rt[i] !== sampleR(b * B + i)) bad++;
    }
    publishRead(a.ctrl, b);
  }
  await worker.terminate();
  assert.equal(bad, 0);
  assert.ok(a.canariesIntact());
  assert.ok(othersZero(a.ctrl));
});
