/**
 * Stopping `play --record --record-session` every way a terminal or a service manager does: SIGINT,
 * SIGTERM and SIGHUP to the whole process group (Ctrl-C in a terminal), twice in a row, and during start-up. Each must end with
 * exit 0, the summary line, a complete recording and a session log that ends and re-renders
 * bit-identically to the recording. (It used to end with exit 143, no summary and no recording.)
 * Real processes, real signals, the null sink (no audio server: the test asserts the engine's own
 * behaviour, not an audio server's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, modsynth } from '../support/cli';
import { killGroupAndWait, spawnGroup } from '../support/group';
import { readWav } from '../../src/io/wav';
import { readSessionLog } from '../../src/control/session-log';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-signals-'));
const empty = mkdtempSync(join(tmpdir(), 'modsynth-nosrv-'));
chmodSync(empty, 0o700);

interface Stopped {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `play` in a process group of its own and sends `signals` to the whole group: the first when
 * `when` matches the output so far, the others `gapMs` apart.
 */
function playAndSignal(args: string[], when: RegExp, signals: NodeJS.Signals[], gapMs = 0): Promise<Stopped> {
  return new Promise((resolve) => {
    const p = spawnGroup(process.execPath, [BIN, 'play', ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: 'true', XDG_RUNTIME_DIR: empty, PULSE_SERVER: 'unix:/nonexistent' },
    });
    const limit = setTimeout(() => void killGroupAndWait(p), 60_000);
    let stdout = '', stderr = '', sent = false;
    const group = (sig: NodeJS.Signals) => {
      try {
        process.kill(-p.pid!, sig);
      } catch {
        // gone already
      }
    };
    const maybeSend = () => {
      if (sent || !when.test(stdout + stderr)) return;
      sent = true;
      signals.forEach((sig, i) => setTimeout(() => group(sig), i * gapMs));
    };
    p.stdout.on('data', (d) => {
      stdout += d;
      maybeSend();
    });
    p.stderr.on('data', (d) => {
      stderr += d;
      maybeSend();
    });
    p.on('exit', (status, signal) => {
      clearTimeout(limit);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** The recording is complete, the log ends at the same frame, and the log re-renders to the same samples. */
function checkSaved(r: Stopped, rec: string, log: string, signal: string): void {
  assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`stopped (after [0-9.]+ s .*on ${signal}|on ${signal} before the device started)`));
  assert.ok(existsSync(rec), `no recording at ${rec}`);
  assert.deepEqual(readdirSync(tmp).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  const events = readSessionLog(log);
  const end = events[events.length - 1];
  assert.equal(end.type, 'end', 'the session log has its end line');
  const live = readWav(rec);
  const frames = (end as { frame: number }).frame;
  assert.equal(live.channels[0].length, frames, 'the recording holds exactly the frames the log says were played');
  if (frames === 0) return;
  const again = rec.replace(/\.wav$/, '-replay.wav');
  const rr = modsynth(['render', 'examples/sine.json', '--session', log, '--out', again, '--format', '32f', '-q']);
  assert.equal(rr.status, 0, rr.stderr);
  const replay = readWav(again);
  assert.deepEqual(replay.channels[0], live.channels[0]);
  assert.deepEqual(replay.channels[1], live.channels[1]);
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  test(`${sig} to the whole process group while playing: exit 0, summary, the recording and the session log complete and replayable`, async () => {
    const rec = join(tmp, `${sig}.wav`), log = join(tmp, `${sig}.session`);
    const r = await playAndSignal(['examples/sine.json', '--record', rec, '--record-session', log, '--no-osc'], /\n  |underruns|playing/, [sig]);
    checkSaved(r, rec, log, sig);
  });
}

test('Ctrl-C twice in a row (SIGINT to the group, then again 300 ms later): one clean stop, nothing lost', async () => {
  const rec = join(tmp, 'twice.wav'), log = join(tmp, 'twice.session');
  const r = await playAndSignal(['examples/sine.json', '--record', rec, '--record-session', log, '--no-osc'], /playing/, ['SIGINT', 'SIGINT'], 300);
  checkSaved(r, rec, log, 'SIGINT');
});

test('SIGTERM to the group during start-up (before the device plays): a clean stop, an empty recording and log', async () => {
  const rec = join(tmp, 'startup.wav'), log = join(tmp, 'startup.session');
  // The first line on stdout is the OSC or device line, so signal on the fallback warning, which comes
  // before the device plays.
  const r = await playAndSignal(['examples/sine.json', '--record', rec, '--record-session', log, '--no-osc'], /null sink|no audio device/, ['SIGTERM']);
  assert.equal(r.signal, null, r.stderr);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(rec) && existsSync(log), 'both files are there');
  const events = readFileSync(log, 'utf8').trim().split('\n');
  assert.equal(JSON.parse(events[events.length - 1]).type, 'end');
});
