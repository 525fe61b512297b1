/**
 * Hot reload's rollback, against a real `modsynth serve --module-dir` playing in real time (null sink)
 * over real UDP. The patch of reload.test.ts: a 220 Hz sine into user/scale (level 0.8) on the left,
 * straight to the right. Each new version below passes module-test (which runs the params at their
 * default, min and max: 1, 0, 1) and faults only at the patch's level 0.8:
 * 1. a version that throws on every block at level 0.8: it faults in the new thread's warm-up on the
 *    patch, before the swap, and is refused (/module/reload-failed ... warm-up); nothing changed;
 * 2. a version that throws from frame 100000 on (after its warm-up, which runs frames 0..25600): it is
 *    swapped in (/module/reloaded), faults (/fault throw) and the previous version is restored
 *    (/module/reload-failed ... the previous version plays again from frame R);
 * 3. a version that hangs in `process` from frame 100000 on: the same, through the watchdog (/fault hang).
 * The recording's right channel is sample-identical to `render` of the patch throughout; the left one
 * is the old version's render except between each swap and its restore (the faulting version's blocks,
 * then 0 V), and the old version's render again from each restore frame on.
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

const SR = 48000, B = 128, MAX_SECONDS = 40;

const moduleSource = scaleModuleSource;

const PATCH = scalePatch('hot reload rollback');

type Reply = { address: string; args: unknown[] };

function until(list: Reply[], from: number, pred: (r: Reply) => boolean, what: string, ms = 30_000): Promise<Reply> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      const r = list.slice(from).find(pred);
      if (r) resolve(r);
      else if (Date.now() - t0 > ms) reject(new Error(`no ${what} within ${ms} ms; got ${JSON.stringify(list.slice(from))}`));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

test('hot reload rollback: a version that faults in its warm-up is refused before the swap; one that throws or hangs after the swap is rolled back to the previous version, reported to /notify; the rest of the patch is sample-identical', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'modsynth-rollback-'));
  const live = join(tmp, 'live'), oldDir = join(tmp, 'old');
  for (const d of [live, oldDir]) mkdirSync(d);
  const file = join(live, 'scale.ts');
  writeFileSync(file, moduleSource('0.5'));
  writeFileSync(join(oldDir, 'scale.ts'), moduleSource('0.5'));
  const patch = join(tmp, 'patch.json');
  writeFileSync(patch, JSON.stringify(PATCH));
  const r = modsynth(['render', patch, '--module-dir', oldDir, '--seconds', String(MAX_SECONDS), '--format', '32f', '--out', join(tmp, 'old.wav'), '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const [oldL, oldR] = readWav(join(tmp, 'old.wav')).channels;

  const rec = join(tmp, 'live.wav');
  const srv = await serve([patch, '--module-dir', live, '--workers', '2', '--no-http', '--seconds', String(MAX_SECONDS), '--record', rec], tmp);
  t.after(() => ensureStopped(srv));
  const c = await client(srv.port);
  await c.call('/notify', 1);
  await new Promise((res) => setTimeout(res, 500));

  // 1. Faults in the warm-up on the patch: refused, nothing swapped.
  let from = c.replies.length;
  writeFileSync(file, moduleSource('0.25', `if (atPatchLevel) throw new Error('level 0.8');`));
  const early = await until(c.replies, from, (m) => m.address === '/module/reload-failed', '/module/reload-failed (warm-up)');
  assert.equal(early.args[0], file);
  assert.match(String(early.args[1]), /faulted in its first blocks on the patch \(warm-up, before the swap\): s \(throw/);
  assert.equal(early.args[2], 'user/scale');
  assert.equal(c.replies.slice(from).filter((m) => m.address === '/module/reloaded' || m.address === '/fault').length, 0, 'no swap, no fault');

  // 2 and 3. Swapped in, then throws / hangs: rolled back.
  const windows: { swap: number; back: number; kind: string }[] = [];
  for (const [kind, fault] of [
    ['throw', `if (atPatchLevel && frame >= 100000) throw new Error('late');`],
    ['hang', `if (atPatchLevel && frame >= 100000) for (;;) { /* spins */ }`],
  ] as const) {
    await new Promise((res) => setTimeout(res, 300));
    from = c.replies.length;
    writeFileSync(file, moduleSource('0.25', fault));
    const reloaded = await until(c.replies, from, (m) => m.address === '/module/reloaded', `/module/reloaded (${kind})`);
    const fault1 = await until(c.replies, from, (m) => m.address === '/fault', `/fault (${kind})`);
    assert.deepEqual(fault1.args.slice(0, 2), ['s', kind]);
    const failed = await until(c.replies, from, (m) => m.address === '/module/reload-failed', `/module/reload-failed (${kind} rollback)`);
    assert.equal(failed.args[0], file);
    assert.equal(failed.args[2], 'user/scale');
    const m = /the new version faulted in the patch: (\w+) in s at frame (\d+).*the previous version plays again from frame (\d+)/.exec(String(failed.args[1]));
    assert.ok(m, String(failed.args[1]));
    assert.equal(m[1], kind);
    const swap = reloaded.args[2] as number, back = Number(m[3]);
    assert.ok(back > swap && back % B === 0 && swap % B === 0, `restored at ${back}, swapped at ${swap}`);
    windows.push({ swap, back, kind });
    // Back up with the old code: a /restarted for s from that frame.
    await until(c.replies, from, (x) => x.address === '/restarted' && x.args[0] === 's' && x.args[1] === back, `/restarted s at ${back}`);
    // Mark the next file write well after this one's probation.
    await new Promise((res) => setTimeout(res, 300));
  }
  const lastBack = windows[windows.length - 1].back;
  for (;;) {
    const kv = (await c.call('/status')).find((x) => x.address === '/status.reply')?.args ?? [];
    if (Number(kv[kv.indexOf('seconds') + 1]) * SR >= lastBack + SR || srv.proc.exitCode !== null) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  c.close();
  killGroup(srv.proc);
  const code = await Promise.race([srv.exited, new Promise<string>((res) => setTimeout(() => res('no exit within 30 s'), 30_000))]);
  if (code !== 0) killGroup(srv.proc, 'SIGKILL');
  assert.equal(code, 0, srv.stdout() + srv.stderr());
  assert.match(srv.stderr(), /reload of .*scale\.ts refused: faulted in its first blocks/);
  assert.equal((srv.stderr().match(/reload of .*scale\.ts rolled back: the new version faulted in the patch/g) ?? []).length, 2, srv.stderr());
  const summary = JSON.parse(/\[json\] (\{.*\})/.exec(srv.stdout() + srv.stderr())![1]) as { faults: number; restarts: number };
  assert.ok(summary.faults >= 2 && summary.restarts >= 2, JSON.stringify(summary));

  const [liveL, liveR] = readWav(rec).channels;
  assert.ok(liveL.length >= lastBack + SR, `recorded ${liveL.length} frames, restored at ${lastBack}`);
  for (let i = 0; i < liveR.length; i++) if (liveR[i] !== oldR[i]) assert.fail(`right channel differs from the render at frame ${i}`);
  let w = 0;
  for (let i = 0; i < liveL.length; i++) {
    while (w < windows.length && i >= windows[w].back) w++;
    const inside = w < windows.length && i >= windows[w].swap;
    // Inside a window: the faulting version's (half the old value) until it faulted, then 0 V.
    if (inside ? liveL[i] !== 0 && Math.abs(liveL[i] - oldL[i] / 2) > 1e-6 : liveL[i] !== oldL[i]) {
      assert.fail(`left channel at frame ${i}: ${liveL[i]}, old version ${oldL[i]} (windows ${JSON.stringify(windows)})`);
    }
  }
  console.log(`# rollback: ${windows.map((x) => `${x.kind}: swapped at ${x.swap}, previous version back at ${x.back} (${(((x.back - x.swap) / SR) * 1000).toFixed(0)} ms of audio)`).join('; ')}`);
});
