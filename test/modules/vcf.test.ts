import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Vcf } from '../../src/modules/vcf';
import { hzToVolts } from '../../src/dsp/pitch';
import { renderModule } from '../support/render';
import { amplitudeAt, gainAt, sine, toDb, zeroCrossingHz, rms } from '../support/analysis';

const SR = 48000;
const SMALL = 0.05; // volts: keeps the saturating input stage linear to 1e-4

/** Analytic |H| of four TPT one-poles at resonance 0: each is the bilinear transform of 1/(1 + s/ωc). */
function designGainDb(fc: number, f: number): number {
  const wc = Math.tan((Math.PI * fc) / SR), w = Math.tan((Math.PI * f) / SR);
  return 4 * -10 * Math.log10(1 + (w / wc) ** 2);
}

function measuredGainDb(fc: number, f: number, out: 'lp' | 'hp' = 'lp'): number {
  const input = sine(f, SMALL, SR);
  const { out: o } = renderModule(Vcf, { params: { cutoff: hzToVolts(fc), res: 0 }, inputs: { in: input }, frames: SR });
  const x = Float32Array.from({ length: SR }, (_, n) => input(n));
  return toDb(gainAt(x, o[out], f, SR, SR / 2));
}

test('vcf: res 0 gives −12.04 dB at the cutoff (four equal poles, ±1 dB) and unity at DC', () => {
  for (const fc of [250, 1000, 4000]) {
    const db = measuredGainDb(fc, fc);
    assert.ok(Math.abs(db - -12.04) < 1, `fc ${fc} Hz: ${db.toFixed(2)} dB at fc`);
  }
  const { out } = renderModule(Vcf, { params: { cutoff: hzToVolts(1000) }, inputs: { in: SMALL }, frames: SR / 2 });
  assert.ok(Math.abs(out.lp[SR / 2 - 1] / SMALL - 1) < 1e-3);
});

test('vcf: response matches the design curve from 0.25× to 8× the cutoff (±0.3 dB)', () => {
  const fc = 1000;
  for (const ratio of [0.25, 0.5, 1, 2, 4, 8]) {
    const f = fc * ratio;
    const got = measuredGainDb(fc, f), want = designGainDb(fc, f);
    assert.ok(Math.abs(got - want) < 0.3, `${f} Hz: ${got.toFixed(2)} dB, design ${want.toFixed(2)} dB`);
  }
});

test('vcf: rolls off at least 22 dB between 2× and 4× the cutoff (fc = 1.2 kHz and up)', () => {
  // Four equal analog poles give 21.2 dB over this octave; the bilinear transform adds steepness that
  // grows with fc (design curve: 22.1 dB at 1.2 kHz, 23.8 dB at 2 kHz, 26.2 dB at 3 kHz at 48 kHz).
  for (const fc of [1200, 2000, 3000]) {
    const drop = measuredGainDb(fc, 2 * fc) - measuredGainDb(fc, 4 * fc);
    assert.ok(drop >= 22, `fc ${fc} Hz: ${drop.toFixed(2)} dB/oct`);
    assert.ok(Math.abs(drop - (designGainDb(fc, 2 * fc) - designGainDb(fc, 4 * fc))) < 0.3);
  }
});

test('vcf: high-pass at res 0 is (1 − G)^4: −12 dB at fc, −24 dB/oct below', () => {
  const db = measuredGainDb(1000, 1000, 'hp');
  assert.ok(Math.abs(db - -12.04) < 1, `hp at fc: ${db.toFixed(2)} dB`);
  const drop = measuredGainDb(1000, 250, 'hp') - measuredGainDb(1000, 125, 'hp');
  assert.ok(drop > 22, `hp slope ${drop.toFixed(2)} dB/oct`);
});

test('vcf: self-oscillates at the cutoff frequency at full resonance, from silence', () => {
  const fc = 880;
  const { out } = renderModule(Vcf, { params: { cutoff: hzToVolts(fc), res: 1 }, frames: 4 * SR });
  const tail = out.lp.subarray(2 * SR);
  const level = rms(tail);
  assert.ok(level > 0.5, `oscillation level ${level.toFixed(3)} V rms`);
  assert.ok(level < 10);
  const hz = zeroCrossingHz(tail, SR);
  assert.ok(Math.abs(hz / fc - 1) < 0.03, `oscillates at ${hz.toFixed(1)} Hz, cutoff ${fc} Hz`);
});

test('vcf: resonance boosts the cutoff region', () => {
  const f = 1000;
  const input = sine(f, SMALL, SR);
  const { out: flat } = renderModule(Vcf, { params: { cutoff: hzToVolts(f), res: 0 }, inputs: { in: input }, frames: SR });
  const { out: peaky } = renderModule(Vcf, { params: { cutoff: hzToVolts(f), res: 0.8 }, inputs: { in: input }, frames: SR });
  assert.ok(amplitudeAt(peaky.lp, f, SR, SR / 2) > 3 * amplitudeAt(flat.lp, f, SR, SR / 2));
});
