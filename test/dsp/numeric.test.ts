import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clamp, flushDenormal, sin2pi, softTanh } from '../../src/dsp/numeric';
import { residualStep, residualRamp, HALF_WIDTH } from '../../src/dsp/blep';
import { Random } from '../../src/dsp/random';

test('sin2pi matches Math.sin(2πx) within 1e-9 over many cycles', () => {
  const rng = new Random(1);
  let worst = 0;
  for (let i = 0; i < 200000; i++) {
    const x = (rng.nextFloat() - 0.5) * 2000;
    worst = Math.max(worst, Math.abs(sin2pi(x) - Math.sin(2 * Math.PI * x)));
  }
  assert.ok(worst < 1e-9, `max error ${worst}`);
  assert.equal(sin2pi(0), 0);
  assert.ok(Math.abs(sin2pi(0.25) - 1) < 1e-11);
});

test('clamp maps NaN to the low bound; flushDenormal zaps NaN, Inf and denormals', () => {
  assert.equal(clamp(NaN, -1, 1), -1);
  assert.equal(flushDenormal(NaN), 0);
  assert.equal(flushDenormal(Infinity), 0);
  assert.equal(flushDenormal(1e-30), 0);
  assert.equal(flushDenormal(0.5), 0.5);
});

test('softTanh: odd, slope 1 at 0, monotonic, bounded by ±1', () => {
  let prev = -Infinity;
  for (let x = -10; x <= 10; x += 0.001) {
    const y = softTanh(x);
    assert.ok(y >= prev && Math.abs(y) <= 1);
    assert.ok(Math.abs(softTanh(-x) + y) < 1e-15);
    prev = y;
  }
  assert.ok(Math.abs(softTanh(1e-4) / 1e-4 - 1) < 1e-6);
  assert.ok(Math.abs(softTanh(1) - Math.tanh(1)) < 0.025);
});

test('BLEP residual: −0.5 → +0.5 jump handled (0.5 before, −0.5 after), zero outside the span', () => {
  assert.ok(Math.abs(residualStep(-1e-9) - 0.5) < 1e-3);
  assert.ok(Math.abs(residualStep(0) + 0.5) < 1e-3);
  assert.equal(residualStep(HALF_WIDTH), 0);
  assert.equal(residualStep(-HALF_WIDTH - 1), 0);
  // The ramp residual is continuous and even (symmetric kernel), and vanishes at the ends.
  for (const t of [0.3, 1.7, 5.2]) assert.ok(Math.abs(residualRamp(t) - residualRamp(-t)) < 2e-4, `t=${t}`);
  assert.ok(Math.abs(residualRamp(HALF_WIDTH - 0.01)) < 1e-4);
});
