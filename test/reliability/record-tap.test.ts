/**
 * Issue 17, item 3: the record tap never throws. When the control thread is kept away so long that the
 * device's worklet laps the record ring (it writes on regardless), `drain` counts the frames it could
 * not keep in `lostFrames`, puts silence in their place, and the recording stays aligned with the
 * stream: every frame kept is at its own position. The writer here is the worklet's own write (the
 * ring's layout: Float32 stereo interleaved after an Int32 write counter).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordTap } from '../../src/io/device';

/** Writes frames [from, from + n) as the worklet does: sample value = frame number (left), −frame (right). */
function write(tap: RecordTap, from: number, n: number): void {
  const count = new Int32Array(tap.sab, 0, 2), data = new Float32Array(tap.sab, 8, tap.frames * 2);
  let w = Atomics.load(count, 0);
  assert.equal(w, from);
  for (let k = 0; k < n; k++, w++) {
    const at = (w % tap.frames) * 2;
    data[at] = w;
    data[at + 1] = -w;
  }
  Atomics.store(count, 0, w);
}

test('record tap: drained in time, every frame is kept in order', () => {
  const tap = new RecordTap(1000);
  let f = 0;
  for (let i = 0; i < 50; i++) {
    write(tap, f, 128);
    f += 128;
    if (i % 3 === 0) tap.drain();
  }
  tap.drain();
  const [l, r] = tap.channels();
  assert.equal(l.length, f);
  for (let k = 0; k < f; k++) assert.ok(l[k] === k && r[k] === -k, `frame ${k}`);
  assert.equal(tap.lostFrames, 0);
});

test('record tap: a lapped ring is counted and recorded as silence, never thrown; the rest stays aligned', () => {
  const tap = new RecordTap(1000);
  write(tap, 0, 300);
  tap.drain();
  write(tap, 300, 2500); // the control thread away for 2.5 ring lengths
  assert.doesNotThrow(() => tap.drain());
  write(tap, 2800, 200);
  tap.drain();
  const [l, r] = tap.channels();
  assert.equal(l.length, 3000, 'the recording keeps the stream length');
  assert.ok(tap.lostFrames > 0 && tap.lostFrames <= 2500, `lost ${tap.lostFrames}`);
  let silent = 0;
  for (let k = 0; k < 3000; k++) {
    if (l[k] === 0 && r[k] === 0 && k !== 0) silent++;
    else assert.ok(l[k] === k && r[k] === -k, `frame ${k}: ${l[k]}, ${r[k]} (misaligned)`);
  }
  assert.equal(silent, tap.lostFrames, 'the silence is exactly the frames counted lost');
});
