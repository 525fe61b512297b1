/**
 * Hot reload against a real `modsynth serve --module-dir` playing in real time (null sink), driven
 * over real UDP. The patch: a 220 Hz sine into user/scale (a module file in a temp directory: out =
 * in · level · K) on the left, and the same sine straight to the right. While it plays:
 * 1. the file is overwritten with a syntax error: a /notify subscriber gets /module/reload-failed
 *    naming the file, and the old version keeps playing (no gap, no change: checked in the recording);
 * 2. it is overwritten with K halved: /module/reloaded arrives with the frame the new code plays from.
 * The recording's right channel is sample-identical to `render` of the patch with the old file
 * throughout; the left one is that render up to the reported frame and from there exactly `render`
 * with the new file, with the module's param (level 0.8, set in the patch) kept: no silent block (the
 * old thread hands the module over to the new one at a block edge). Timing-insensitive: the recording holds what was played, and the
 * server plays until the test stops it (SIGTERM) one second of audio after the reported frame, however
 * long the reload took (under load a fixed 8 s run once ended before the new code played), at most
 * MAX_SECONDS.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modsynth } from '../support/cli';
import { client, ensureStopped, serve, stopServers } from '../support/osc';
import { killGroup } from '../support/group';
import { readWav } from '../../src/io/wav';
import { scaleModuleSource, scalePatch } from '../support/scale-module';

after(stopServers);

const SR = 48000, B = 128, MAX_SECONDS = 30;

const moduleSource = scaleModuleSource;

const PATCH = scalePatch('hot reload');

function until<T extends { address: string }>(list: T[], pred: (r: T) => boolean, what: string, ms = 20_000): Promise<T> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      const r = list.find(pred);
      if (r) resolve(r);
      else if (Date.now() - t0 > ms) reject(new Error(`no ${what} within ${ms} ms`));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

function render(dir: string, patch: string, out: string): Float32Array[] {
  const r = modsynth(['render', patch, '--module-dir', dir, '--seconds', String(MAX_SECONDS), '--format', '32f', '--out', out, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  return readWav(out).channels;
}

test('hot reload: a broken edit is refused (/module/reload-failed) and the old code keeps playing; a good edit is handed over to a new worker at a block edge (no silent block), params kept, the rest sample-identical', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'modsynth-reload-'));
  const live = join(tmp, 'live'), oldDir = join(tmp, 'old'), newDir = join(tmp, 'new');
  for (const d of [live, oldDir, newDir]) mkdirSync(d);
  const file = join(live, 'scale.ts');
  writeFileSync(file, moduleSource('0.5'));
  writeFileSync(join(oldDir, 'scale.ts'), moduleSource('0.5'));
  writeFileSync(join(newDir, 'scale.ts'), moduleSource('0.25'));
  const patch = join(tmp, 'patch.json');
  writeFileSync(patch, JSON.stringify(PATCH));
  const [oldL, oldR] = render(oldDir, patch, join(tmp, 'old.wav'));
  const [newL] = render(newDir, patch, join(tmp, 'new.wav'));

  const rec = join(tmp, 'live.wav');
  const srv = await serve([patch, '--module-dir', live, '--workers', '2', '--no-http', '--seconds', String(MAX_SECONDS), '--record', rec], tmp);
  t.after(() => ensureStopped(srv));
  const c = await client(srv.port);
  await c.call('/notify', 1);
  await new Promise((r) => setTimeout(r, 800));

  writeFileSync(file, moduleSource('0.5 +')); // a syntax error
  const failed = await until(c.replies, (r) => r.address === '/module/reload-failed', '/module/reload-failed');
  assert.equal(failed.args[0], file);
  assert.match(String(failed.args[1]), /./);
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  writeFileSync(file, moduleSource('0.25'));
  const reloaded = await until(c.replies, (r) => r.address === '/module/reloaded', '/module/reloaded');
  const swapMs = Date.now() - t0;
  assert.deepEqual(reloaded.args.slice(0, 2), ['user/scale', file]);
  const newFrame = reloaded.args[2] as number;
  // One second of the new version's audio, then a clean stop (the recording is complete on SIGTERM).
  const end = Date.now() + 20_000;
  for (;;) {
    const kv = (await c.call('/status')).find((r) => r.address === '/status.reply')?.args ?? [];
    const played = Number(kv[kv.indexOf('seconds') + 1]);
    if (played * SR >= newFrame + SR || srv.proc.exitCode !== null) break;
    if (Date.now() > end) assert.fail(`the server played only ${played} s within 20 s of /module/reloaded (new code from frame ${newFrame})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  c.close();
  killGroup(srv.proc);
  const code = await Promise.race([srv.exited, new Promise<string>((r) => setTimeout(() => r('no exit within 30 s'), 30_000))]);
  if (code !== 0) killGroup(srv.proc, 'SIGKILL');
  assert.equal(code, 0, srv.stdout() + srv.stderr());
  assert.match(srv.stderr(), /reload of .*scale\.ts refused: .*the old version keeps playing/);
  assert.match(srv.stdout(), /reloaded: user\/scale/);
  const summary = JSON.parse(/\[json\] (\{.*\})/.exec(srv.stdout() + srv.stderr())![1]) as { faults: number; restarts: number };
  assert.deepEqual([summary.faults, summary.restarts], [0, 0], 'a reload is not a fault');

  const [liveL, liveR] = readWav(rec).channels;
  assert.ok(liveL.length >= newFrame + SR && liveL.length <= MAX_SECONDS * SR, `recorded ${liveL.length} frames, new code from ${newFrame}`);
  for (let i = 0; i < liveR.length; i++) if (liveR[i] !== oldR[i]) assert.fail(`right channel differs from the render at frame ${i}`);
  // Left: the old render up to the reported frame, then the new render: the old thread handed the
  // module over at a block edge, so no block is silent. One change only: the broken edit changed nothing.
  assert.equal(newFrame % B, 0);
  assert.ok(newFrame > 0.8 * SR, `new code from ${newFrame}`);
  for (let i = 0; i < newFrame; i++) if (liveL[i] !== oldL[i]) assert.fail(`left channel at frame ${i}: ${liveL[i]}, expected the old version's ${oldL[i]} (new code from ${newFrame})`);
  for (let i = newFrame; i < liveL.length; i++) {
    if (liveL[i] === newL[i]) continue;
    // Say where the new version's sound really began, and whether it is the new render from there.
    let heard = newFrame;
    while (heard < liveL.length && liveL[heard] !== newL[heard]) heard++;
    let same = heard;
    while (same < liveL.length && liveL[same] === newL[same]) same++;
    assert.fail(`left channel at frame ${i}: ${liveL[i]}, expected the new version's ${newL[i]} (from ${newFrame}); it equals the new render from frame ${heard} (${(heard - newFrame) / B} blocks after the reported one) ${same === liveL.length ? 'to the end' : `up to ${same}`}`);
  }
  assert.match(srv.stdout(), /reloaded: user\/scale .*handed over at a block edge/);
  let energy = 0;
  for (let i = newFrame; i < liveL.length; i++) energy += liveL[i] * liveL[i];
  assert.ok(Math.sqrt(energy / (liveL.length - newFrame)) > 0.05, 'the new version sounds');
  console.log(`# reload: save → /module/reloaded ${swapMs} ms; no block silent; ${/reloaded: .*/.exec(srv.stdout())![0]}`);
});
