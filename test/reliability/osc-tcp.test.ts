/**
 * OSC over TCP with SLIP framing against a real OscServer (real TCP connections; its session on an
 * engine rendering on the calling thread): replies of any size, frames split and joined anywhere,
 * escapes, oversized frames, the connection limit, subscriptions that end with their connection.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, encode, Message } from 'node-osc';
import { Engine } from '../../src/engine/engine';
import { LiveSession } from '../../src/control/session';
import { OscServer } from '../../src/control/osc-server';
import { MAX_BUNDLE_DEPTH } from '../../src/control/osc-decode';
import { SizeDecoder, SlipDecoder, TCP_LIMITS } from '../../src/control/osc-tcp';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-osc-tcp-'));
const closers: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

async function start() {
  const engine = await Engine.start({ workers: 0 });
  const session = new LiveSession(LiveSession.emptyPatch(), engine, tmp);
  const server = await OscServer.start({ host: '127.0.0.1', port: 0, session, status: () => ({}), warn: () => undefined });
  closers.push(async () => {
    await server.close();
    await engine.close();
  });
  assert.ok(server.tcp, 'listening on TCP');
  assert.equal(server.tcp.port, server.address.port, 'on the UDP port');
  return { server, session, port: server.tcp.port };
}

interface Got {
  address: string;
  args: unknown[];
}

/** A TCP client that collects the SLIP-framed replies; `closed` resolves when the server ends it. */
async function tcp(port: number) {
  const sock: Socket = connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => sock.once('connect', () => r()).once('error', j));
  const got: Got[] = [];
  const slip = new SlipDecoder(16 * 2 ** 20, (b) => {
    const m = decode(b) as { address: string; args: { value: unknown }[] };
    got.push({ address: m.address, args: m.args.map((a) => a.value) });
  }, () => assert.fail('reply frame too large'));
  sock.on('data', (d) => slip.push(d));
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  closers.push(() => void sock.destroy());
  const until = async (pred: (g: Got[]) => boolean) => {
    const end = Date.now() + 5000;
    while (!pred(got)) {
      if (Date.now() > end) throw new Error(`timed out; received ${JSON.stringify(got).slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  return { sock, got, closed, until };
}

/** SLIP, written out here (not the server's encoder): END, escaped bytes, END. */
function frame(packet: Buffer): Buffer {
  const out: number[] = [0xc0];
  for (const b of packet) out.push(...(b === 0xc0 ? [0xdb, 0xdc] : b === 0xdb ? [0xdb, 0xdd] : [b]));
  out.push(0xc0);
  return Buffer.from(out);
}

const msg = (address: string, ...args: (string | number)[]) => encode(new Message(address, ...args));
const synced = (id: number) => (g: Got[]) => g.some((x) => x.address === '/synced' && x.args[0] === id);

test('osc tcp: /patch/get of a patch far larger than a datagram comes back whole on the connection', async () => {
  const { port, session } = await start();
  const modules = Array.from({ length: 1500 }, (_, i) => ({ id: 'a' + String(i).padStart(63, '0'), type: 'attenuverter' }));
  writeFileSync(join(tmp, 'huge.json'), JSON.stringify({ format: 'modsynth-patch', version: 1, modules, cables: [] }));
  const c = await tcp(port);
  c.sock.write(frame(msg('/patch/load', 'huge')));
  await c.until((g) => g.some((x) => x.address === '/done'));
  c.sock.write(frame(msg('/patch/get')));
  await c.until((g) => g.some((x) => x.address === '/patch'));
  const json = String(c.got.find((x) => x.address === '/patch')!.args[0]);
  assert.ok(json.length > 2 * 65_507, `${json.length} bytes`);
  assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(session.current)));
});

test('osc tcp: frames split anywhere or joined in one write, escaped END and ESC bytes, empty frames ignored', async () => {
  const { port } = await start();
  const c = await tcp(port);
  // 0x0000C0DB: both bytes SLIP escapes, in the request and in the reply.
  const joined = Buffer.concat([Buffer.from([0xc0, 0xc0]), frame(msg('/sync', 0xc0db)), frame(msg('/sync', 2))]);
  c.sock.write(joined);
  const split = frame(msg('/sync', 3));
  for (const b of split) c.sock.write(Buffer.from([b]));
  await c.until(synced(3));
  assert.deepEqual(c.got.map((x) => x.args[0]), [0xc0db, 2, 3]);
});

test('osc tcp: a frame over the size limit is refused and counted; the connection goes on; nested bundles are refused as over UDP', async () => {
  const { port } = await start();
  const c = await tcp(port);
  c.sock.write(Buffer.concat([Buffer.from([0xc0]), Buffer.alloc(TCP_LIMITS.maxFrame + 10, 0x41), Buffer.from([0xc0])]));
  let deep = msg('/status');
  for (let i = 0; i < MAX_BUNDLE_DEPTH + 1; i++) {
    const head = Buffer.alloc(20);
    head.write('#bundle\0', 0, 'latin1');
    head.writeUInt32BE(1, 12);
    head.writeInt32BE(deep.length, 16);
    deep = Buffer.concat([head, deep]);
  }
  c.sock.write(frame(deep));
  c.sock.write(frame(msg('/status')));
  await c.until((g) => g.some((x) => x.address === '/status.reply'));
  assert.deepEqual(c.got[0], { address: '/fail', args: ['(packet)', `malformed OSC packet: frame larger than ${TCP_LIMITS.maxFrame} bytes`] });
  assert.deepEqual(c.got[1], { address: '/fail', args: ['#bundle', `bundles nested more than ${MAX_BUNDLE_DEPTH} deep`] });
  const st = c.got[2].args;
  assert.equal(st[st.indexOf('malformed') + 1], 2);
});

test(`osc tcp: at most ${TCP_LIMITS.clients} clients at once; one more is told why and closed`, async () => {
  const { port, server } = await start();
  const cs = [];
  for (let i = 0; i < TCP_LIMITS.clients; i++) {
    const c = await tcp(port);
    c.sock.write(frame(msg('/sync', i)));
    await c.until(synced(i));
    cs.push(c);
  }
  assert.equal(server.tcp!.clients, TCP_LIMITS.clients);
  const extra = await tcp(port);
  await extra.closed;
  assert.deepEqual(extra.got, [{ address: '/fail', args: ['(connection)', `too many TCP clients (${TCP_LIMITS.clients}); use UDP or retry later`] }]);
  // A place freed is taken again.
  cs[0].sock.destroy();
  await cs[0].closed;
  const again = await tcp(port);
  again.sock.write(frame(msg('/sync', 99)));
  await again.until(synced(99));
});

test('osc tcp: /notify over TCP gets events on the connection and ends with it; /reply/to is refused', async () => {
  const { port, server } = await start();
  const c = await tcp(port);
  c.sock.write(frame(msg('/notify', 1)));
  c.sock.write(frame(msg('/reply/to', 9999)));
  await c.until((g) => g.length === 2);
  assert.deepEqual(c.got.find((x) => x.address === '/done'), { address: '/done', args: ['/notify', 1] });
  assert.match(String(c.got.find((x) => x.address === '/fail')?.args[1]), /a TCP client gets its replies on its connection/);
  server.event('/fault', ['m', 'throw', 5]);
  await c.until((g) => g.some((x) => x.address === '/fault'));
  const status = async () => {
    const s = await tcp(port);
    s.sock.write(frame(msg('/status')));
    await s.until((g) => g.length === 1);
    s.sock.destroy();
    const kv = s.got[0].args;
    return kv[kv.indexOf('subscribers') + 1];
  };
  assert.equal(await status(), 1);
  c.sock.destroy();
  await c.closed;
  const end = Date.now() + 5000;
  while ((await status()) !== 0) assert.ok(Date.now() < end, 'the subscription ended with its connection');
});

test('osc tcp: size-prefixed framing (OSC 1.0, liblo osc.tcp://) is told apart by its first byte; replies come back in it', async () => {
  const { port, session } = await start();
  // liblo's oscsend over TCP (it closes its connection right after sending).
  const r = spawnSync('oscsend', [`osc.tcp://127.0.0.1:${port}`, '/module/add', 'ss', 'vco', 'lib'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // Our own size-framed client, reading the replies in the same framing.
  const sock = connect(port, '127.0.0.1');
  await new Promise<void>((res, j) => sock.once('connect', () => res()).once('error', j));
  closers.push(() => void sock.destroy());
  const got: Got[] = [];
  const sized = new SizeDecoder(2 ** 24, (b) => {
    const m = decode(b) as { address: string; args: { value: unknown }[] };
    got.push({ address: m.address, args: m.args.map((a) => a.value) });
  }, () => assert.fail('bad size'));
  sock.on('data', (d) => sized.push(d));
  const sizeFrame = (p: Buffer) => Buffer.concat([Buffer.from([0, 0, p.length >> 8, p.length & 0xff]), p]);
  const waitFor = async (n: number) => {
    const end = Date.now() + 5000;
    while (got.length < n) {
      assert.ok(Date.now() < end, JSON.stringify(got));
      await new Promise((res) => setTimeout(res, 2));
    }
  };
  const sync = sizeFrame(msg('/sync', 1));
  sock.write(sync.subarray(0, 3)); // split inside the size
  sock.write(sync.subarray(3));
  await waitFor(1);
  assert.deepEqual(got[0], { address: '/synced', args: [1] });
  // oscsend's connection is another client: wait until its command has been applied.
  const end = Date.now() + 5000;
  while (session.current.modules.length === 0) {
    assert.ok(Date.now() < end, 'the module added over liblo TCP');
    await new Promise((res) => setTimeout(res, 5));
  }
  sock.write(sizeFrame(msg('/patch/get')));
  await waitFor(2);
  assert.deepEqual(JSON.parse(String(got[1].args[0])).modules.map((m: { id: string }) => m.id), ['lib']);
  assert.deepEqual(session.current.modules.map((m) => m.id), ['lib']);
});
