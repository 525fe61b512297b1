/**
 * A clean start: `modsynth play` run the way `npm start` runs it (`node bin/modsynth.js play
 * examples/demo.json`, raised to SCHED_FIFO where allowed) prints nothing on stderr
 * that Modsynth did not write itself, and one line naming the device and the latency. The native
 * audio libraries' probing output (libasound's `ALSA lib ...` lines without a sound card, the JACK
 * binding's `Failed to open client ...` without a JACK server) is captured (io/native-quiet.ts) and
 * shown only with --verbose, which these tests also check, so that they fail if the capture stops
 * being what hides it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPulse } from '../support/audio-servers';
import { BIN, ROOT } from '../support/cli';
import { killGroup, spawnGroup } from '../support/group';

/**
 * Runs `node bin/modsynth.js play ARGS` with its stdout and stderr on two real pipes, as a shell or a
 * terminal gives them (`npm start | tee log`, a pipeline). Node's own child stdio would be sockets,
 * which cannot be captured and restored (see io/native-quiet.ts, Limits).
 */
function play(args: string[], env: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawnGroup('bash', ['-c', 'exec "$@" > >(cat) 2> >(cat >&2)', 'bash', process.execPath, BIN, 'play', ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: 'true', ...env },
    });
    const limit = setTimeout(() => killGroup(p, 'SIGKILL'), 120_000);
    let stdout = '', stderr = '', status = -1;
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => (status = code ?? -1));
    p.on('close', () => {
      clearTimeout(limit);
      resolve({ status, stdout, stderr });
    });
  });
}

const NATIVE = /ALSA lib|Failed to open client|ClientError|jack server|Cannot connect to server/i;

/** Lines Modsynth writes on stderr: its own messages and warnings. */
function foreignStderr(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() && !/^(modsynth: |warning: )/.test(l));
}

function checkClean(r: { status: number; stdout: string; stderr: string }, device: RegExp): void {
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(foreignStderr(r.stderr), [], `stderr holds lines Modsynth did not write:\n${r.stderr}`);
  assert.doesNotMatch(r.stdout, NATIVE, r.stdout);
  const playing = r.stdout.split('\n').filter((l) => l.startsWith('playing '));
  assert.equal(playing.length, 1, r.stdout);
  assert.match(playing[0], device);
  assert.match(playing[0], /latency [0-9.]+ ms \(ring [0-9.]+ ms = \d+ blocks, device [0-9.]+ ms/);
}

test('npm start with no audio server: only Modsynth\'s own lines (one says the null sink is used); --verbose shows the native probing', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'modsynth-clean-'));
  chmodSync(empty, 0o700);
  // A JACK server name nobody uses: another test run's default server must not count as ours.
  const env = { XDG_RUNTIME_DIR: empty, PULSE_SERVER: 'unix:/nonexistent', JACK_DEFAULT_SERVER: `none-${process.pid}` };
  const r = await play(['examples/demo.json', '--seconds', '1'], env);
  checkClean(r, /— null sink at 48000 Hz/);
  assert.match(r.stderr, /^modsynth: no audio device or server available .*null sink$/m);
  const v = await play(['examples/demo.json', '--seconds', '1', '--verbose'], env);
  assert.equal(v.status, 0, v.stderr);
  // On this machine kind (no sound card, no JACK server) the libraries do complain; with --verbose it is shown, marked.
  assert.match(v.stderr, /^native: (ALSA lib|Failed to open client)/m, v.stderr);
  assert.deepEqual(v.stderr.split('\n').filter((l) => NATIVE.test(l) && !l.startsWith('native: ')), [], v.stderr);
});

test('npm start with a PulseAudio server: only Modsynth\'s own lines, the device and latency in one line', async () => {
  const pulse = await startPulse();
  try {
    const env = { ...pulse.env, JACK_DEFAULT_SERVER: `none-${process.pid}` };
    const r = await play(['examples/demo.json', '--seconds', '1'], env);
    checkClean(r, /— PulseAudio \(through ALSA\) at 48000 Hz/);
    const v = await play(['examples/demo.json', '--seconds', '1', '--verbose'], env);
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stderr, /^native: Failed to open client/m, v.stderr);
  } finally {
    await pulse.stop();
  }
});
