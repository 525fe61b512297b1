/**
 * Fault isolation against a real `modsynth serve` playing examples/fault.json in real time (null sink):
 * a filtered saw on the left that does not depend on the fault module, and a sine through the fault
 * module on the right. Faults are injected with OSC timed bundles; what the device got is compared
 * sample by sample with a fault-free offline render.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode, Bundle } from 'node-osc';
import { BIN, ROOT } from '../support/cli';
import { client, ensureStopped, serve, stopServers } from '../support/osc';
import { killGroup } from '../support/group';
import { readWav } from '../../src/io/wav';
import { assertEventsDocumented } from '../support/events-doc';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-faults-'));
after(stopServers);
const SR = 48000, SECONDS = 4, B = 128; // serve's default block
const KINDS = ['throw', 'nan', 'hang', 'heap'] as const;

let reference: Float32Array[] | undefined;
/** The fault-free render of examples/fault.json. */
function ref(): Float32Array[] {
  if (!reference) {
    const out = join(tmp, 'ref.wav');
    const r = spawnSync(process.execPath, [BIN, 'render', 'examples/fault.json', '--out', out, '--seconds', String(SECONDS), '--format', '32f', '-q'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    reference = readWav(out).channels;
  }
  return reference;
}

type Reply = { address: string; args: unknown[] };

async function until(replies: Reply[], match: (r: Reply) => boolean, what: string, ms = 8000): Promise<Reply> {
  const end = Date.now() + ms;
  for (;;) {
    const r = replies.find(match);
    if (r) return r;
    if (Date.now() > end) throw new Error(`no ${what} (replies: ${JSON.stringify(replies.slice(-10))})`);
    await new Promise((res) => setTimeout(res, 5));
  }
}

const statusOf = (reply: Reply) => {
  const a = reply.args;
  const m = new Map<string, number>();
  for (let i = 1; i < a.length; i += 2) m.set(a[i - 1] as string, a[i] as number);
  return m;
};

for (const kind of KINDS) {
  // Underruns are not asserted here: whether the device thread got its core in time is the machine's
  // business (measured over many runs by `npm run bench -- --only faults`). What the engine controls
  // is: the recording is the engine's stream (an underrun's silence is not in it), the left chain in it
  // is the fault-free render sample for sample, f reads exactly 0 V from the block it failed in to the
  // block it was restarted at, and comes back with its params.
  test(`fault isolation, ${kind}: the left chain is sample-identical; f reads 0 V while down, then comes back with its params`, async (ctx) => {
    const rec = join(tmp, `${kind}.wav`);
    const srv = await serve(['examples/fault.json', '--seconds', String(SECONDS), '--record', rec], tmp);
    ctx.after(() => ensureStopped(srv));
    const c = await client(srv.port);
    await c.call('/notify', 1);
    await new Promise((r) => setTimeout(r, 800)); // the engine clock is anchored once the device plays
    const t = Date.now() / 1000;
    c.sendRaw(encode(new Bundle(t + 0.3, ['/f/gain', 0.5], ['/f/kind', KINDS.indexOf(kind)])));
    c.sendRaw(encode(new Bundle(t + 0.9, ['/f/inject', 1])));
    const bundles = () => c.replies.filter((r) => r.args[0] === '#bundle').map((r) => r.args[1] as number);
    await until(c.replies, () => bundles().length === 2, 'bundle acknowledgements');
    const [gainFrame, injectFrame] = bundles();
    const restarted = await until(c.replies, (r) => r.address === '/restarted', '/restarted event');
    const fault = c.replies.find((r) => r.address === '/fault')!;
    const st = statusOf((await c.call('/status'))[0]);
    c.close();
    assertEventsDocumented(c.replies);
    // Bounded: a stalled device would keep `serve` from ever reaching --seconds (seen once in CI).
    const code = await Promise.race([srv.exited, new Promise<string>((r) => setTimeout(() => r('no exit within 30 s'), 30_000))]);
    if (code !== 0) killGroup(srv.proc, 'SIGKILL');
    assert.equal(code, 0, srv.stdout());
    console.log(`# ${kind}: ${/: (\d+) underruns/.exec(srv.stdout())?.[1] ?? '?'} underruns`);

    assert.equal(fault.args[0], 'f');
    // A leaking module is caught either when its worker's heap runs out, or earlier, when garbage
    // collection near the limit stalls it past the hang budget.
    assert.ok(kind === 'heap' ? ['heap', 'hang'].includes(fault.args[1] as string) : fault.args[1] === kind, `reported as ${fault.args[1]}`);
    assert.equal(st.get('faults'), 1);
    assert.equal(st.get('restarts'), 1);
    assert.equal(st.get('down'), 0);
    const faultFrame = fault.args[2] as number, restartFrame = restarted.args[1] as number;
    if (kind === 'throw' || kind === 'nan' || kind === 'hang') assert.equal(faultFrame, Math.floor(injectFrame / B) * B, 'down from the block the fault happened in');
    else assert.ok(faultFrame >= Math.floor(injectFrame / B) * B);
    assert.ok(restartFrame > faultFrame && restartFrame < SECONDS * SR - SR / 2, `restart at ${restartFrame}`);

    const [liveL, liveR] = readWav(rec).channels;
    const [refL, refR] = ref();
    assert.equal(liveL.length, SECONDS * SR);
    // The left chain does not depend on f: exactly the fault-free render, fault and recovery included.
    let diffL = -1;
    for (let i = 0; i < liveL.length && diffL < 0; i++) if (liveL[i] !== refL[i]) diffL = i;
    assert.equal(diffL, -1, `left channel differs from the fault-free render at frame ${diffL}`);
    // Right: the sine × gain (1, then 0.5 from the bundle's frame), 0 V while f is down, and × 0.5 again
    // after the restart (its params survived).
    const expected = (i: number) => (i < gainFrame ? refR[i] : Math.fround(refR[i] * 0.5));
    for (let i = 0; i < liveR.length; i++) {
      const want = i >= faultFrame && i < restartFrame ? 0 : expected(i);
      if (liveR[i] !== want) assert.fail(`right channel at frame ${i}: ${liveR[i]}, expected ${want} (gain at ${gainFrame}, fault ${faultFrame}, restart ${restartFrame})`);
    }
  });
}

test('crash loop: after 3 faults within 10 s f stays disabled (0 V) until /module/enable', async (t) => {
  const rec = join(tmp, 'loop.wav');
  const srv = await serve(['examples/fault.json', '--seconds', '4', '--record', rec], tmp);
  t.after(() => ensureStopped(srv));
  const c = await client(srv.port);
  await c.call('/notify', 1);
  for (let k = 0; k < 3; k++) {
    await c.call('/f/inject', 1);
    await until(c.replies, () => c.replies.filter((r) => r.address === '/fault').length === k + 1, `fault ${k + 1}`);
    await c.call('/f/inject', 0);
  }
  const disabled = await until(c.replies, (r) => r.address === '/disabled', '/disabled event');
  assert.deepEqual(disabled.args, ['f', 'throw']);
  let st = statusOf((await c.call('/status'))[0]);
  assert.equal(st.get('disabled'), 1);
  assert.equal(st.get('restarts'), 2, 'the first two faults restarted it, the third did not');
  assert.deepEqual((await c.call('/module/enable', 'tone'))[0].address, '/fail', 'a module that is not disabled');
  assert.deepEqual((await c.call('/module/enable', 'f')).find((r) => r.address !== '/enabled'), { address: '/done', args: ['/module/enable', 'f'] });
  await until(c.replies, (r) => r.address === '/enabled', '/enabled event');
  await until(c.replies, () => c.replies.filter((r) => r.address === '/restarted').length === 3, 'third restart');
  st = statusOf((await c.call('/status'))[0]);
  assert.equal(st.get('disabled'), 0);
  c.close();
  assertEventsDocumented(c.replies);
  assert.equal(await srv.exited, 0, srv.stdout() + srv.stderr());
  // Reported, not failed: a stalled close inside the audio library (see README, Known limits).
  if (/did not confirm closing/.test(srv.stderr())) console.log('# the audio device did not confirm closing within 3 s');
});

test('a stall is not a hang: f blocked 30 ms at a time without using the CPU is not restarted', async (t) => {
  const srv = await serve(['examples/fault.json', '--seconds', '4'], tmp);
  t.after(() => ensureStopped(srv));
  const c = await client(srv.port);
  await c.call('/notify', 1);
  await new Promise((r) => setTimeout(r, 1200)); // past the watchdog's grace period
  await c.call('/f/kind', 4);
  for (let k = 0; k < 3; k++) {
    await c.call('/f/inject', 1);
    await new Promise((r) => setTimeout(r, 300));
    await c.call('/f/inject', 0);
  }
  await new Promise((r) => setTimeout(r, 300));
  const st = statusOf((await c.call('/status'))[0]);
  c.close();
  const events = c.replies.filter((r) => r.address === '/fault').map((r) => r.args.join(' '));
  assert.deepEqual(events, [], `no fault reported: ${srv.stdout()}`);
  assert.equal(st.get('faults'), 0);
  assert.equal(st.get('workersReplaced'), 0);
  assert.equal(await srv.exited, 0, srv.stdout() + srv.stderr());
});

test('a hang in the worker that advances the output ring: the worker is replaced and the stream goes on', async (t) => {
  // With no output module, worker 0 advances the ring; a patch whose only module is `fault` puts it
  // there. The replacement must go on from the first block the ring has not got (a later block would
  // wait forever for ring room only it can make).
  const file = join(tmp, 'ring-fault.json');
  writeFileSync(file, JSON.stringify({ format: 'modsynth-patch', version: 1, modules: [{ id: 'f', type: 'fault', params: { kind: 2 } }], cables: [] }));
  const srv = await serve([file, '--seconds', '3'], tmp);
  t.after(() => ensureStopped(srv));
  const c = await client(srv.port);
  await c.call('/notify', 1);
  await new Promise((r) => setTimeout(r, 1300)); // past the watchdog's 1 s arming
  await c.call('/f/inject', 1);
  const restarted = await until(c.replies, (r) => r.address === '/restarted', '/restarted event');
  assert.equal(restarted.args[0], 'f');
  await c.call('/f/inject', 0);
  const st = statusOf((await c.call('/status'))[0]);
  c.close();
  assert.equal(st.get('workersReplaced'), 1);
  const code = await Promise.race([srv.exited, new Promise<string>((r) => setTimeout(() => r('no exit within 20 s'), 20_000))]);
  if (code !== 0) killGroup(srv.proc, 'SIGKILL');
  assert.equal(code, 0, `the stream stalled after the replacement: ${srv.stdout()}`);
});

test('100 injected faults (throw, nan, hang, heap) leak no thread, worker or memory', async (t) => {
  const srv = await serve(['examples/fault.json', '--max-faults', '1000'], tmp);
  t.after(() => ensureStopped(srv));
  const c = await client(srv.port);
  await c.call('/notify', 1);
  await new Promise((r) => setTimeout(r, 1000));
  const before = statusOf((await c.call('/status'))[0]);
  // 92 in place (throw and nan, a few ms each) and 8 that replace the worker (hang and heap; a new
  // spare takes about a second to warm, so those are spaced).
  const plan = Array.from({ length: 100 }, (_, i) => (i % 25 === 0 || i % 25 === 12 ? (i % 2 ? 3 : 2) : i % 2));
  let faults = 0, restarts = 0;
  try {
    for (const kind of plan) {
      await c.call('/f/kind', kind);
      await c.call('/f/inject', 1);
      faults++;
      await until(c.replies, () => c.replies.filter((r) => r.address === '/fault').length >= faults, `fault ${faults}`, 10_000);
      restarts++;
      await until(c.replies, () => c.replies.filter((r) => r.address === '/restarted').length >= restarts, `restart ${restarts}`, 10_000);
      await c.call('/f/inject', 0);
      if (kind >= 2) await new Promise((r) => setTimeout(r, 1200));
    }
  } catch (e) {
    const tail = (text: string) => text.split('\n').slice(-6).join(' | ');
    throw new Error(`${(e as Error).message} at fault ${faults}; server stdout: ${tail(srv.stdout())}; stderr: ${tail(srv.stderr())}`);
  }
  // Spares are warmed again in the background: wait until the thread count is back.
  let after = statusOf((await c.call('/status'))[0]);
  for (let k = 0; k < 50 && after.get('threads') !== before.get('threads'); k++) {
    await new Promise((r) => setTimeout(r, 200));
    after = statusOf((await c.call('/status'))[0]);
  }
  killGroup(srv.proc);
  c.close();
  // The figures are taken; this test is about leaks, not shutdown. A shutdown after many faults hung
  // once (open defect, see README Known limits): `play` now gives up after 10 s with exit code 4 and
  // names the step, which this prints.
  const code = await Promise.race([srv.exited, new Promise<string>((r) => setTimeout(() => r('no exit within 20 s'), 20_000))]);
  if (code !== 0) console.log(`# shutdown after 100 faults: exit ${code}; ${srv.stdout().split('\n').slice(-3).join(' | ')}`);
  assert.notEqual(code, 'no exit within 20 s');
  const events = c.replies.filter((r) => r.address === '/fault' || r.address === '/restarted').map((r) => `${r.address} ${r.args.join(' ')}`);
  assert.equal(after.get('faults'), 100, `events: ${events.join('; ')}`);
  assert.equal(after.get('restarts'), 100);
  assert.equal(after.get('workersReplaced'), 8);
  assert.equal(after.get('threads'), before.get('threads'), `threads ${before.get('threads')} → ${after.get('threads')}`);
  const growth = after.get('rssMB')! - before.get('rssMB')!;
  console.log(`# 100 faults: threads ${before.get('threads')} → ${after.get('threads')}, RSS ${before.get('rssMB')} → ${after.get('rssMB')} MB, workers replaced ${after.get('workersReplaced')}`);
  assert.ok(growth < 40, `RSS ${before.get('rssMB')} → ${after.get('rssMB')} MB`);
});
