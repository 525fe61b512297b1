/**
 * Faust modules (.dsp, compiled with @grame/faustwasm into a WebAssembly kernel): the examples load,
 * pass module-test, and keep their contracts: the Butterworth lowpass's magnitude response from its
 * formula (bilinear transform, prewarped at the cutoff), the Zita reverb's decay time (its midDecay
 * param, measured on the impulse response) in a real patch rendered through the command line. Also
 * the slider → param mapping and a Faust syntax error refused with Faust's message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modsynth, ROOT } from '../support/cli';
import { amplitudeAt } from '../support/analysis';
import { readWav } from '../../src/io/wav';
import { prepareModule } from '../../src/user-modules/load';
import { makeHarness, render } from '../../src/user-modules/harness';

const DIR = join(ROOT, 'examples/modules');
const SR = 48000;
const tmp = mkdtempSync(join(tmpdir(), 'modsynth-faust-'));

for (const file of ['lowpass.dsp', 'zita.dsp']) {
  test(`Faust example ${file}: module-test passes`, () => {
    const r = modsynth(['module-test', join(DIR, file)]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /pass {2}no-allocation/);
    assert.match(r.stdout, /pass {2}garbage/);
  });
}

test('Faust lowpass: sliders become params with unit and range; |H(f)| = 1/√(1 + (tan(πf/fs)/tan(πfc/fs))^8) within 0.05 dB', async () => {
  const { desc } = await prepareModule(join(DIR, 'lowpass.dsp'), { test: false });
  assert.equal(desc.type, 'user/lowpass');
  assert.deepEqual(Object.keys(desc.inputs), ['in']);
  assert.deepEqual(Object.keys(desc.outputs), ['out']);
  const cutoff = desc.params.cutoff;
  assert.deepEqual([cutoff.unit, cutoff.min, cutoff.max, cutoff.default], ['Hz', 20, 20000, 1000]);
  assert.match(cutoff.doc, /-3 dB frequency/);
  for (const fc of [500, 2000]) {
    for (const f of [100, 250, fc, 1.5 * fc, 3 * fc]) {
      const x = Float32Array.from({ length: SR / 2 }, (_, n) => 4 * Math.sin((2 * Math.PI * f * n) / SR));
      const [y] = render(makeHarness(desc, 128, { cutoff: fc }), [x], x.length);
      const gain = amplitudeAt(y, f, SR, SR / 8) / 4;
      const expected = 1 / Math.sqrt(1 + (Math.tan((Math.PI * f) / SR) / Math.tan((Math.PI * fc) / SR)) ** 8);
      const dB = 20 * Math.log10(gain), eDb = 20 * Math.log10(expected);
      assert.ok(Math.abs(dB - eDb) < 0.05, `fc ${fc}, f ${f}: ${dB.toFixed(3)} dB, formula ${eDb.toFixed(3)} dB`);
    }
  }
});

/** Schroeder's energy decay curve of x, in dB relative to its total energy. */
function edcDb(x: Float32Array): Float64Array {
  const out = new Float64Array(x.length);
  let acc = 0;
  for (let i = x.length - 1; i >= 0; i--) out[i] = acc += x[i] * x[i];
  return out.map((e) => 10 * Math.log10(e / acc));
}

test('Faust Zita reverb: an impulse decays by 60 dB in midDecay seconds (T30 of the energy decay curve, ±20 %)', async () => {
  const { desc } = await prepareModule(join(DIR, 'zita.dsp'), { test: false });
  assert.deepEqual(Object.keys(desc.inputs), ['left', 'right']);
  assert.deepEqual(Object.keys(desc.outputs), ['left', 'right']);
  assert.deepEqual(Object.keys(desc.params), ['predelay', 'crossover', 'lowDecay', 'midDecay', 'damping', 'mix']);
  assert.match(desc.params.predelay.doc, /unit: ms/);
  assert.equal(desc.params.midDecay.unit, 's');
  for (const t60 of [1, 2.5]) {
    const frames = Math.round(SR * t60 * 1.5);
    const impulse = new Float32Array(frames);
    impulse[0] = 5;
    const [left, right] = render(makeHarness(desc, 128, { midDecay: t60, lowDecay: t60, mix: 1, predelay: 0, damping: 23520 }), [impulse, impulse], frames);
    const edc = edcDb(left);
    const at = (db: number) => edc.findIndex((v) => v <= db) / SR;
    const measured = 2 * (at(-35) - at(-5));
    assert.ok(Math.abs(measured / t60 - 1) < 0.2, `midDecay ${t60} s: T30-based T60 ${measured.toFixed(2)} s`);
    assert.ok(right.some((v) => v !== 0) && left.some((v, i) => v !== right[i]), 'stereo: both channels sound, and differ');
  }
});

test('Faust Zita reverb in a patch (a plucked saw into it): the tail rings between notes, and mix 0 is the dry signal', () => {
  const patch = (mix: number) => ({
    format: 'modsynth-patch', version: 1, seed: 3,
    modules: [
      { id: 'osc', type: 'vco', params: { coarse: -12 } },
      { id: 'gate', type: 'lfo', params: { rate: 1 } },
      { id: 'env', type: 'adsr', params: { attack: 0.002, decay: 0.05, sustain: 0, release: 0.01 } },
      { id: 'amp', type: 'vca', params: { level: 1 } },
      { id: 'verb', type: 'user/zita', params: { mix, midDecay: 2 } },
      { id: 'out', type: 'output' },
    ],
    cables: [
      { from: 'gate.sqr', to: 'env.gate' },
      { from: 'osc.saw', to: 'amp.in' },
      { from: 'env.env', to: 'amp.cv' },
      { from: 'amp.out', to: 'verb.left' },
      { from: 'amp.out', to: 'verb.right' },
      { from: 'verb.left', to: 'out.left' },
      { from: 'amp.out', to: 'out.right' },
    ],
  });
  const renders = [0.5, 0].map((mix) => {
    const path = join(tmp, `zita-${mix}.json`), out = join(tmp, `zita-${mix}.wav`);
    writeFileSync(path, JSON.stringify(patch(mix)));
    const r = modsynth(['render', path, '--module-dir', DIR, '--out', out, '--seconds', '2', '--format', '32f', '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    return readWav(out).channels;
  });
  const [wet, dry] = renders[0];
  // Where the dry pluck is silent (|dry| < 1e-4 for a whole 10 ms window), the reverb still sounds.
  let silentWindows = 0, ringing = 0;
  for (let w = SR / 10; w + 480 < dry.length; w += 480) {
    let d = 0, e = 0;
    for (let i = w; i < w + 480; i++) {
      d = Math.max(d, Math.abs(dry[i]));
      e = Math.max(e, Math.abs(wet[i]));
    }
    if (d < 1e-4) {
      silentWindows++;
      if (e > 1e-3) ringing++;
    }
  }
  assert.ok(silentWindows > 20, `the pluck leaves gaps (${silentWindows} windows)`);
  assert.ok(ringing / silentWindows > 0.9, `the tail rings in the gaps (${ringing}/${silentWindows})`);
  const [drySum, dryRef] = renders[1];
  for (let i = 0; i < dryRef.length; i++) assert.ok(Math.abs(drySum[i] - dryRef[i]) < 1e-6, `mix 0: sample ${i} ${drySum[i]} vs dry ${dryRef[i]}`);
});

test('a Faust syntax error is refused with Faust\'s message, one line naming the file', () => {
  const file = join(tmp, 'broken.dsp');
  writeFileSync(file, 'import("stdfaust.lib");\nprocess = fi.lowpass(2, ;\n');
  const r = modsynth(['module-test', file]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, new RegExp(`refused: ${file.replace(/[.]/g, '\\.')}: Faust: .*`));
});
