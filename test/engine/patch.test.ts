import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parsePatch, PatchError, serializePatch } from '../../src/plan/patch';

const base = () => ({
  format: 'modsynth-patch',
  version: 1,
  seed: 1,
  modules: [
    { id: 'osc', type: 'vco', params: { coarse: 9 } },
    { id: 'amp', type: 'vca' },
    { id: 'out', type: 'output' },
  ],
  cables: [
    { from: 'osc.sin', to: 'amp.in' },
    { from: 'amp.out', to: 'out.left' },
  ],
});

function problems(doc: unknown): { path: string; message: string }[] {
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2);
  try {
    parsePatch(text);
  } catch (e) {
    assert.ok(e instanceof PatchError, `expected PatchError, got ${e}`);
    return [...e.problems];
  }
  assert.fail('patch was accepted');
}

/** Exactly one problem, at `path`, whose message matches `pattern`. */
function expectOne(doc: unknown, path: string, pattern: RegExp): void {
  const ps = problems(doc);
  assert.equal(ps.length, 1, JSON.stringify(ps));
  assert.equal(ps[0].path, path);
  assert.match(ps[0].message, pattern);
}

test('patch: the base document is valid and params get their defaults', () => {
  const p = parsePatch(JSON.stringify(base()));
  assert.equal(p.modules.length, 3);
  assert.equal(p.modules[0].params.coarse, 9);
  assert.equal(p.modules[0].params.pw, 0.5);
});

test('patch: bad JSON is reported with line and column', () => {
  const ps = problems('{\n  "format": "modsynth-patch",\n  "version": 1,,\n}');
  assert.equal(ps[0].path, 'line 3, column 16');
  assert.match(ps[0].message, /invalid JSON/);
});

test('patch: each bad case names its JSON path and reason', () => {
  const d1 = base(); d1.modules[1].type = 'vcoo';
  expectOne(d1, '$.modules[1].type', /unknown module type "vcoo"/);
  const d2 = base(); d2.modules.push({ id: 'osc', type: 'lfo' });
  expectOne(d2, '$.modules[3].id', /duplicate id "osc" \(first used at \$\.modules\[0\]\)/);
  const d3 = base(); (d3.modules[0].params as Record<string, unknown>).detune = 1;
  expectOne(d3, '$.modules[0].params.detune', /unknown param "detune" for vco/);
  const d4 = base(); d4.modules[0].params!.coarse = 99;
  expectOne(d4, '$.modules[0].params.coarse', /99 is out of range \[-60, 60\]/);
  const d5 = base(); (d5.modules[0].params as Record<string, unknown>).coarse = 'high';
  expectOne(d5, '$.modules[0].params.coarse', /must be a number/);
  expectOne(JSON.stringify(base()).replace('"coarse":9', '"coarse":1e999'), '$.modules[0].params.coarse', /finite/);
  const d6 = base(); d6.cables[1].from = 'osc.saw'; d6.cables.push({ from: 'osc.sqr', to: 'amp.in' });
  expectOne(d6, '$.cables[2].to', /input "amp.in" already has a cable \(\$\.cables\[0\]\)/);
  const d7 = base(); d7.cables[0].from = 'lfo.sin';
  expectOne(d7, '$.cables[0].from', /no module "lfo"/);
  const d8 = base(); d8.cables[0].to = 'amp.gain';
  expectOne(d8, '$.cables[0].to', /module "amp" \(vca\) has no input "gain"/);
  const d9 = base(); d9.cables[0].to = 'amp.out';
  expectOne(d9, '$.cables[0].to', /"out" is an output/);
  const d10 = base(); d10.version = 2;
  expectOne(d10, '$.version', /format version 2 is newer than this Modsynth reads \(1\)/);
  const d11 = base(); d11.cables[0].from = 'osc';
  expectOne(d11, '$.cables[0].from', /not a port; write moduleId\.port/);
  const d12 = base(); d12.modules.push({ id: 'out2', type: 'output' });
  expectOne(d12, '$.modules[3].type', /at most one output module/);
  const d13 = base(); d13.modules[0].id = 'my.osc';
  expectOne(d13, '$.modules[0].id', /must start with a letter/);
  expectOne({ ...base(), extra: true }, '$', /extra/);
  const d14 = base(); (d14.modules[1] as Record<string, unknown>).params = { response: 0.5 };
  expectOne(d14, '$.modules[1].params.response', /must be an integer \(0 = linear, 1 = exponential\)/);
});

test('patch: every problem is reported, not only the first', () => {
  const d = base(); d.modules[1].type = 'nope'; d.modules[0].params!.coarse = 1000; d.cables[1].to = 'out.middle';
  assert.equal(problems(d).length, 3);
});

test('patch: load → save → load round-trips unchanged (every example)', () => {
  const dir = join(__dirname, '../../../examples');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 3);
  for (const f of files) {
    const first = parsePatch(readFileSync(join(dir, f), 'utf8'));
    const saved = serializePatch(first);
    const second = parsePatch(saved);
    assert.deepEqual(second, first, f);
    assert.equal(serializePatch(second), saved, f);
  }
});

test('patch: ui data is kept through a round trip', () => {
  const d = { ...base(), ui: { zoom: 2 } };
  (d.modules[0] as Record<string, unknown>).ui = { x: 10, y: 20 };
  const p = parsePatch(JSON.stringify(d));
  assert.deepEqual(parsePatch(serializePatch(p)).modules[0].ui, { x: 10, y: 20 });
  assert.deepEqual(parsePatch(serializePatch(p)).ui, { zoom: 2 });
});
