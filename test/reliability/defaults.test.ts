/**
 * What `serve` does without being told: no implicit writable directory (a bare `serve` in a working
 * tree saves to the per-user patch directory, created 0700, and never into the working directory), a
 * --patch-dir that does not exist is one line and exit 2, and an unusable TMPDIR is a warning, not an
 * internal error. Real processes, real UDP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, modsynth } from '../support/cli';
import { client, OSC_ADDRESS } from '../support/osc';
import { collect, waitForStart } from '../support/started';
import { killGroupAndWait, spawnGroup } from '../support/group';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-defaults-'));

/** `modsynth serve ARGS` in `cwd` with `env`; resolves with its UDP port once it prints it. */
function bareServe(args: string[], cwd: string, env: Record<string, string>) {
  const proc = spawnGroup(process.execPath, [BIN, 'serve', '--osc', '127.0.0.1:0', ...args], { cwd, env: { ...process.env, CI: 'true', PULSE_SERVER: 'unix:/nonexistent', XDG_RUNTIME_DIR: tmp, ...env } });
  const output = collect(proc);
  const exited = new Promise<number>((r) => proc.on('exit', (c) => r(c ?? -1)));
  const port = waitForStart(proc, output, OSC_ADDRESS, 'serve', 60_000).then((m) => Number(m[1]));
  return { proc, port, exited, ...output };
}

test('defaults: a bare serve saves to the per-user patch directory (created 0700), never into the working directory', async (t) => {
  const work = join(tmp, 'work'), data = join(tmp, 'data');
  mkdirSync(work);
  writeFileSync(join(work, 'package.json'), '{"name": "mine"}\n');
  const s = bareServe([], work, { XDG_DATA_HOME: data });
  t.after(() => killGroupAndWait(s.proc));
  const c = await client(await s.port);
  const dir = join(data, 'modsynth', 'patches');
  assert.match(s.stdout(), new RegExp(`patch directory ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)`));
  assert.deepEqual(await c.call('/patch/save', 'package'), [{ address: '/done', args: ['/patch/save', 'package'] }]);
  assert.equal(readFileSync(join(work, 'package.json'), 'utf8'), '{"name": "mine"}\n', 'the working directory is untouched');
  assert.equal(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).format, 'modsynth-patch');
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.deepEqual(await c.call('/patch/load', 'package'), [{ address: '/done', args: ['/patch/load', 'package'] }]);
  c.close();
});

test('defaults: --patch-dir that does not exist (or is a file) is one line and exit 2, before anything starts', () => {
  const r = modsynth(['serve', '--patch-dir', join(tmp, 'nope'), '--no-osc', '--seconds', '1']);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr.trim(), /^modsynth: --patch-dir .*nope: no such directory \(create it first\)$/);
  writeFileSync(join(tmp, 'afile'), '');
  const f = modsynth(['serve', '--patch-dir', join(tmp, 'afile'), '--no-osc', '--seconds', '1']);
  assert.equal(f.status, 2);
  assert.match(f.stderr.trim(), /^modsynth: --patch-dir .*afile: not a directory$/);
});

test('defaults: TMPDIR=/nonexistent plays (a warning naming TMPDIR where a temp file is needed), never an internal error', () => {
  const r = modsynth(['play', 'examples/sine.json', '--seconds', '0.5', '--no-osc', '--patch-dir', tmp], { env: { TMPDIR: '/nonexistent', PULSE_SERVER: 'unix:/nonexistent', XDG_RUNTIME_DIR: tmp } });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /internal error|mkdtemp/);
  for (const line of r.stderr.split('\n').filter((l) => /TMPDIR/.test(l))) assert.match(line, /^warning: TMPDIR=\/nonexistent cannot be used \(no such directory\); using \/tmp$/);
  assert.ok(!existsSync('/nonexistent'));
});
