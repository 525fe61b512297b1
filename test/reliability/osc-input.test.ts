/**
 * Hostile OSC input against a real `modsynth serve` over real UDP: every datagram is answered, none
 * can stop the server, and each refusal is counted where /status shows it. One server plays for the
 * whole file (each test reads counter deltas): fewer engines starting on a shared 2-core machine.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode, Message } from 'node-osc';
import { client, ensureStopped, serve, type Server } from '../support/osc';
import { MAX_BUNDLE_DEPTH } from '../../src/control/osc-decode';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-osc-input-'));
let srv: Server;
before(async () => {
  srv = await serve(['examples/sine.json', '--seconds', '600'], tmp);
});
after(() => ensureStopped(srv));

/** `inner` wrapped in `depth` bundles, each with timetag "immediately" (seconds 0, fraction 1). */
function nested(inner: Buffer, depth: number): Buffer {
  let packet = inner;
  for (let i = 0; i < depth; i++) {
    const head = Buffer.alloc(20);
    head.write('#bundle\0', 0, 'latin1');
    head.writeUInt32BE(0, 8);
    head.writeUInt32BE(1, 12);
    head.writeInt32BE(packet.length, 16);
    packet = Buffer.concat([head, packet]);
  }
  return packet;
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
  const deep = nested(encode(new Message('/status')), 2000);
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
  c.sendRaw(nested(probe, MAX_BUNDLE_DEPTH));
  await c.sync();
  assert.deepEqual(c.replies.slice(from).filter((r) => r.args[0] === 77), [{ address: '/synced', args: [77] }]);
  from = c.replies.length;
  c.sendRaw(nested(probe, MAX_BUNDLE_DEPTH + 1));
  await c.sync();
  assert.deepEqual(c.replies.slice(from).filter((r) => r.address !== '/synced'), [{ address: '/fail', args: ['#bundle', `bundles nested more than ${MAX_BUNDLE_DEPTH} deep`] }]);
  assert.equal((await status(c))('malformed'), malformed0 + 1);
  c.close();
});
