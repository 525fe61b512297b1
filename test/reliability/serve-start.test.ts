/**
 * The test helper that starts `modsynth serve` never waits forever (test/support/started.ts): a server
 * that exits before printing its OSC address is reported at once with its exit code and stderr, and a
 * process that prints something else is reported after the time limit with what it printed. Real
 * processes: a real `serve` refusing a user module at load, a real `node` that says the wrong thing.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, stopServers } from '../support/osc';
import { spawnGroup, killGroupAndWait } from '../support/group';
import { collect, waitForStart } from '../support/started';

after(stopServers);

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-serve-start-'));

test('serve helper: a server that exits before it listens rejects at once with its exit code and stderr', async () => {
  const dir = join(tmp, 'modules');
  mkdirSync(dir);
  writeFileSync(join(dir, 'broken.js'), 'throw new Error("no config found");\n');
  const t0 = Date.now();
  await assert.rejects(serve(['--module-dir', dir, '--no-http'], tmp), (e: Error) => {
    assert.match(e.message, /^serve exited \(code 1\) before it started: /);
    assert.match(e.message, /broken\.js: threw at load: no config found/);
    return true;
  });
  assert.ok(Date.now() - t0 < 20_000, `rejected after ${Date.now() - t0} ms`);
});

test('serve helper: a process that never prints the address rejects after the limit with what it printed', async (t) => {
  const proc = spawnGroup(process.execPath, ['-e', 'console.log("warming up"); console.error("still warming"); setTimeout(() => {}, 60_000);'], {});
  t.after(() => killGroupAndWait(proc));
  const output = collect(proc);
  const t0 = Date.now();
  await assert.rejects(waitForStart(proc, output, /OSC on udp:\/\/127\.0\.0\.1:(\d+)/, 'serve', 1500), (e: Error) => {
    assert.equal(e.message, 'serve did not start within 1.5 s: stdout: "warming up\\n", stderr: "still warming\\n"');
    return true;
  });
  const waited = Date.now() - t0;
  assert.ok(waited >= 1400 && waited < 10_000, `rejected after ${waited} ms`);
  assert.equal(proc.exitCode, null, 'the process is left running for the caller to stop');
});

test('serve helper: a line printed just before the exit still counts as started', async () => {
  const proc = spawnGroup(process.execPath, ['-e', 'process.stdout.write("OSC on udp://127.0.0.1:4321\\n"); process.exitCode = 0;'], {});
  const m = await waitForStart(proc, collect(proc), /OSC on udp:\/\/127\.0\.0\.1:(\d+)/, 'serve', 10_000);
  assert.equal(m[1], '4321');
});
