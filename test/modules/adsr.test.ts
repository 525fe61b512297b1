import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Adsr } from '../../src/modules/adsr';
import { renderModule } from '../support/render';

const SR = 48000;
const gateFor = (onAt: number, offAt: number) => (n: number) => (n >= onAt && n < offAt ? 10 : 0);

/** First frame at or after `from` where the envelope satisfies `pred`. */
function firstFrame(x: Float32Array, from: number, pred: (v: number) => boolean): number {
  for (let i = from; i < x.length; i++) if (pred(x[i])) return i;
  return -1;
}

const CASES = [
  { attack: 0.001, decay: 0.001, sustain: 0.5, release: 0.001 },
  { attack: 0.01, decay: 0.1, sustain: 0.6, release: 0.2 },
  { attack: 0.5, decay: 1, sustain: 0.3, release: 2 },
  { attack: 3, decay: 0.05, sustain: 0.2, release: 10 },
];

test('adsr: attack, decay and release each end within 1 ms of their setting', () => {
  for (const p of CASES) {
    const on = 100;
    const off = on + Math.round((p.attack + p.decay + 0.05) * SR);
    const frames = off + Math.round((p.release + 0.05) * SR);
    const { out } = renderModule(Adsr, { params: p, inputs: { gate: gateFor(on, off) }, frames });
    const env = out.env;
    const peakAt = firstFrame(env, on, (v) => v >= 10);
    const sustainV = 10 * p.sustain;
    const decayEnd = firstFrame(env, peakAt, (v) => v <= sustainV);
    const releaseEnd = firstFrame(env, off, (v) => v <= 0);
    const ms = (frames: number) => (1000 * frames) / SR;
    assert.ok(Math.abs(ms(peakAt - on) - 1000 * p.attack) <= 1, `attack ${p.attack}: ${ms(peakAt - on)} ms`);
    assert.ok(Math.abs(ms(decayEnd - peakAt) - 1000 * p.decay) <= 1, `decay ${p.decay}: ${ms(decayEnd - peakAt)} ms`);
    assert.ok(Math.abs(ms(releaseEnd - off) - 1000 * p.release) <= 1, `release ${p.release}: ${ms(releaseEnd - off)} ms`);
    assert.ok(Math.abs(env[off - 1] - sustainV) < 1e-4, 'holds the sustain level');
  }
});

test('adsr: segments are exponential (decay is convex, attack is concave)', () => {
  const p = { attack: 0.1, decay: 0.1, sustain: 0, release: 0.1 };
  const { out } = renderModule(Adsr, { params: p, inputs: { gate: gateFor(0, SR) }, frames: SR });
  const at = (s: number) => out.env[Math.round(s * SR)];
  // Halfway through the attack the level is above the straight line; halfway through the decay, below.
  assert.ok(at(0.05) > 5.5, `attack midpoint ${at(0.05)}`);
  assert.ok(at(0.15) < 3, `decay midpoint ${at(0.15)}`);
});

test('adsr: release starts from the current level; retrigger restarts the attack from there', () => {
  const p = { attack: 0.1, decay: 0.1, sustain: 0.5, release: 0.1 };
  const { out } = renderModule(Adsr, { params: p, inputs: { gate: gateFor(0, 0.05 * SR) }, frames: SR / 2 });
  const atRelease = out.env[0.05 * SR - 1];
  assert.ok(atRelease > 1 && atRelease < 10);
  assert.ok(out.env[0.05 * SR + 10] < atRelease, 'falls from where the attack was');
  const { out: r } = renderModule(Adsr, {
    params: p,
    inputs: { gate: 10, retrig: (n) => (n >= 0.3 * SR && n < 0.3 * SR + 48 ? 10 : 0) },
    frames: SR / 2,
  });
  const before = r.env[0.3 * SR - 1];
  assert.ok(Math.abs(before - 5) < 1e-3, 'in sustain before the retrigger');
  const peakAgain = firstFrame(r.env, 0.3 * SR, (v) => v >= 10);
  assert.ok(peakAgain > 0 && peakAgain - 0.3 * SR < 0.1 * SR, 'reaches the peak again, sooner than a full attack');
});

test('adsr: output stays within 0..10 V', () => {
  const { out } = renderModule(Adsr, { inputs: { gate: (n) => ((n >> 9) & 1 ? 10 : 0), retrig: (n) => (n % 700 < 48 ? 10 : 0) }, frames: SR });
  for (const v of out.env) assert.ok(v >= 0 && v <= 10);
});
