import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modsynth, ROOT, soxSineHz, soxStat } from '../support/cli';
import { readWav } from '../../src/io/wav';
import { parsePatch } from '../../src/plan/patch';
import { compilePatch } from '../../src/plan/compile';
import { renderOffline } from '../../src/engine/local-backend';
import { referenceMarkdown } from '../../src/plan/reference';
import { MODULES } from '../../src/modules';
import { oscReferenceMarkdown } from '../../src/protocol/reference';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-cli-'));

test('cli: check prints the processing order of every example', () => {
  for (const f of ['sine', 'voice', 'demo']) {
    const r = modsynth(['check', `examples/${f}.json`]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ok — \d+ modules/);
    assert.match(r.stdout, /processing order:\n\s+1\. /);
  }
});

test('cli: a bad patch gets one line per problem naming the JSON path, exit 1, no stack trace', () => {
  const bad = join(tmp, 'bad.json');
  writeFileSync(bad, JSON.stringify({ format: 'modsynth-patch', version: 1, modules: [{ id: 'o', type: 'vco', params: { coarse: 100 } }, { id: 'o', type: 'vca' }], cables: [] }));
  for (const cmd of [['check', bad], ['render', bad, '--out', join(tmp, 'x.wav')]]) {
    const r = modsynth(cmd);
    assert.equal(r.status, 1);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 2, r.stderr);
    assert.match(lines[0], /bad\.json: \$\.modules\[0\]\.params\.coarse: 100 is out of range/);
    assert.match(lines[1], /bad\.json: \$\.modules\[1\]\.id: duplicate id "o"/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  const missing = modsynth(['check', join(tmp, 'nope.json')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nope\.json: \$: file not found/);
  const syntax = join(tmp, 'syntax.json');
  writeFileSync(syntax, '{ "format": "modsynth-patch",\n  "version": 1\n  "modules": [] }');
  const s = modsynth(['check', syntax]);
  assert.equal(s.status, 1);
  assert.match(s.stderr, /syntax\.json: line 3, column 3: invalid JSON/);
});

test('cli: bad options are refused with a usage message', () => {
  const r = modsynth(['render', 'examples/sine.json', '--out', join(tmp, 'a.wav'), '--block', '0']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--block must be an integer in \[1, 4096\]/);
});

test('cli: modules --json lists every module with ports and params', () => {
  const r = modsynth(['modules', '--json']);
  assert.equal(r.status, 0);
  const ref = JSON.parse(r.stdout) as { type: string; params: unknown[]; inputs: unknown[]; outputs: unknown[] }[];
  assert.deepEqual(ref.map((m) => m.type), MODULES.map((m) => m.type));
  const text = modsynth(['modules']).stdout;
  for (const m of MODULES) assert.match(text, new RegExp(`^${m.type} — `, 'm'));
});

test('docs/modules.md is the generated reference (docs cannot drift from code)', () => {
  assert.equal(readFileSync(join(ROOT, 'docs/modules.md'), 'utf8'), referenceMarkdown(), 'run: node bin/modsynth.js modules --markdown > docs/modules.md');
});

test('docs/osc.md is the generated OSC reference', () => {
  assert.equal(readFileSync(join(ROOT, 'docs/osc.md'), 'utf8'), oscReferenceMarkdown(), 'run: node bin/modsynth.js osc-commands > docs/osc.md');
});

test('cli: render examples/sine.json — sox measures 440 Hz ± 0.5 Hz at −6.02 dBFS peak, −9.03 dBFS RMS', () => {
  const wav = join(tmp, 'sine.wav');
  const r = modsynth(['render', 'examples/sine.json', '--out', wav, '--seconds', '3']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /× real time/);
  // Mono (left), skipping the first 10 ms (the VCO's 16-sample BLEP latency and the start).
  const stat = soxStat(wav, ['remix', '1', 'trim', '0.01']);
  const hz = soxSineHz(stat, 48000);
  assert.ok(Math.abs(hz - 440) <= 0.5, `sox: ${hz.toFixed(3)} Hz`);
  assert.ok(Math.abs(stat['Maximum amplitude'] - 0.5) < 0.001, `peak ${stat['Maximum amplitude']}`);
  assert.ok(Math.abs(stat['RMS amplitude'] - 0.5 / Math.SQRT2) < 0.001, `rms ${stat['RMS amplitude']}`);
  assert.ok(Math.abs(stat['Length (seconds)'] - 2.99) < 0.001);
});

test('cli: the 32-bit float WAV holds exactly the rendered samples; 16-bit is their rounding', () => {
  const f32 = join(tmp, 'voice32.wav'), i16 = join(tmp, 'voice16.wav');
  assert.equal(modsynth(['render', 'examples/voice.json', '--out', f32, '--seconds', '1', '--format', '32f', '--block', '64']).status, 0);
  assert.equal(modsynth(['render', 'examples/voice.json', '--out', i16, '--seconds', '1', '--block', '64']).status, 0);
  const plan = compilePatch(parsePatch(readFileSync(join(ROOT, 'examples/voice.json'), 'utf8')), { sampleRate: 48000, blockSize: 64 });
  const ref = renderOffline(plan, { frames: 48000 });
  const a = readWav(f32), b = readWav(i16);
  assert.equal(a.bitDepth, '32f');
  assert.deepEqual(a.channels[0], ref.left);
  assert.deepEqual(a.channels[1], ref.right);
  for (let i = 0; i < 48000; i += 7) assert.ok(Math.round(b.channels[0][i] * 32768) === Math.round(ref.left[i] * 32767), `sample ${i}`);
});
