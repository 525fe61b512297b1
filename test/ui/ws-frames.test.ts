/**
 * The rack's WebSocket framing, against a real `modsynth serve` with a raw `ws` client: what one packet
 * makes the server send back comes in one frame (a bare message when it is one, an OSC bundle in order
 * when several), and live-view readouts to a client that does not read are dropped, not queued: the
 * connection stays open and answers once the client reads again (src/ui/ws-transport.ts).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { encode, Message } from 'node-osc';
import { serveRack } from './browser';
import { ensureStopped, stopServers } from '../support/osc';
import { decodePacket } from '../../src/control/osc-decode';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-wsframes-'));
after(stopServers);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An OSC bundle (timetag 1: immediately) of messages. */
function bundle(...messages: [string, ...(string | number)[]][]): Buffer {
  const parts = [Buffer.from('#bundle\0\0\0\0\0\0\0\0\x01', 'latin1')];
  for (const [address, ...args] of messages) {
    const m = Buffer.from(encode(new Message(address, ...args)));
    const size = Buffer.alloc(4);
    size.writeInt32BE(m.length);
    parts.push(size, m);
  }
  return Buffer.concat(parts);
}

const addresses = (frame: Buffer) => decodePacket(frame).flatMap((it) => (it.kind === 'message' ? [it.address] : []));

test('rack WebSocket: the replies to one packet come in one frame; readouts to a client that does not read are dropped, not queued', async (t) => {
  const srv = await serveRack(['examples/fault.json'], tmp);
  t.after(() => ensureStopped(srv));
  const port = Number(new URL(srv.url).port);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { Origin: `http://127.0.0.1:${port}` } });
  const frames: Buffer[] = [];
  let closed: number | undefined;
  ws.on('message', (d) => frames.push(d as Buffer));
  ws.on('close', (code) => (closed = code));
  await new Promise((r) => ws.once('open', r));
  const next = async (n: number) => {
    const end = Date.now() + 10_000;
    while (frames.length < n) {
      assert.ok(Date.now() < end, `${n} frames (got ${frames.length})`);
      await sleep(5);
    }
  };

  // The scope plays before it can be read.
  for (let tries = 0; ; tries++) {
    frames.length = 0;
    ws.send(encode(new Message('/module/read', 'view')));
    await next(1);
    if (addresses(frames[0])[0] === '/read') break;
    assert.ok(tries < 200, `the scope answers: ${addresses(frames[0])}`);
    await sleep(50);
  }

  // One message, one reply: a bare message.
  frames.length = 0;
  ws.send(encode(new Message('/status')));
  await next(1);
  await sleep(200);
  assert.equal(frames.length, 1);
  assert.equal(frames[0].subarray(0, 8).toString('latin1'), '/status.', 'a bare message, not a bundle');

  // A bundle of three commands: their replies in one frame, in order.
  frames.length = 0;
  ws.send(bundle(['/module/read', 'view'], ['/status'], ['/module/read', 'view']));
  await next(1);
  await sleep(200);
  assert.equal(frames.length, 1, 'one frame for the three replies');
  assert.equal(frames[0].subarray(0, 8).toString('latin1'), '#bundle\0');
  assert.deepEqual(addresses(frames[0]), ['/read', '/status.reply', '/read']);

  // A client that stops reading: 8,000 readouts (about 9 MB, more than the 4 MB after which a
  // connection is closed) are asked for; those beyond what the kernel buffers hold are dropped.
  frames.length = 0;
  ws.pause();
  const asked = 8000;
  for (let i = 0; i < asked / 20; i++) ws.send(bundle(...Array.from({ length: 20 }, () => ['/module/read', 'view'] as [string, string])));
  await sleep(3000);
  ws.resume();
  ws.send(encode(new Message('/status')));
  const end = Date.now() + 20_000;
  while (!frames.some((f) => addresses(f).includes('/status.reply'))) {
    assert.equal(closed, undefined, 'the connection stays open');
    assert.ok(Date.now() < end, 'the connection answers again');
    await sleep(20);
  }
  const reads = frames.reduce((n, f) => n + addresses(f).filter((a) => a === '/read').length, 0);
  console.log(`# readouts received after the pause: ${reads} of ${asked}`);
  assert.ok(reads < asked, `readouts were dropped (${reads} of ${asked} arrived)`);
  assert.equal(closed, undefined, 'the connection stays open');
  ws.close();
});
