/**
 * Where the OSC server's answers go and how big they may be, against a real OscServer over real UDP
 * sockets (its session on an engine rendering on the calling thread: nothing here needs audio
 * playing): replies too large for a datagram, /reply/to per client, the amplification budget,
 * bounded and expiring /notify subscriptions, the warning for an address other machines can reach.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, encode, Message, Bundle } from 'node-osc';
import { Engine } from '../../src/engine/engine';
import { LiveSession } from '../../src/control/session';
import { OscServer, type OscServerOptions } from '../../src/control/osc-server';
import { OSC_LIMITS } from '../../src/control/osc-limits';
import { decodePacket } from '../../src/control/osc-decode';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-osc-clients-'));
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers) await c();
});

async function start(extra: Partial<OscServerOptions> = {}) {
  const engine = await Engine.start({ workers: 0 });
  const session = new LiveSession(LiveSession.emptyPatch(), engine, tmp);
  const warnings: string[] = [];
  const server = await OscServer.start({ host: '127.0.0.1', port: 0, session, status: () => ({}), warn: (l) => warnings.push(l), ...extra });
  closers.push(async () => {
    await server.close();
    await engine.close();
  });
  return { server, session, warnings, port: server.address.port };
}

interface Received {
  address: string;
  args: unknown[];
  bytes: number;
}

/** A UDP socket on loopback that records what it receives. */
async function socket(): Promise<{ sock: Socket; port: number; got: Received[]; bytes: () => number }> {
  const sock = createSocket('udp4');
  const got: Received[] = [];
  sock.on('message', (b) => {
    const m = decode(b) as { address: string; args: { value: unknown }[] };
    got.push({ address: m.address, args: m.args.map((a) => a.value), bytes: b.length });
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  sock.unref();
  closers.push(async () => void sock.close());
  return { sock, port: sock.address().port, got, bytes: () => got.reduce((n, g) => n + g.bytes, 0) };
}

/** Waits until `pred` holds for what `s` received (at most 5 s). */
async function until(s: { got: Received[] }, pred: (got: Received[]) => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!pred(s.got)) {
    if (Date.now() > end) throw new Error(`timed out; received ${JSON.stringify(s.got)}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const synced = (id: number) => (got: Received[]) => got.some((g) => g.address === '/synced' && g.args[0] === id);
const send = (s: { sock: Socket }, port: number, packet: Buffer) => s.sock.send(packet, port, '127.0.0.1');
const msg = (address: string, ...args: (string | number)[]) => encode(new Message(address, ...args));

test('osc clients: /patch/get of a patch too large for one datagram replies /fail with the size and the way to get it', async () => {
  const { port, session } = await start();
  const a = await socket();
  const modules = Array.from({ length: 700 }, (_, i) => ({ id: 'a' + String(i).padStart(63, '0'), type: 'attenuverter' }));
  writeFileSync(join(tmp, 'big.json'), JSON.stringify({ format: 'modsynth-patch', version: 1, modules, cables: [] }));
  send(a, port, msg('/patch/load', 'big'));
  send(a, port, msg('/patch/get'));
  send(a, port, msg('/sync', 1));
  await until(a, synced(1));
  const fail = a.got.find((g) => g.address === '/fail');
  assert.ok(fail, JSON.stringify(a.got));
  assert.equal(fail.args[0], '/patch/get');
  const size = JSON.stringify(session.current).length;
  assert.match(String(fail.args[1]), new RegExp(`reply of (\\d+) bytes does not fit one UDP datagram \\(at most ${OSC_LIMITS.maxReply}\\); ask over TCP \\(SLIP framing\\) on port ${port}, or save it with /patch/save NAME and read NAME.json from the patch directory`));
  assert.ok(Number(/reply of (\d+)/.exec(String(fail.args[1]))![1]) > size);
  // The way out works: the whole patch, saved in the patch directory.
  send(a, port, msg('/patch/save', 'copy'));
  send(a, port, msg('/sync', 2));
  await until(a, synced(2));
  assert.equal(JSON.parse(readFileSync(join(tmp, 'copy.json'), 'utf8')).modules.length, 700);
  // A patch that fits still comes back whole.
  send(a, port, msg('/patch/clear'));
  send(a, port, msg('/patch/get'));
  send(a, port, msg('/status'));
  send(a, port, msg('/sync', 3));
  await until(a, synced(3));
  assert.deepEqual(JSON.parse(String(a.got.find((g) => g.address === '/patch')!.args[0])).modules, []);
  const st = a.got.find((g) => g.address === '/status.reply')!.args;
  assert.equal(st[st.indexOf('failed') + 1], 1);
});

test('osc clients: /reply/to is per client (address and port): another socket on the same host keeps its replies', async () => {
  const { port } = await start();
  const a = await socket(), b = await socket(), r = await socket();
  send(a, port, msg('/reply/to', r.port));
  await until(r, (got) => got.some((g) => g.address === '/done' && g.args[0] === '/reply/to'));
  send(b, port, msg('/sync', 10));
  await until(b, synced(10));
  send(a, port, msg('/sync', 11));
  await until(r, synced(11));
  assert.ok(!r.got.some((g) => g.args[0] === 10), 'B\'s reply did not go to A\'s /reply/to port');
  assert.ok(!a.got.some((g) => g.address === '/synced'), 'A\'s replies go to its /reply/to port');
});

test(`osc clients: no request sends more than ${OSC_LIMITS.amplification}× its size to a /reply/to port; what does not fit goes to the sender itself`, async () => {
  const { port } = await start();
  const a = await socket(), r = await socket();
  send(a, port, msg('/reply/to', r.port));
  await until(r, (got) => got.length === 1);
  const requests: [string, Buffer][] = [
    ['one byte of garbage', Buffer.from([0x2f])],
    ['/status', msg('/status')],
    ['/patch/get', msg('/patch/get')],
    ['/module/add', msg('/module/add', 'vco', 'v')],
    ['/module/add refused', msg('/module/add', 'nosuch', 'x')],
    ['bundle of 40 /status', encode(new Bundle(0, ...Array.from({ length: 40 }, () => ['/status'] as [string])))],
    ['/no/such/address', msg('/no/such/address')],
  ];
  let id = 100;
  for (const [what, packet] of requests) {
    const before = r.bytes(), beforeGot = r.got.length, beforeOwn = a.got.length;
    send(a, port, packet);
    send(a, port, msg('/sync', ++id));
    await until(r, synced(id));
    const toR = r.bytes() - before - r.got[r.got.length - 1].bytes; // (not counting the /synced)
    assert.ok(toR <= OSC_LIMITS.amplification * packet.length, `${what}: ${toR} bytes to the /reply/to port for ${packet.length}`);
    // Every request is still answered: at the /reply/to port, or at the sender's own port.
    assert.ok(r.got.length - 1 > beforeGot || a.got.length > beforeOwn, `${what}: answered`);
  }
  // /status does not fit 10× its 16 bytes: it came back to the sender's own socket.
  assert.ok(a.got.some((g) => g.address === '/status.reply'), JSON.stringify(a.got.map((g) => g.address)));
  send(a, port, msg('/status'));
  await until(a, (got) => got.filter((g) => g.address === '/status.reply').length === 2);
  const st = a.got.filter((g) => g.address === '/status.reply')[1].args;
  assert.ok((st[st.indexOf('withheld') + 1] as number) >= 1);
});

test('osc clients: /notify subscriptions are bounded and expire unless renewed (by /notify 1 or any request)', async () => {
  let now = 1_000_000;
  const ttl = OSC_LIMITS.subscriptionTtlMs;
  const { port, server } = await start({ clock: () => now });
  const subs = [];
  for (let i = 0; i < OSC_LIMITS.subscribers; i++) subs.push(await socket());
  for (const s of subs) send(s, port, msg('/notify', 1));
  for (const s of subs) await until(s, (got) => got.some((g) => g.address === '/done'));
  const extra = await socket();
  send(extra, port, msg('/notify', 1));
  await until(extra, (got) => got.length === 1);
  assert.equal(extra.got[0].address, '/fail');
  assert.equal(extra.got[0].args[0], '/notify');
  assert.match(String(extra.got[0].args[1]), new RegExp(`too many subscribers \\(${OSC_LIMITS.subscribers}\\)`));
  // An event reaches every subscriber.
  server.event('/fault', ['m', 'throw', 0]);
  for (const s of subs) await until(s, (got) => got.some((g) => g.address === '/fault'));
  // Half a lifetime later the first renews with /notify 1, the second with any other request; at the
  // end of the others' lifetime only these two still get events.
  now += ttl / 2;
  send(subs[0], port, msg('/notify', 1));
  await until(subs[0], (got) => got.filter((g) => g.address === '/done').length === 2);
  send(subs[1], port, msg('/sync', 6));
  await until(subs[1], synced(6));
  now += ttl / 2;
  server.event('/fault', ['m', 'throw', 1]);
  for (const s of subs) {
    send(s, port, msg('/sync', 7));
    await until(s, synced(7));
  }
  assert.equal(subs[0].got.filter((g) => g.address === '/fault').length, 2);
  assert.equal(subs[1].got.filter((g) => g.address === '/fault').length, 2);
  for (const s of subs.slice(2)) assert.equal(s.got.filter((g) => g.address === '/fault').length, 1);
  // Their places are free again.
  send(extra, port, msg('/notify', 1));
  await until(extra, (got) => got.length === 2);
  assert.deepEqual(extra.got[1].args, ['/notify', 1]);
  send(extra, port, msg('/status'));
  await until(extra, (got) => got.some((g) => g.address === '/status.reply'));
  const st = extra.got.find((g) => g.address === '/status.reply')!.args;
  assert.equal(st[st.indexOf('subscribers') + 1], 3);
});

test('osc clients: /reply/to is remembered for a bounded number of clients (the oldest forgotten first)', async () => {
  const { port } = await start({ limits: { replyClients: 2 } });
  const r = await socket();
  const cs = [await socket(), await socket(), await socket()];
  for (const c of cs) {
    send(c, port, msg('/reply/to', r.port));
    await until(r, (got) => got.length === cs.indexOf(c) + 1);
  }
  send(cs[0], port, msg('/sync', 1));
  await until(cs[0], synced(1)); // forgotten: back to its own port
  send(cs[2], port, msg('/sync', 3));
  await until(r, synced(3));
});

test('osc clients: an OSC address other machines can reach prints a warning; loopback does not', async () => {
  const local = await start();
  assert.deepEqual(local.warnings, []);
  const open = await start({ host: '0.0.0.0' });
  assert.equal(open.warnings.length, 1);
  assert.match(open.warnings[0], /^warning: OSC on 0\.0\.0\.0:\d+ \(UDP and TCP\) is reachable from other machines: anyone who can reach it can change the patch/);
  assert.equal(open.server.warning, open.warnings[0]);
});

test('osc clients: a whole number beyond int32 in a reply is sent as int64 (h), not dropped', async () => {
  const { port } = await start();
  const sock = createSocket('udp4');
  const raw: Buffer[] = [];
  sock.on('message', (b) => raw.push(b));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  closers.push(async () => void sock.close());
  const id = 2 ** 33 + 5; // e.g. an engine frame after 50 hours
  const request = Buffer.concat([Buffer.from('/sync\0\0\0,h\0\0', 'latin1'), Buffer.alloc(8)]);
  request.writeBigInt64BE(BigInt(id), 12);
  sock.send(request, port, '127.0.0.1');
  const end = Date.now() + 5000;
  while (raw.length === 0) {
    assert.ok(Date.now() < end, 'a reply');
    await new Promise((r) => setTimeout(r, 2));
  }
  assert.deepEqual(decodePacket(raw[0]), [{ kind: 'message', address: '/synced', args: [id], time: 0, bundle: -1 }]);
});
