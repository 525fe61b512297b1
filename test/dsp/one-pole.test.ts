import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cutoffCoef, SMOOTH_SECONDS, smoothingCoef } from '../../src/dsp/one-pole';

/** The step the kernels write inline. */
const onePole = (y: number, x: number, a: number) => y + (x - y) * a;

const SR = 48000;

test('smoothingCoef: a step reaches 1 − 1/e after the time constant, and the smoother has unity gain at DC', () => {
  const a = smoothingCoef(SMOOTH_SECONDS, SR);
  let y = 0;
  const n = Math.round(SMOOTH_SECONDS * SR); // 240 samples
  for (let i = 0; i < n; i++) y = onePole(y, 1, a);
  assert.ok(Math.abs(y - (1 - Math.exp(-1))) < 1e-3, `after ${n} samples: ${y}`);
  for (let i = 0; i < 100 * n; i++) y = onePole(y, 1, a);
  assert.ok(Math.abs(1 - y) < 1e-12, `settles on a constant target (unity gain at DC): ${y}`);
  assert.equal(onePole(3, 3, a), 3);
  assert.equal(onePole(0, 2, 1), 2, 'a = 1 follows at once');
});

test('cutoffCoef: the one-pole low-pass is 3 dB down at its cutoff (100 Hz and 1 kHz at 48 kHz)', () => {
  for (const fc of [100, 1000]) {
    const a = cutoffCoef(fc, SR);
    let y = 0, peak = 0;
    const frames = SR; // one second: settled after the first few cycles
    for (let i = 0; i < frames; i++) {
      y = onePole(y, Math.sin((2 * Math.PI * fc * i) / SR), a);
      if (i > frames / 2) peak = Math.max(peak, Math.abs(y));
    }
    const db = 20 * Math.log10(peak);
    assert.ok(Math.abs(db + 3.01) < 0.15, `${fc} Hz: ${db.toFixed(3)} dB`);
  }
});
