/**
 * The events table (src/protocol/events.ts) against what a real OscServer sends over real UDP: a
 * /notify subscriber watches another client edit the patch in every way that sends an event, and
 * every address it receives that is not a reply must be in docs/osc.md's events table (generated from
 * the table; test/cli checks that it is). The fault events are checked the same way against a playing
 * engine in test/realtime/faults.test.ts. And every address a source file passes to an `event(` call
 * (the OSC server's, the session's handlers', the fault and reload bridges') is in the table and the doc.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, encode, Message } from 'node-osc';
import { startOscServer } from '../support/osc-server';
import { EVENTS } from '../../src/protocol/events';
import { assertEventsDocumented } from '../support/events-doc';
import { ROOT } from '../support/cli';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-events-'));
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

interface Received {
  address: string;
  args: unknown[];
}

async function socket(): Promise<{ sock: Socket; got: Received[] }> {
  const sock = createSocket('udp4');
  const got: Received[] = [];
  sock.on('message', (b) => {
    const m = decode(b) as { address: string; args: { value: unknown }[] };
    got.push({ address: m.address, args: m.args.map((a) => a.value) });
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  closers.push(async () => void sock.close());
  return { sock, got };
}

async function until(s: { got: Received[] }, pred: (got: Received[]) => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!pred(s.got)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(s.got)}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

test('every event an edit sends to /notify subscribers is in docs/osc.md, with the arguments its table entry names', async () => {
  const { port } = await startOscServer(tmp, closers);
  const watcher = await socket(), editor = await socket();
  const send = (address: string, ...args: (string | number)[]) => editor.sock.send(encode(new Message(address, ...args)), port, '127.0.0.1');
  watcher.sock.send(encode(new Message('/notify', 1)), port, '127.0.0.1');
  await until(watcher, (g) => g.some((m) => m.address === '/done'), '/done /notify');
  send('/module/add', 'vco', 'osc');
  send('/module/add', 'output', 'out');
  send('/module/move', 'osc', 120, 40);
  send('/cable/connect', 'osc.saw', 'out.left');
  send('/param/set', 'osc', 'fine', 0.25);
  send('/patch/save', 'events');
  send('/cable/disconnect', 'osc.saw', 'out.left');
  send('/module/remove', 'osc');
  send('/patch/load', 'events');
  send('/patch/clear');
  send('/sync', 7);
  await until(editor, (g) => g.some((m) => m.address === '/synced'), '/synced');
  const expected = ['/module/added', '/module/moved', '/cable/connected', '/param/changed', '/cable/disconnected', '/module/removed', '/patch/loaded', '/patch/cleared'];
  await until(watcher, (g) => expected.every((a) => g.some((m) => m.address === a)), expected.join(' '));
  assert.deepEqual(editor.got.filter((m) => m.address === '/fail'), [], 'every edit was done');
  const sent = assertEventsDocumented(watcher.got);
  assert.deepEqual([...sent].sort(), [...expected].sort(), 'the events received are exactly those of the edits');
  // Each event carries the arguments its table entry declares (the /param/changed pair may repeat).
  for (const m of watcher.got.filter((g) => g.address in EVENTS)) {
    const spec = EVENTS[m.address as keyof typeof EVENTS];
    assert.ok(m.args.length >= spec.args.length, `${m.address}: ${JSON.stringify(m.args)}`);
    spec.args.forEach((k, i) => assert.equal(typeof m.args[i], k === 's' ? 'string' : 'number', `${m.address} argument ${spec.names[i]}`));
  }
  assert.deepEqual(watcher.got.find((m) => m.address === '/module/added')?.args, ['osc', 'vco']);
});

/** The .ts files under dir. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('every address passed to an event( call under src/ is in the events table and in docs/osc.md', () => {
  const doc = readFileSync(join(ROOT, 'docs/osc.md'), 'utf8');
  const events = doc.slice(doc.indexOf('## Events'), doc.indexOf('## /status'));
  const found = new Map<string, string>();
  for (const file of sources(join(ROOT, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\bevent\(\s*'(\/[^']*)'/g)) found.set(m[1], file.slice(ROOT.length + 1));
  }
  for (const [address, file] of found) {
    assert.ok(address in EVENTS, `${file} sends ${address}, which is not in src/protocol/events.ts`);
    assert.ok(events.includes(`| \`${address}\` |`), `${file} sends ${address}, which docs/osc.md's events do not list`);
  }
  // The scan sees every sender: each event of the table is sent from somewhere.
  assert.deepEqual([...found.keys()].sort(), Object.keys(EVENTS).sort());
});
