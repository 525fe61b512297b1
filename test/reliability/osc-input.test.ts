/**
 * Hostile OSC input against a real `modsynth serve` over real UDP: every datagram is answered, none
 * can stop the server, and each refusal is counted where /status shows it. One server plays for the
 * whole file (each test reads counter deltas): fewer engines starting on a shared 2-core machine.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bundle, decode, encode, Message } from 'node-osc';
import { client, ensureStopped, serve, type Server } from '../support/osc';
import { MAX_BUNDLE_DEPTH } from '../../src/control/osc-decode';
import { OSC_LIMITS } from '../../src/control/osc-limits';
import { SlipDecoder, slipEncode } from '../../src/control/osc-tcp';
import { nestedBundles } from '../../bench/osc-packets';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-osc-input-'));
let srv: Server;
before(async () => {
  srv = await serve(['examples/sine.json', '--seconds', '600'], tmp);
});
after(() => ensureStopped(srv));

/** An OSC message with explicit argument types (node-osc cannot encode h or d). */
function typed(address: string, ...args: [tag: 'i' | 'f' | 'h' | 'd' | 's', value: number | string][]): Buffer {
  const str = (v: string) => {
    const b = Buffer.from(v + '\0', 'utf8');
    return Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  };
  const data = args.map(([tag, v]) => {
    const b = Buffer.alloc(tag === 'h' || tag === 'd' ? 8 : 4);
    if (tag === 's') return str(v as string);
    if (tag === 'i') b.writeInt32BE(v as number);
    else if (tag === 'f') b.writeFloatBE(v as number);
    else if (tag === 'h') b.writeBigInt64BE(BigInt(v as number));
    else b.writeDoubleBE(v as number);
    return b;
  });
  return Buffer.concat([str(address), str(',' + args.map(([tag]) => tag).join('')), ...data]);
}

type Client = Awaited<ReturnType<typeof client>>;

async function status(c: Client): Promise<(k: string) => unknown> {
  const r = await c.call('/status');
  assert.equal(r.length, 1, JSON.stringify(r));
  assert.equal(r[0].address, '/status.reply');
  const kv = r[0].args;
  return (k: string) => kv[kv.indexOf(k) + 1];
}

test('osc input: a message inside 2,000 nested bundles (one ~40 KB datagram) is refused with /fail, counted as malformed, and the server keeps answering', async () => {
  const c = await client(srv.port);
  const malformed0 = (await status(c))('malformed') as number;
  const deep = nestedBundles(encode(new Message('/status')), 2000);
  assert.ok(deep.length > 40_000 && deep.length < 65_507, `one datagram of ${deep.length} bytes`);
  const from = c.replies.length;
  c.sendRaw(deep);
  await c.sync();
  const answers = c.replies.slice(from).filter((r) => r.address !== '/synced');
  assert.deepEqual(answers, [{ address: '/fail', args: ['#bundle', `bundles nested more than ${MAX_BUNDLE_DEPTH} deep`] }]);
  const field = await status(c);
  assert.equal(field('malformed'), malformed0 + 1);
  assert.equal(field('internal'), 0);
  c.close();
  assert.equal(srv.proc.exitCode, null, `still running: ${srv.stderr()}`);
  assert.doesNotMatch(srv.stderr(), /RangeError|Maximum call stack/);
});

test(`osc input: bundles nested ${MAX_BUNDLE_DEPTH} deep run; ${MAX_BUNDLE_DEPTH + 1} deep are refused whole`, async () => {
  const c = await client(srv.port);
  const malformed0 = (await status(c))('malformed') as number;
  const probe = encode(new Message('/sync', 77));
  let from = c.replies.length;
  c.sendRaw(nestedBundles(probe, MAX_BUNDLE_DEPTH));
  await c.sync();
  assert.deepEqual(c.replies.slice(from).filter((r) => r.args[0] === 77), [{ address: '/synced', args: [77] }]);
  from = c.replies.length;
  c.sendRaw(nestedBundles(probe, MAX_BUNDLE_DEPTH + 1));
  await c.sync();
  assert.deepEqual(c.replies.slice(from).filter((r) => r.address !== '/synced'), [{ address: '/fail', args: ['#bundle', `bundles nested more than ${MAX_BUNDLE_DEPTH} deep`] }]);
  assert.equal((await status(c))('malformed'), malformed0 + 1);
  c.close();
});

test('osc input: int64 (h) and float64 (d) arguments are numbers, from our client and from liblo oscsend', async () => {
  const c = await client(srv.port);
  const malformed0 = (await status(c))('malformed') as number;
  const patch = async () => JSON.parse((await c.call('/patch/get'))[0].args[0] as string) as { modules: { id: string; params: Record<string, number> }[] };
  const param = async (id: string, name: string) => (await patch()).modules.find((m) => m.id === id)!.params[name];
  let from = c.replies.length;
  c.sendRaw(typed('/param/set', ['s', 'osc'], ['s', 'coarse'], ['d', 12]));
  c.sendRaw(typed('/amp/level', ['d', 0.25]));
  c.sendRaw(typed('/sync', ['h', 4242]));
  await c.sync();
  assert.deepEqual(c.replies.slice(from).filter((r) => r.address !== '/synced' || r.args[0] === 4242), [{ address: '/synced', args: [4242] }]);
  assert.equal(await param('osc', 'coarse'), 12);
  assert.equal(await param('amp', 'level'), 0.25);
  // An `i` argument still needs a whole number, whatever its wire type.
  from = c.replies.length;
  c.sendRaw(typed('/sync', ['d', 1.5]));
  await c.sync();
  assert.match(String(c.replies.slice(from).find((r) => r.address === '/fail')?.args[1]), /argument 1 has the wrong type/);
  // liblo's oscsend, typed d and h on the command line.
  for (const args of [['/osc/coarse', 'd', '7'], ['/param/set', 'ssh', 'osc', 'fine', '-20']]) {
    const r = spawnSync('oscsend', ['localhost', String(srv.port), ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  await c.sync();
  assert.equal(await param('osc', 'coarse'), 7);
  assert.equal(await param('osc', 'fine'), -20);
  assert.equal((await status(c))('malformed'), malformed0, 'none counted as malformed');
  c.close();
});

test('osc input: serve answers OSC over TCP (SLIP framing) on its UDP port', async () => {
  const sock = connect(srv.port, '127.0.0.1');
  await new Promise<void>((r, j) => sock.once('connect', () => r()).once('error', j));
  const got: { address: string; args: unknown[] }[] = [];
  const slip = new SlipDecoder(2 ** 20, (b) => {
    const m = decode(b) as { address: string; args: { value: unknown }[] };
    got.push({ address: m.address, args: m.args.map((a) => a.value) });
  }, () => assert.fail('frame too large'));
  sock.on('data', (d) => slip.push(d));
  sock.write(slipEncode(encode(new Message('/patch/get'))));
  sock.write(slipEncode(encode(new Message('/sync', 5))));
  const end = Date.now() + 10_000;
  while (!got.some((g) => g.address === '/synced')) {
    assert.ok(Date.now() < end, JSON.stringify(got));
    await new Promise((r) => setTimeout(r, 5));
  }
  sock.destroy();
  assert.deepEqual(JSON.parse(String(got.find((g) => g.address === '/patch')!.args[0])).modules.map((m: { id: string }) => m.id), ['osc', 'amp', 'out']);
});

/** Waits until a timed bundle is scheduled on the engine clock (it is anchored once the device plays). */
async function clockAnchored(): Promise<void> {
  const c = await client(srv.port);
  const end = Date.now() + 10_000;
  for (;;) {
    const from = c.replies.length;
    c.sendRaw(encode(new Bundle(Date.now() / 1000 + 0.1, ['/amp/level', 0.5])));
    await c.sync();
    const done = c.replies.slice(from).find((r) => r.args[0] === '#bundle');
    if ((done?.args[1] as number) > 0) break;
    assert.ok(Date.now() < end, 'the engine clock is anchored within 10 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  c.close();
}

// Last in this file: it leaves the shared server's timed queue full (for 50 s).
test('osc input: timed bundles beyond the horizon are refused; the timed queue is bounded per client and overall; every refusal is answered', async () => {
  await clockAnchored();
  const { timedHorizonS, timedPerClient, timedTotal } = OSC_LIMITS;
  const h = await client(srv.port);
  const failed0 = (await status(h))('failed') as number;
  // NTP seconds 0xFFFFFFFF (year 2036), and just past the horizon.
  const farMessage = encode(new Message('/amp/level', 0.1));
  const far = Buffer.concat([Buffer.from('#bundle\0', 'latin1'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]), Buffer.from([0, 0, 0, farMessage.length]), farMessage]);
  for (const packet of [far, encode(new Bundle(Date.now() / 1000 + timedHorizonS + 5, ['/amp/level', 0.1]))]) {
    const from = h.replies.length;
    h.sendRaw(packet);
    await h.sync();
    const r = h.replies.slice(from).filter((x) => x.address !== '/synced');
    assert.equal(r.length, 1, JSON.stringify(r));
    assert.equal(r[0].address, '/fail');
    assert.equal(r[0].args[0], '#bundle');
    assert.match(String(r[0].args[1]), new RegExp(`s ahead; a bundle may be at most ${timedHorizonS} s ahead`));
  }
  // Per client: bundles of 100 changes, 50 s ahead (none is due while the test runs).
  const t = Date.now() / 1000 + 50;
  const bundle = (n: number) => encode(new Bundle(t, ...Array.from({ length: n }, () => ['/amp/level', 0.5] as [string, number])));
  const fill = async (c: Awaited<ReturnType<typeof client>>, sizes: number[]) => {
    const from = c.replies.length;
    for (const n of sizes) c.sendRaw(bundle(n));
    await c.sync();
    return c.replies.slice(from).filter((r) => r.address !== '/synced');
  };
  const full = [...Array.from({ length: Math.floor(timedPerClient / 100) }, () => 100), timedPerClient % 100];
  const a = await client(srv.port);
  const ra = await fill(a, [...full.slice(0, -1), 100, full[full.length - 1], 1]);
  assert.equal(ra.length, full.length + 2);
  assert.ok(ra.slice(0, full.length - 1).every((r) => r.address === '/done' && r.args[0] === '#bundle' && (r.args[1] as number) > 0));
  assert.match(String(ra[full.length - 1].args[1]), new RegExp(`timed queue full for this client: ${timedPerClient - full[full.length - 1]} changes waiting, this packet adds 100`));
  assert.equal(ra[full.length].address, '/done');
  assert.deepEqual(ra[full.length + 1].args.slice(0, 1), ['#bundle']);
  assert.match(String(ra[full.length + 1].args[1]), new RegExp(`${timedPerClient} changes waiting, this packet adds 1 \\(at most ${timedPerClient} per client\\)`));
  // Overall: more clients fill the rest; then any client is refused.
  const others = [];
  for (let i = 1; i < timedTotal / timedPerClient; i++) {
    const c = await client(srv.port);
    others.push(c);
    const r = await fill(c, full);
    assert.ok(r.length === full.length && r.every((x) => x.address === '/done'), JSON.stringify(r.find((x) => x.address !== '/done')));
  }
  const e = await client(srv.port);
  const re = await fill(e, [1]);
  assert.equal(re.length, 1);
  assert.match(String(re[0].args[1]), new RegExp(`timed queue full: ${timedTotal} changes waiting from all clients`));
  // Still answering, and each refusal counted.
  assert.equal((await status(h))('failed'), failed0 + 5);
  [h, a, e, ...others].forEach((c) => c.close());
});
