/**
 * `/patch/load` of hostile files in the patch directory, against a real `modsynth serve` over real UDP:
 * each gets one `/fail` naming the reason (nothing of the file quoted), the control plane keeps
 * answering right after (a FIFO never blocks it, 100 KB of `[1 1 1 …]` is linear), and the patch that
 * plays is unchanged.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../support/cli';
import { client, ensureStopped, serve, type Server } from '../support/osc';
import { MAX_PATCH_BYTES } from '../../src/plan/patch-json';

const dir = mkdtempSync(join(tmpdir(), 'modsynth-osc-load-'));
const sine = readFileSync(join(ROOT, 'examples/sine.json'), 'utf8');
let srv: Server;
before(async () => {
  const put = (name: string, text: string) => writeFileSync(join(dir, name), text);
  put('deep.json', '['.repeat(8000) + ']'.repeat(8000));
  put('proto.json', `{"__proto__": ${sine}}`);
  put('ones.json', '[' + ' 1'.repeat(50_000) + ']');
  put('secret.json', '{"aws_access_key_id": "AKIA-SECRET-ACCESS-KEY-0000", "type": "AKIA-OTHER"}');
  put('v15.json', sine.replace('"version": 1', '"version": 1.5'));
  put('bom.json', '\ufeff' + sine.replace('A4 sine', 'BOM sine'));
  put('huge.json', '');
  truncateSync(join(dir, 'huge.json'), MAX_PATCH_BYTES + 1);
  assert.equal(spawnSync('mkfifo', [join(dir, 'pipe.json')]).status, 0);
  symlinkSync('/dev/zero', join(dir, 'zero.json'));
  srv = await serve(['examples/sine.json', '--seconds', '600'], dir);
});
after(() => ensureStopped(srv));

const cases: [name: string, reason: RegExp][] = [
  ['deep', /^deep\.json: line 1, column 65: nested more than 64 deep/],
  ['proto', /^proto\.json: \$\.__proto__: the key "__proto__" is not allowed/],
  ['ones', /^ones\.json: line 1, column 5: invalid JSON \(CommaExpected\);( ones\.json: line 1, column \d+: invalid JSON \(CommaExpected\);){4} ones\.json: \$: invalid JSON \(the first 5 errors are shown\)$/],
  ['secret', /^secret\.json: \$\.format: not a Modsynth patch/],
  ['v15', /^v15\.json: \$\.version: 1\.5 is not a format version/],
  ['huge', /^"huge" is too big: 16777217 bytes/],
  ['pipe', /^"pipe" is not a regular file \(a pipe \(FIFO\), not a regular file\)$/],
  ['zero', /^"zero" is a symbolic link: the patch directory does not follow links$/],
];

test('osc /patch/load: each hostile file gets one /fail with its reason; /status answers right after; the patch is unchanged', async () => {
  const c = await client(srv.port);
  for (const [name, reason] of cases) {
    const t0 = performance.now();
    const got = await c.call('/patch/load', name);
    const ms = performance.now() - t0;
    const fails = got.filter((r) => r.address === '/fail');
    assert.equal(fails.length, 1, `${name}: ${JSON.stringify(got)}`);
    assert.equal(fails[0].args[0], '/patch/load');
    assert.match(String(fails[0].args[1]), reason, name);
    assert.doesNotMatch(String(fails[0].args[1]), /AKIA|aws_access/);
    const st = await c.call('/status');
    assert.ok(st.some((r) => r.address === '/status.reply'), `${name}: /status answered (load took ${ms.toFixed(0)} ms)`);
  }
  const patch = JSON.parse(String((await c.call('/patch/get')).find((r) => r.address === '/patch')!.args[0]));
  assert.deepEqual(patch.modules.map((m: { id: string }) => m.id), ['osc', 'amp', 'out']);
  assert.equal(patch.name, 'A4 sine at -6 dBFS');
  // A patch with a BOM loads.
  assert.deepEqual((await c.call('/patch/load', 'bom')).filter((r) => r.address === '/fail'), []);
  const now = JSON.parse(String((await c.call('/patch/get')).find((r) => r.address === '/patch')!.args[0]));
  assert.equal(now.name, 'BOM sine at -6 dBFS');
  c.close();
});
