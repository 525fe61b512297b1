import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Vco } from '../../src/modules/vco';
import { hzToVolts, voltsToHz, C4_HZ } from '../../src/dsp/pitch';
import { renderModule } from '../support/render';
import { amplitudeAt, cents, zeroCrossingHz, toDb, peak } from '../support/analysis';

const SR = 48000;

test('vco: 0 V is C4 = 261.6256 Hz (the VCO run at 0 V, sine and saw)', () => {
  assert.ok(Math.abs(C4_HZ - 261.6256) < 1e-4);
  assert.ok(Math.abs(voltsToHz(0.75) - 440) < 1e-9);
  const { out } = renderModule(Vco, { inputs: { pitch: 0 }, frames: SR * 2 });
  for (const wave of ['sin', 'saw'] as const) {
    const hz = zeroCrossingHz(out[wave], SR, 1000);
    assert.ok(Math.abs(cents(hz, 261.6256)) < 0.5, `${wave} at 0 V: ${hz.toFixed(4)} Hz`);
  }
});

test('vco: pitch within 1 cent from C1 to C7 (sine and saw, 1 V/oct input)', () => {
  for (let octave = -3; octave <= 3; octave++) {
    const expected = C4_HZ * Math.pow(2, octave);
    const { out } = renderModule(Vco, { inputs: { pitch: octave }, frames: SR * 2 });
    for (const wave of ['sin', 'saw'] as const) {
      const hz = zeroCrossingHz(out[wave], SR, 1000);
      const err = Math.abs(cents(hz, expected));
      assert.ok(err < 1, `${wave} at ${octave} V: ${hz.toFixed(4)} Hz vs ${expected.toFixed(4)} Hz (${err.toFixed(3)} cents)`);
    }
  }
});

test('vco: coarse and fine add to the pitch input', () => {
  const { out } = renderModule(Vco, { params: { coarse: 9, fine: 0 }, frames: SR });
  assert.ok(Math.abs(cents(zeroCrossingHz(out.sin, SR, 1000), 440)) < 0.5);
  const { out: o2 } = renderModule(Vco, { params: { fine: 50 }, inputs: { pitch: 0 }, frames: SR });
  assert.ok(Math.abs(cents(zeroCrossingHz(o2.sin, SR, 1000), C4_HZ) - 50) < 0.5);
});

test('vco: saw at 5 kHz keeps every alias below 20 kHz at least 40 dB under the fundamental', () => {
  const f0 = 5000;
  const { out } = renderModule(Vco, { params: { coarse: 12 * hzToVolts(f0) }, frames: SR });
  const x = out.saw;
  const fund = amplitudeAt(x, f0, SR, 2000);
  // With f0 = 5 kHz and fs = 48 kHz every component (harmonic or alias) lies on a multiple of 1 kHz.
  let worst = -Infinity, worstHz = 0;
  for (let hz = 1000; hz < 20000; hz += 1000) {
    if (hz % f0 === 0) continue; // true harmonics
    const db = toDb(amplitudeAt(x, hz, SR, 2000) / fund);
    if (db > worst) { worst = db; worstHz = hz; }
  }
  assert.ok(worst <= -40, `worst alias ${worst.toFixed(1)} dB at ${worstHz} Hz`);
  // The harmonics that are really there keep their 1/n amplitudes (±1.5 dB up to 15 kHz).
  for (let n = 2; n <= 3; n++) {
    const db = toDb(amplitudeAt(x, n * f0, SR, 2000) / fund);
    assert.ok(Math.abs(db - toDb(1 / n)) < 1.5, `harmonic ${n}: ${db.toFixed(2)} dB`);
  }
});

test('vco: amplitude is ±5 V', () => {
  const { out } = renderModule(Vco, { params: { coarse: -12 }, frames: SR / 2 });
  assert.ok(Math.abs(peak(out.sin, 100) - 5) < 0.01);
  assert.ok(Math.abs(peak(out.tri, 100) - 5) < 0.1);
  // Band-limited edges overshoot by the Gibbs 9 % of the 10 V jump.
  assert.ok(peak(out.sqr, 100) > 5 && peak(out.sqr, 100) < 6);
});

test('vco: linear FM through zero keeps the waveform bounded', () => {
  const { out } = renderModule(Vco, { params: { linFm: 2 }, inputs: { linfm: (n) => 5 * Math.sin((2 * Math.PI * 3 * n) / SR) }, frames: SR });
  assert.ok(peak(out.saw) < 7);
  assert.ok(peak(out.sqr) < 7);
});

test('vco: linear FM keeps the mean frequency (f · (1 + 0.5 · sin), 3 Hz, over whole modulator periods)', () => {
  const { out } = renderModule(Vco, { params: { linFm: 0.5 }, inputs: { linfm: (n) => 5 * Math.sin((2 * Math.PI * 3 * n) / SR) }, frames: 2 * SR });
  // Upward zero crossings of the sine over exactly 6 modulator periods: the mean frequency times 2 s.
  let ups = 0;
  for (let i = 1; i < 2 * SR; i++) if (out.sin[i - 1] < 0 && out.sin[i] >= 0) ups++;
  assert.ok(Math.abs(ups - 2 * C4_HZ) <= 1.5, `${ups} cycles in 2 s, expected ${(2 * C4_HZ).toFixed(1)}`);
  // The frequency really moved: the first modulator half-period runs faster than the second.
  const fast = zeroCrossingHz(out.sin, SR, 0, SR / 6), slow = zeroCrossingHz(out.sin, SR, SR / 6, SR / 3);
  assert.ok(fast > 1.2 * C4_HZ && slow < 0.8 * C4_HZ, `${fast.toFixed(1)} Hz then ${slow.toFixed(1)} Hz`);
});

test('vco: hard sync locks the period to the sync source', () => {
  const syncHz = 200;
  const { out } = renderModule(Vco, {
    params: { coarse: 12 * hzToVolts(310) },
    inputs: { sync: (n) => Math.sin((2 * Math.PI * syncHz * n) / SR) },
    frames: SR,
  });
  // The synced saw repeats every 1/200 s: compare two periods.
  const period = SR / syncHz; // 240 samples, an integer
  let maxDiff = 0;
  for (let i = 10000; i < 10000 + period; i++) maxDiff = Math.max(maxDiff, Math.abs(out.saw[i] - out.saw[i + period]));
  assert.ok(maxDiff < 0.05, `synced waveform differs by ${maxDiff} V between periods`);
});

test('vco: each control input patched alone keeps the set pitch (0 V in: C4 on every output)', () => {
  for (const input of ['pitch', 'fm', 'linfm', 'pwm', 'sync'] as const) {
    const { out } = renderModule(Vco, { inputs: { [input]: 0 }, frames: SR });
    for (const wave of ['sin', 'saw'] as const) {
      const hz = zeroCrossingHz(out[wave], SR, 1000);
      assert.ok(Math.abs(cents(hz, C4_HZ)) < 1, `${input} patched: ${wave} at ${hz.toFixed(3)} Hz`);
    }
  }
});
