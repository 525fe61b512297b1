/**
 * Hostile patch files against the real command line (`modsynth check`, exit 1 with one line per
 * problem naming the field) and the parser itself: a BOM, prototype keys, nesting 8,000 deep, a
 * 400 KB file of `[1 1 1 …]` (quadratic before), /dev/zero, a FIFO, a directory, a file over 16 MiB,
 * non-UTF-8 bytes, versions 1.5 / 2 / "1" / missing, a secret file that is not a patch (nothing of it
 * is quoted back), and a patch with hundreds of problems (the message lists 20).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modsynth, ROOT } from '../support/cli';
import { MAX_JSON_DEPTH, MAX_JSON_ERRORS, MAX_PATCH_BYTES, parseBoundedJson } from '../../src/plan/patch-json';
import { MAX_REPORTED, parsePatch, PatchError } from '../../src/plan/patch';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-patch-input-'));
const sine = readFileSync(join(ROOT, 'examples/sine.json'), 'utf8');

function file(name: string, content: string | Buffer): string {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
}

/** `check FILE`: exit 1, and stderr is exactly the expected lines. */
function refused(path: string, ...lines: RegExp[]): string {
  const r = modsynth(['check', path]);
  assert.equal(r.status, 1, `exit code for ${path}: ${r.stdout}${r.stderr}`);
  const got = r.stderr.trimEnd().split('\n');
  assert.equal(got.length, lines.length, r.stderr);
  lines.forEach((re, i) => assert.match(got[i], re));
  assert.doesNotMatch(r.stderr, /internal error|at .*\.js:\d+/);
  return r.stderr;
}

test('patch input: a UTF-8 BOM is accepted (the same patch as without it)', () => {
  const r = modsynth(['check', file('bom.json', '\ufeff' + sine)]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ok — 3 modules, 2 cables/);
  assert.deepEqual(parsePatch('\ufeff' + sine), parsePatch(sine));
});

test('patch input: __proto__, constructor and prototype keys are refused with their path, at any depth', () => {
  const doc = JSON.parse(sine);
  refused(file('proto-top.json', `{"__proto__": ${sine}}`), /proto-top\.json: \$\.__proto__: the key "__proto__" is not allowed/);
  const inUi = sine.replace('"name"', '"ui": {"layout": {"__proto__": {"polluted": true}}}, "name"');
  refused(file('proto-ui.json', inUi), /proto-ui\.json: \$\.ui\.layout\.__proto__: the key "__proto__" is not allowed/);
  const inParams = JSON.stringify({ ...doc, modules: [{ ...doc.modules[0], params: { constructor: 1 } }, ...doc.modules.slice(1)] });
  refused(file('ctor.json', inParams), /ctor\.json: \$\.modules\[0\]\.params\.constructor: the key "constructor" is not allowed/);
  refused(file('prototype.json', sine.replace('"name"', '"prototype": 1, "name"')), /\$\.prototype: the key "prototype" is not allowed/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('patch input: nesting deeper than 64 is refused at its line and column, before parsing (8,000 deep)', () => {
  refused(file('deep.json', '['.repeat(8000) + ']'.repeat(8000)), new RegExp(`deep\\.json: line 1, column ${MAX_JSON_DEPTH + 1}: nested more than ${MAX_JSON_DEPTH} deep`));
  refused(file('deep-ui.json', sine.replace('"name"', `"ui": ${'{"a":'.repeat(100)}1${'}'.repeat(100)}, "name"`)), /deep-ui\.json: line \d+, column \d+: nested more than 64 deep/);
  // Brackets inside strings do not count; 64 levels are fine.
  const ok = parseBoundedJson(`{"s": "${'['.repeat(500)}", "a": ${'['.repeat(63)}${']'.repeat(63)}}`);
  assert.equal(ok.ok, true);
});

test('patch input: invalid JSON reports the first 5 errors with line and column, in linear time', () => {
  refused(
    file('ones.json', '[' + ' 1'.repeat(200_000) + ']'),
    /ones\.json: line 1, column 5: invalid JSON \(CommaExpected\)/,
    /line 1, column 7: invalid JSON/,
    /line 1, column 9: invalid JSON/,
    /line 1, column 11: invalid JSON/,
    /line 1, column 13: invalid JSON/,
    /ones\.json: \$: invalid JSON \(the first 5 errors are shown\)/,
  );
  // The old reader took ~99 s for 400 KB (and grew with the square); 4 MB here, one generous bound.
  const big = '[' + ' 1'.repeat(2_000_000) + ']';
  const t0 = performance.now();
  const r = parseBoundedJson(big);
  const ms = performance.now() - t0;
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.problems.length, MAX_JSON_ERRORS + 1);
  assert.ok(ms < 10_000, `4 MB of invalid JSON took ${ms.toFixed(0)} ms`);
  // A line column after several lines, and no text of the file in the message.
  const r2 = parseBoundedJson('{\n  "a": 1,\n  "b": tru-SECRET\n}');
  assert.equal(r2.ok, false);
  if (!r2.ok) {
    assert.match(r2.problems[0].path, /^line 3, column \d+$/);
    assert.doesNotMatch(JSON.stringify(r2.problems), /SECRET/);
  }
});

test('patch input: /dev/zero, a FIFO and a directory are refused without being read; a file over 16 MiB too', () => {
  refused('/dev/zero', /^\/dev\/zero: \$: a character device, not a regular file$/);
  refused(tmp, /: \$: a directory, not a regular file$/);
  const fifo = join(tmp, 'pipe.json');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  refused(fifo, /pipe\.json: \$: a pipe \(FIFO\), not a regular file$/); // returns: nothing waits for a writer
  const huge = file('huge.json', '');
  truncateSync(huge, MAX_PATCH_BYTES + 1); // sparse: nothing is written
  refused(huge, new RegExp(`huge\\.json: \\$: too big: ${MAX_PATCH_BYTES + 1} bytes \\(at most ${MAX_PATCH_BYTES}, 16 MiB, are read\\)`));
  refused(join(tmp, 'missing.json'), /missing\.json: \$: file not found$/);
});

test('patch input: bytes that are not UTF-8 are refused as such', () => {
  refused(file('latin1.json', Buffer.from(sine.replace('A4 sine', 'A4 sine \u00e9'), 'latin1')), /latin1\.json: \$: not UTF-8 text/);
});

test('patch input: format versions 1.5, 2, "1", 0 and a missing one each get their own reason', () => {
  const doc = JSON.parse(sine);
  const v = (name: string, version: unknown) => file(name, JSON.stringify({ ...doc, version }));
  refused(v('v15.json', 1.5), /v15\.json: \$\.version: 1\.5 is not a format version: versions are whole numbers \(this Modsynth reads version 1\)/);
  refused(v('v2.json', 2), /v2\.json: \$\.version: format version 2 is newer than this Modsynth reads \(1\); upgrade Modsynth/);
  refused(v('vstr.json', '1'), /vstr\.json: \$\.version: must be a number, got string/);
  refused(v('v0.json', 0), /v0\.json: \$\.version: format version 0 does not exist/);
  refused(v('vnone.json', undefined), /vnone\.json: \$\.version: missing: a patch names its format version/);
});

test('patch input: a file that is not a patch is refused on its format alone; nothing of it is quoted', () => {
  const err = refused(file('aws.json', '{"aws_access_key_id": "AKIA-SECRET-ACCESS-KEY-0000", "modules": [{"type": "AKIA-OTHER"}]}'), /aws\.json: \$\.format: not a Modsynth patch/);
  assert.doesNotMatch(err, /AKIA|aws_access/);
  refused(file('array.json', '["AKIA-SECRET"]'), /array\.json: \$\.format: not a Modsynth patch/);
});

test('patch input: hundreds of problems: the message lists 20 and counts the rest; all are kept', () => {
  const doc = JSON.parse(sine);
  const modules = Array.from({ length: 300 }, (_, i) => ({ id: `m${i}`, type: 'no-such-type' }));
  const text = JSON.stringify({ ...doc, modules, cables: [] });
  assert.throws(
    () => parsePatch(text),
    (e: unknown) => e instanceof PatchError && e.problems.length === 300 && e.message.split('\n').length === MAX_REPORTED + 1 && /\.\.\. and 280 more problems$/.test(e.message),
  );
});
