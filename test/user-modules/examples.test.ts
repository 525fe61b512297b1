/**
 * The example user modules (examples/modules/): each loads, passes module-test, renders in a patch
 * through the real command line (on its own worker, and single-threaded), and is asserted against its
 * own contract: the wavefolder's transfer curve from its formula, the chord oscillator's pitch per
 * voice (1 V/oct) and its sub-octave.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { modsynth, ROOT } from '../support/cli';
import { amplitudeAt, zeroCrossingHz } from '../support/analysis';
import { readWav } from '../../src/io/wav';
import { prepareModule } from '../../src/user-modules/load';
import { makeHarness, render } from '../../src/user-modules/harness';

const DIR = join(ROOT, 'examples/modules');
const PATCHES = join(DIR, 'patches');
const SR = 48000;
const tmp = mkdtempSync(join(tmpdir(), 'modsynth-user-modules-'));

for (const file of ['wavefolder.ts', 'chord-osc.ts']) {
  test(`example ${file}: module-test passes every check`, () => {
    const r = modsynth(['module-test', join(DIR, file)]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    for (const check of ['create', 'no-random-or-clock', 'silence', 'garbage', 'param-range', 'reset', 'determinism', 'block-size', 'serialize', 'no-allocation'])
      assert.match(r.stdout, new RegExp(`pass  ${check}\\b`), `${check} in\n${r.stdout}`);
    assert.match(r.stdout, /^ {2}ok$/m);
  });
}

test('wavefolder: output is 5 V · sin(π/2 · d · (in + bias) / 5 V) over a ramp from −12 V to 12 V, for several drives, biases and drive CVs', async () => {
  const { desc } = await prepareModule(join(DIR, 'wavefolder.ts'), { test: false });
  assert.equal(desc.type, 'user/wavefolder');
  const N = 4800;
  const ramp = Float32Array.from({ length: N }, (_, i) => -12 + (24 * i) / (N - 1));
  for (const [drive, bias, cv] of [[1, 0, 0], [2, 0, 0], [3.5, 1.25, 0], [0, 0, 0], [1, -2, 10], [9, 0, 10]]) {
    const h = makeHarness(desc, 128, { drive, bias });
    const [y] = render(h, [ramp, cv], N);
    const d = Math.min(10, Math.max(0, drive + cv / 5));
    for (let i = 0; i < N; i++) {
      const expected = 5 * Math.sin((Math.PI / 2 / 5) * d * (ramp[i] + bias));
      assert.ok(Math.abs(y[i] - expected) < 2e-6, `drive ${drive} bias ${bias} cv ${cv}: in ${ramp[i]} V gave ${y[i]}, formula ${expected}`);
    }
  }
  // The folds: at drive 2 an input of 5 V is folded back to 0 V, 2.5 V reaches the 5 V peak.
  const [y] = render(makeHarness(desc, 1, { drive: 2 }), [Float32Array.of(2.5, 5, -2.5), 0], 3);
  assert.ok(Math.abs(y[0] - 5) < 1e-5 && Math.abs(y[1]) < 1e-5 && Math.abs(y[2] + 5) < 1e-5, `${[...y]}`);
});

test('wavefolder in a patch: rendered on its own worker and single-threaded, left = fold(right) sample by sample, the two renders identical', () => {
  const patch = {
    format: 'modsynth-patch', version: 1, seed: 1,
    modules: [
      { id: 'osc', type: 'vco', params: { coarse: -15 } },
      { id: 'fold', type: 'user/wavefolder', params: { drive: 2 } },
      { id: 'out', type: 'output' },
    ],
    cables: [
      { from: 'osc.sin', to: 'fold.in' },
      { from: 'fold.out', to: 'out.left' },
      { from: 'osc.sin', to: 'out.right' },
    ],
  };
  const path = join(tmp, 'fold.json');
  writeFileSync(path, JSON.stringify(patch));
  const renders = [2, 0].map((workers) => {
    const out = join(tmp, `fold-${workers}.wav`);
    const r = modsynth(['render', path, '--module-dir', DIR, '--out', out, '--seconds', '0.5', '--format', '32f', '--workers', String(workers), '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    return readWav(out).channels;
  });
  const [left, right] = renders[0];
  let folded = 0;
  for (let i = 480; i < left.length; i++) {
    // Full scale 1.0 = 5 V: left = 5 sin(π/2 · 2 · 5r / 5) / 5 = sin(π r).
    const expected = Math.sin(Math.PI * right[i]);
    assert.ok(Math.abs(left[i] - expected) < 2e-5, `sample ${i}: right ${right[i]} left ${left[i]} expected ${expected}`);
    if (Math.abs(right[i]) > 0.5 && Math.abs(left[i]) < Math.abs(right[i])) folded++;
  }
  assert.ok(folded > 1000, `the peaks fold back (${folded} samples)`);
  assert.deepEqual(renders[1][0], renders[0][0], 'single-threaded render equals the worker render');
});

test('chord-osc: each voice plays 261.63 Hz · 2^V (1 V/oct), the sub an octave below at its level', async () => {
  const { desc } = await prepareModule(join(DIR, 'chord-osc.ts'), { test: false });
  assert.deepEqual(desc.poly, ['pitch']);
  for (const v of [-1, 0, 7 / 12, 1.5]) {
    const [pure] = render(makeHarness(desc, 128, { sub: 0 }), [v], SR);
    const hz = 261.6255653005986 * 2 ** v;
    const got = zeroCrossingHz(pure, SR);
    assert.ok(Math.abs(1200 * Math.log2(got / hz)) < 1, `${v} V: ${got} Hz, expected ${hz}`);
    const [mixed] = render(makeHarness(desc, 128, { sub: 0.25 }), [v], SR);
    assert.ok(Math.abs(amplitudeAt(mixed, hz, SR) - 3.75) < 0.02, `${v} V: voice at 0.75 · 5 V`);
    assert.ok(Math.abs(amplitudeAt(mixed, hz / 2, SR) - 1.25) < 0.02, `${v} V: sub at 0.25 · 5 V`);
  }
});

test('chord-osc in a patch: a 3-channel pitch cable plays C4, E4 and G4 (and their subs) at equal level', () => {
  const out = join(tmp, 'chord.wav');
  const r = modsynth(['render', join(PATCHES, 'chord.json'), '--module-dir', DIR, '--out', out, '--seconds', '1', '--format', '32f', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const [left] = readWav(out).channels;
  const c4 = 261.6255653005986;
  // VCA level 0.3, voice 0.8 · 5 V, full scale 5 V: 0.24 per voice; the sub 0.06.
  for (const volts of [0, 0.333333, 0.583333]) {
    const f = c4 * 2 ** volts;
    const voice = amplitudeAt(left, f, SR, 4800), sub = amplitudeAt(left, f / 2, SR, 4800);
    assert.ok(Math.abs(voice - 0.24) < 0.01, `voice at ${f.toFixed(2)} Hz: ${voice}`);
    assert.ok(Math.abs(sub - 0.06) < 0.01, `sub at ${(f / 2).toFixed(2)} Hz: ${sub}`);
  }
  assert.ok(amplitudeAt(left, c4 * 2 ** (2 / 12), SR, 4800) < 0.005, 'nothing at D4');
});

test('the example TypeScript modules type-check against the SDK (tsc -p examples/modules)', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', DIR], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
