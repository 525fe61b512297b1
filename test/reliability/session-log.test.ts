/**
 * The session log against a real `modsynth serve`, a real full disk (a tmpfs), real signals:
 * - a change whose line cannot be written is refused with /fail and not applied (params and structural
 *   edits), and after space returns the log still replays the recording bit for bit;
 * - SIGKILL never leaves a log at the final path: the temp file holds whole lines and renders with
 *   --seconds;
 * - the reader: a log without its end line is not replayed as "0 s, exit 0"; a line cut off by a crash
 *   is left out; a bad field is named by line; a device is not read.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modsynth, ROOT } from '../support/cli';
import { client, ensureStopped, serve } from '../support/osc';
import { readSessionLog, SessionLogError } from '../../src/control/session-log-read';
import { readWav } from '../../src/io/wav';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-session-'));
const mounts: string[] = [];
after(() => {
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
});
const sine = JSON.parse(readFileSync(join(ROOT, 'examples/sine.json'), 'utf8'));

function tmpfs(name: string, size: string): string | undefined {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  mounts.push(dir);
  return dir;
}

/** Fills the file system of `dir` with one file until it refuses more (ENOSPC). */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    assert.equal((e as { code?: string }).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
  return path;
}

const patchOf = (replies: { address: string; args: unknown[] }[]) => JSON.parse(String(replies.find((r) => r.address === '/patch')!.args[0]));
const fails = (replies: { address: string; args: unknown[] }[]) => replies.filter((r) => r.address === '/fail').map((r) => String(r.args[1]));

test('session log on a full disk (a real tmpfs): a change that cannot be logged is refused and not applied; the log replays the recording', async (t) => {
  const disk = tmpfs('full', '256k');
  if (!disk) return t.skip('cannot mount a tmpfs here (needs root)');
  const log = join(disk, 's.session'), rec = join(tmp, 'full.wav'), dir = join(tmp, 'pd-full');
  mkdirSync(dir);
  const srv = await serve(['examples/sine.json', '--record-session', log, '--record', rec, '--seconds', '600'], dir);
  t.after(() => ensureStopped(srv));
  const c = await client(srv.port);
  assert.deepEqual(fails(await c.call('/param/set', 'amp', 'level', 0.25)), []);
  const filler = fill(disk);
  // The log's last page may still take a few lines: set values until the first refusal.
  let lastOk = 0.25, refusedAt = 0;
  for (let k = 1; k <= 200 && !refusedAt; k++) {
    const f = fails(await c.call('/param/set', 'amp', 'level', k / 1000));
    if (f.length === 0) lastOk = Math.fround(k / 1000); // OSC f: float32
    else {
      assert.match(f[0], /^not applied: the session log cannot be written \(cannot write .*s\.session: no space left on device\)$/);
      refusedAt = Math.fround(k / 1000);
    }
  }
  assert.ok(refusedAt > 0, 'a /param/set was refused once the disk was full');
  const before = patchOf(await c.call('/patch/get'));
  assert.equal(before.modules.find((m: { id: string }) => m.id === 'amp').params.level, lastOk, 'the refused value was not applied');
  const add = fails(await c.call('/module/add', 'vco', 'extra'));
  assert.match(add[0] ?? '', /^not applied: the session log cannot be written/);
  assert.equal(patchOf(await c.call('/patch/get')).modules.some((m: { id: string }) => m.id === 'extra'), false, 'the refused module was not added');
  rmSync(filler);
  assert.deepEqual(fails(await c.call('/param/set', 'amp', 'level', 0.5)), []);
  assert.deepEqual(fails(await c.call('/module/add', 'vco', 'extra')), []);
  await new Promise((r) => setTimeout(r, 300)); // some audio after the last edit
  c.close();
  srv.proc.kill('SIGTERM');
  assert.equal(await srv.exited, 0, srv.stderr());
  assert.deepEqual(readdirSync(disk).filter((f) => f.endsWith('.tmp')), [], 'the temp file was renamed');
  const events = readSessionLog(log); // throws on any line that is not whole
  const values = events.filter((e) => e.type === 'param').map((e) => (e as { value: number }).value);
  assert.ok(!values.includes(refusedAt), 'the refused value is not in the log');
  assert.equal(values[values.length - 1], 0.5);
  assert.equal(events.filter((e) => e.type === 'patch').length, 1, 'one structural edit logged (the refused one is not)');
  const end = events[events.length - 1];
  assert.equal(end.type, 'end');
  const replay = join(tmp, 'full-replay.wav');
  const r = modsynth(['render', 'examples/sine.json', '--session', log, '--out', replay, '--format', '32f', '-q']);
  assert.equal(r.status, 0, r.stderr);
  const live = readWav(rec), again = readWav(replay);
  assert.equal(live.channels[0].length, (end as { frame: number }).frame);
  assert.deepEqual(again.channels[0], live.channels[0]);
  assert.deepEqual(again.channels[1], live.channels[1]);
});

test('session log: SIGKILL leaves nothing at the final path; the temp file holds whole lines and renders with --seconds', async (t) => {
  const out = join(tmp, 'killed');
  mkdirSync(out);
  const log = join(out, 'k.session');
  writeFileSync(log, 'an older log\n'); // stays as it was
  const srv = await serve(['examples/sine.json', '--record-session', log, '--seconds', '600'], out);
  t.after(() => ensureStopped(srv));
  const c = await client(srv.port);
  for (let k = 1; k <= 20; k++) c.send('/param/set', 'amp', 'level', k / 40);
  await c.call('/module/add', 'lfo', 'wobble');
  c.close();
  process.kill(-srv.proc.pid!, 'SIGKILL');
  await srv.exited;
  assert.equal(readFileSync(log, 'utf8'), 'an older log\n');
  const temps = readdirSync(out).filter((f) => /^k\.session\.[0-9a-f]{12}\.tmp$/.test(f));
  assert.equal(temps.length, 1, readdirSync(out).join(' '));
  const partial = join(out, temps[0]);
  const events = readSessionLog(partial);
  assert.equal(events[0].type, 'start');
  assert.equal(events.filter((e) => e.type === 'param').length, 20);
  assert.equal(events.filter((e) => e.type === 'patch').length, 1);
  assert.equal(events.some((e) => e.type === 'end'), false);
  const noLen = modsynth(['render', 'examples/sine.json', '--session', partial, '--out', join(out, 'x.wav'), '-q']);
  assert.equal(noLen.status, 2, noLen.stderr);
  const r = modsynth(['render', 'examples/sine.json', '--session', partial, '--out', join(out, 'x.wav'), '--seconds', '1', '-q']);
  assert.equal(r.status, 0, r.stderr);
});

test('render --session of a log without its end line: one line, exit 2; with --seconds it renders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modsynth-session-'));
  const log = join(dir, 'killed.session');
  writeFileSync(log, JSON.stringify({ type: 'start', sampleRate: 48000, blockSize: 128, patch: sine }) + '\n' + JSON.stringify({ type: 'param', frame: 4800, id: 'osc', param: 'coarse', value: 12 }) + '\n');
  const r = modsynth(['render', 'examples/sine.json', '--session', log, '--out', join(dir, 'x.wav'), '-q']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr.trim(), /^modsynth: .*killed\.session: the session log has no end line .*last event is at 0\.100 s: give --seconds/);
  const ok = modsynth(['render', 'examples/sine.json', '--session', log, '--out', join(dir, 'y.wav'), '--seconds', '0.5', '-q']);
  assert.equal(ok.status, 0, ok.stderr);
});

test('session log reader: a cut-off last line is left out; bad lines and fields are named; a device is refused', () => {
  const start = JSON.stringify({ type: 'start', sampleRate: 48000, blockSize: 128, patch: sine }) + '\n';
  const param = JSON.stringify({ type: 'param', frame: 4800, id: 'amp', param: 'level', value: 0.5 }) + '\n';
  const log = (name: string, text: string) => {
    const p = join(tmp, name);
    writeFileSync(p, text);
    return p;
  };
  assert.equal(readSessionLog(log('cut.session', start + param + '{"type":"param","fra')).length, 2);
  const bad = (name: string, text: string, re: RegExp) => assert.throws(() => readSessionLog(log(name, text)), (e: unknown) => e instanceof SessionLogError && re.test(e.message));
  bad('mid.session', start + '{"type":"param","fra\n' + param, /mid\.session: line 2 is not a session event \(invalid JSON/);
  bad('value.session', start + param.replace('0.5', '"loud"'), /value\.session: line 2: value: must be a finite number/);
  bad('frame.session', start + param.replace('4800', '-1'), /frame\.session: line 2: frame: must be a whole number/);
  bad('type.session', start + '{"type":"exec","frame":1}\n', /line 2: type: must be "param", "patch", "midi" or "end"/);
  bad('nostart.session', param, /line 1: a session log starts with a "start" line/);
  bad('proto.session', start + '{"type":"param","__proto__":{},"frame":1}\n', /line 2 is not a session event \(the key "__proto__" is not allowed/);
  bad('rate.session', start.replace('48000', '1e9'), /line 1: sampleRate: must be a whole number of Hz/);
  assert.throws(() => readSessionLog('/dev/zero'), /\/dev\/zero: a character device, not a regular file/);
  const r = modsynth(['render', 'examples/sine.json', '--session', join(tmp, 'value.session'), '--out', join(tmp, 'v.wav'), '-q']);
  assert.equal(r.status, 2);
  assert.match(r.stderr.trim(), /^modsynth: .*value\.session: line 2: value: must be a finite number$/);
  assert.equal(existsSync(join(tmp, 'v.wav')), false);
});
