/**
 * Output through a pipe arrives whole: `modsynth modules --json` (over 64 KiB) piped into a reader that
 * starts late parses completely. It used to be cut at 64 KiB (one pipe buffer), because the command
 * exited before the pipe drained.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN, ROOT } from '../support/cli';

test('modules --json piped into a late reader arrives whole (over 64 KiB) and parses', () => {
  const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" modules --json | (sleep 0.5; cat)`], { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.length > 65536, `${r.stdout.length} bytes`);
  const mods = JSON.parse(r.stdout) as unknown[];
  assert.ok(mods.length >= 30);
});
