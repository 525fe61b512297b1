import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lfo } from '../../src/modules/lfo';
import { Vca } from '../../src/modules/vca';
import { Mixer } from '../../src/modules/mixer';
import { Noise } from '../../src/modules/noise';
import { Output } from '../../src/modules/output';
import { renderModule, runKernel } from '../support/render';
import { bandEnergyDb, rms, welch, zeroCrossingHz, toDb } from '../support/analysis';
import type { OutputKernel } from '../../src/modules/output';

const SR = 48000;

test('lfo: rate is exact and the saw equals the ramp (2·phase − 1)·5 V', () => {
  const { out } = renderModule(Lfo, { params: { rate: 3 }, frames: 4 * SR });
  assert.ok(Math.abs(zeroCrossingHz(out.sin, SR) - 3) < 1e-4);
  for (let n = 0; n < 4 * SR; n += 997) {
    const phase = ((3 * n) / SR) % 1;
    assert.ok(Math.abs(out.saw[n] - 5 * (2 * phase - 1)) < 1e-3, `saw at ${n}`);
  }
});

test('lfo: bipolar ±5 V, unipolar 0..10 V; rate CV is 1 V/oct; reset restarts the cycle', () => {
  const bi = renderModule(Lfo, { params: { rate: 1 }, frames: SR }).out;
  const uni = renderModule(Lfo, { params: { rate: 1, unipolar: 1 }, frames: SR }).out;
  assert.ok(Math.abs(Math.max(...bi.sin) - 5) < 1e-3 && Math.abs(Math.min(...bi.sin) + 5) < 1e-3);
  assert.ok(Math.abs(Math.max(...uni.tri) - 10) < 1e-3 && Math.min(...uni.tri) >= 0);
  const fast = renderModule(Lfo, { params: { rate: 2 }, inputs: { rate: 1 }, frames: 2 * SR }).out;
  assert.ok(Math.abs(zeroCrossingHz(fast.sin, SR) - 4) < 1e-3);
  const reset = renderModule(Lfo, { params: { rate: 1 }, inputs: { reset: (n) => (n >= 1000 && n < 1048 ? 10 : 0) }, frames: 2000 }).out;
  assert.ok(Math.abs(reset.saw[1000] - -5) < 1e-6, 'saw back at its start');
});

test('vca: linear response is proportional; exponential spans 60 dB; cv unpatched = fully open', () => {
  const lin = renderModule(Vca, { inputs: { in: 4, cv: 2.5 }, frames: 4800 }).out.out;
  assert.ok(Math.abs(lin[4799] - 1) < 1e-6);
  const open = renderModule(Vca, { inputs: { in: 4 }, frames: 4800 }).out.out;
  assert.ok(Math.abs(open[4799] - 4) < 1e-6);
  const expTop = renderModule(Vca, { params: { response: 1 }, inputs: { in: 1, cv: 10 }, frames: 4800 }).out.out;
  const exp1V = renderModule(Vca, { params: { response: 1 }, inputs: { in: 1, cv: 1 }, frames: 4800 }).out.out;
  const exp5V = renderModule(Vca, { params: { response: 1 }, inputs: { in: 1, cv: 5 }, frames: 4800 }).out.out;
  const expZero = renderModule(Vca, { params: { response: 1 }, inputs: { in: 1, cv: 0 }, frames: 4800 }).out.out;
  assert.ok(Math.abs(expTop[4799] - 1) < 1e-6);
  // r(x) = (1000^x − 1)/999: −60 dB at 1 V, −30.3 dB at 5 V.
  assert.ok(Math.abs(toDb(exp1V[4799]) - toDb((Math.pow(1000, 0.1) - 1) / 999)) < 0.01, `1 V: ${toDb(exp1V[4799])} dB`);
  assert.ok(Math.abs(toDb(exp5V[4799]) - toDb((Math.sqrt(1000) - 1) / 999)) < 0.01, `5 V: ${toDb(exp5V[4799])} dB`);
  assert.equal(expZero[4799], 0);
});

test('vca: a level jump is smoothed (no step larger than the smoothing allows)', () => {
  const desc = Vca;
  const kernel = desc.create({ sampleRate: SR, seed: 1, maxBlock: 64 });
  runKernel(desc, kernel, { params: { level: 0 }, inputs: { in: 5 }, frames: 640, block: 64 });
  const after = runKernel(desc, kernel, { params: { level: 1 }, inputs: { in: 5 }, frames: 640, block: 64 }).out;
  assert.ok(after[0] < 0.1, `first sample after the jump: ${after[0]}`);
  for (let i = 1; i < 640; i++) assert.ok(after[i] - after[i - 1] < 0.06);
});

test('mixer: sums level-weighted inputs and applies the master', () => {
  const out = renderModule(Mixer, {
    params: { level1: 1, level2: 0.5, level3: 2, master: 0.5 },
    inputs: { in1: 1, in2: 2, in3: -1 },
    frames: 4800,
  }).out.out;
  assert.ok(Math.abs(out[4799] - 0.5 * (1 + 1 - 2)) < 1e-6);
});

test('noise: seeded (same seed, same samples; other seed, other samples), white RMS 5/3 V', () => {
  const a = renderModule(Noise, { frames: SR, seed: 7 }).out;
  const b = renderModule(Noise, { frames: SR, seed: 7 }).out;
  const c = renderModule(Noise, { frames: SR, seed: 8 }).out;
  assert.deepEqual(a.white, b.white);
  assert.notDeepEqual(a.white, c.white);
  assert.ok(Math.abs(rms(a.white) - 5 / 3) < 0.03);
  assert.ok(Math.abs(rms(a.pink, SR / 4) / rms(a.white) - 1) < 0.25, `pink rms ${rms(a.pink, SR / 4)}`);
});

test('noise: pink has equal energy per octave, white +3 dB per octave (±1 dB, 100 Hz – 12.8 kHz)', () => {
  const { out } = renderModule(Noise, { frames: 16 * SR, seed: 3 });
  const pink = welch(out.pink), white = welch(out.white);
  for (let lo = 100; lo < 12800; lo *= 2) {
    const pinkStep = bandEnergyDb(pink, SR, 2 * lo, 4 * lo) - bandEnergyDb(pink, SR, lo, 2 * lo);
    const whiteStep = bandEnergyDb(white, SR, 2 * lo, 4 * lo) - bandEnergyDb(white, SR, lo, 2 * lo);
    assert.ok(Math.abs(pinkStep) < 1, `pink ${lo}→${2 * lo} Hz octave: ${pinkStep.toFixed(2)} dB`);
    assert.ok(Math.abs(whiteStep - 3.01) < 1, `white ${lo}→${2 * lo} Hz octave: ${whiteStep.toFixed(2)} dB`);
  }
});

test('output: ±5 V is ±1.0 full scale, right follows left, limits and zaps NaN/Inf', () => {
  const desc = Output;
  const kernel = desc.create({ sampleRate: SR, seed: 1, maxBlock: 8 }) as OutputKernel;
  const src = [2.5, -5, 50, -50, NaN, Infinity, -Infinity, 0];
  runKernel(desc, kernel, { inputs: { left: (n) => src[n] }, frames: 8, block: 8 });
  assert.deepEqual(Array.from(kernel.left), [0.5, -1, 1, -1, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(kernel.right), Array.from(kernel.left));
});
