/**
 * The OSC control plane against a running `modsynth serve` (real UDP, null sink, real time): our own
 * client and liblo's oscsend/oscdump as the external one.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, encode, Message, Bundle } from 'node-osc';
import { BIN, ROOT } from '../support/cli';
import { client, serve as startServe, stopServers } from '../support/osc';
import { killGroup } from '../support/group';
import { readWav } from '../../src/io/wav';
import { zeroCrossingHz } from '../support/analysis';
import { Random } from '../../src/dsp/random';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-osc-'));
after(stopServers);
const serve = (args: string[]) => startServe(args, tmp);

test('osc: build a patch from an empty server, change the pitch, hear both pitches in the recording', async () => {
  const rec = join(tmp, 'live.wav');
  const srv = await serve(['--seconds', '4', '--record', rec]);
  const c = await client(srv.port);
  assert.deepEqual(await c.call('/module/add', 'vco', 'osc', 'coarse', 9), [{ address: '/done', args: ['/module/add', 'osc'] }]);
  await c.call('/module/add', 'vca', 'amp', 'level', 0.5);
  await c.call('/module/add', 'output', 'out');
  assert.deepEqual(await c.call('/cable/connect', 'osc.sin', 'amp.in'), [{ address: '/done', args: ['/cable/connect', 'osc.sin', 'amp.in'] }]);
  await c.call('/cable/connect', 'amp.out', 'out.left');
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(await c.call('/osc/coarse', 21), []); // short form of /param/set: A5
  await new Promise((r) => setTimeout(r, 1000));
  const patch = await c.call('/patch/get');
  const doc = JSON.parse(patch[0].args[0] as string);
  assert.deepEqual(doc.modules.map((m: { id: string }) => m.id), ['osc', 'amp', 'out']);
  assert.equal(doc.modules[0].params.coarse, 21);
  c.close();
  assert.equal(await srv.exited, 0);
  const x = readWav(rec).channels[0];
  // Find the two tones: 440 Hz then 880 Hz, each held for most of a second.
  const hzAround = (t: number) => zeroCrossingHz(x, 48000, Math.round(t * 48000), Math.round((t + 0.2) * 48000));
  const times = Array.from({ length: 18 }, (_, i) => 0.2 * i);
  const pitches = times.map(hzAround);
  assert.ok(pitches.some((h) => Math.abs(h - 440) < 1), `440 Hz heard: ${pitches.map((h) => h.toFixed(0)).join(' ')}`);
  assert.ok(pitches.some((h) => Math.abs(h - 880) < 1), `880 Hz heard: ${pitches.map((h) => h.toFixed(0)).join(' ')}`);
  assert.ok(pitches.findIndex((h) => Math.abs(h - 880) < 1) > pitches.findIndex((h) => Math.abs(h - 440) < 1), '440 before 880');
});

test('osc: every refused command gets /fail <address> <reason> and is counted; status reports it', async () => {
  const srv = await serve(['examples/sine.json', '--seconds', '6']);
  const c = await client(srv.port);
  const fails: [string, unknown[], RegExp][] = [
    ['/module/remove', ['nope'], /no module "nope"/],
    ['/module/add', ['vcoo', 'x'], /unknown module type "vcoo"/],
    ['/module/add', ['vco', 'osc'], /module "osc" already exists/],
    ['/module/add', [3, 'x'], /wrong type/],
    ['/cable/connect', ['osc.nope', 'amp.in'], /has no output "nope"/],
    ['/cable/connect', ['osc.saw', 'amp.in'], /already has a cable/],
    ['/cable/disconnect', ['osc.saw', 'amp.in'], /no cable/],
    ['/param/set', ['osc', 'coarse', 99], /99 is out of range/],
    ['/param/set', ['osc', 'coarse', NaN], /NaN and ±Inf are refused/],
    ['/param/set', ['osc', 'detune', 1], /unknown param "detune"/],
    ['/param/set', ['osc'], /too few arguments/],
    ['/osc/coarse', ['high'], /wrong type/],
    ['/patch/load', ['../etc/passwd'], /bad patch name/],
    ['/patch/load', ['missing'], /no patch "missing"/],
    ['/no/such/thing/here', [], /unknown address/],
  ];
  for (const [address, args, reason] of fails) {
    const r = await c.call(address, ...args);
    assert.equal(r.length, 1, `${address}: ${JSON.stringify(r)}`);
    assert.equal(r[0].address, '/fail');
    assert.equal(r[0].args[0], address);
    assert.match(String(r[0].args[1]), reason);
  }
  const st = await c.call('/status');
  const kv = st[0].args;
  const field = (k: string) => kv[kv.indexOf(k) + 1];
  assert.equal(field('failed'), fails.length);
  assert.equal(field('sampleRate'), 48000);
  assert.equal(field('modules'), 3);
  assert.ok((field('received') as number) >= fails.length);
  // Save and load inside the patch directory.
  assert.deepEqual(await c.call('/patch/save', 'saved'), [{ address: '/done', args: ['/patch/save', 'saved'] }]);
  assert.ok(existsSync(join(tmp, 'saved.json')));
  assert.deepEqual(await c.call('/patch/clear'), [{ address: '/done', args: ['/patch/clear'] }]);
  assert.deepEqual(await c.call('/patch/load', 'saved'), [{ address: '/done', args: ['/patch/load', 'saved'] }]);
  assert.equal(JSON.parse(readFileSync(join(tmp, 'saved.json'), 'utf8')).modules.length, 3);
  c.close();
  assert.equal(await srv.exited, 0);
});

test('osc: malformed packets never crash the server and are each counted', async () => {
  const srv = await serve(['examples/sine.json', '--seconds', '8']);
  const c = await client(srv.port);
  const rng = new Random(42);
  const packets: Buffer[] = [];
  for (let i = 0; i < 40; i++) packets.push(Buffer.from(Array.from({ length: 1 + (rng.nextUint32() % 200) }, () => rng.nextUint32() & 0xff)));
  const good = encode(new Message('/param/set', 'osc', 'coarse', 3));
  packets.push(good.subarray(0, good.length - 3)); // truncated
  packets.push(Buffer.from('/status\0,iii\0\0\0\0\0\0\0\x01', 'latin1')); // type tags promise more than there is
  packets.push(Buffer.from('/x\0\0,s\0\0' + 'A'.repeat(60_000), 'latin1')); // huge unterminated string
  let deep = '#bundle\0' + '\0'.repeat(8);
  for (let i = 0; i < 2000; i++) deep = '#bundle\0' + '\0'.repeat(8) + '\0\0\0\x10' + deep.slice(0, 16); // nested headers, bad sizes
  packets.push(Buffer.from(deep, 'latin1'));
  const before = (await c.call('/status'))[0].args;
  const malformed0 = before[before.indexOf('malformed') + 1] as number;
  let decodable = 0;
  for (const p of packets) {
    try {
      decode(p);
      decodable++;
    } catch {
      /* expected */
    }
    c.sendRaw(p);
  }
  await c.sync();
  const st = (await c.call('/status'))[0].args;
  const malformed = (st[st.indexOf('malformed') + 1] as number) - malformed0;
  assert.equal(malformed, packets.length - decodable, `counted ${malformed} of ${packets.length - decodable} undecodable packets`);
  // Still alive and playing: a normal command works.
  assert.deepEqual(await c.call('/osc/coarse', 12), []);
  c.close();
  assert.equal(await srv.exited, 0);
});

test('osc: liblo oscsend drives the server; oscdump receives the replies of the client that named its port with /reply/to', async () => {
  const srv = await serve(['--seconds', '6']);
  const dumpPort = 20000 + (process.pid % 20000);
  const dump = spawn('oscdump', ['-L', String(dumpPort)]);
  let dumped = '';
  dump.stdout.on('data', (d) => (dumped += d));
  await new Promise((r) => setTimeout(r, 300));
  const oscsend = (...args: string[]) => {
    const r = spawnSync('oscsend', ['localhost', String(srv.port), ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };
  oscsend('/module/add', 'sssf', 'vco', 'osc', 'coarse', '9');
  oscsend('/module/add', 'ss', 'output', 'out');
  oscsend('/cable/connect', 'ss', 'osc.sin', 'out.left');
  oscsend('/module/add', 'ss', 'nosuch', 'x');
  // /reply/to is per client (address and port): each oscsend is a new socket, so its replies went to
  // its own (closed) port. A client that keeps its socket sends its replies to oscdump.
  const c = await client(srv.port);
  c.send('/reply/to', dumpPort);
  c.send('/cable/connect', 'osc.sin', 'out.right');
  c.send('/module/remove', 'nope');
  c.send('/sync', 5);
  const end = Date.now() + 10_000;
  while (!/\/synced i 5/.test(dumped) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  dump.kill();
  assert.match(dumped, /\/done si "\/reply\/to" \d+/);
  assert.match(dumped, /\/done sss "\/cable\/connect" "osc\.sin" "out\.right"/);
  assert.match(dumped, /\/fail ss "\/module\/remove" "no module \\?"nope/);
  assert.match(dumped, /\/synced i 5/);
  assert.doesNotMatch(dumped, /nosuch/);
  // What oscsend sent was done (and its refusal counted).
  const other = await client(srv.port);
  const doc = JSON.parse((await other.call('/patch/get'))[0].args[0] as string);
  assert.deepEqual(doc.modules.map((m: { id: string }) => m.id), ['osc', 'out']);
  assert.deepEqual(doc.cables.map((x: { to: string }) => x.to), ['out.left', 'out.right']);
  const st = (await other.call('/status'))[0].args;
  assert.equal(st[st.indexOf('failed') + 1], 2);
  c.close();
  other.close();
  assert.equal(await srv.exited, 0);
});

test('osc: a timed bundle changes the VCO pitch at the exact sample it names; late bundles apply at once and are counted', async () => {
  const rec = join(tmp, 'timed.wav');
  const srv = await serve(['examples/sine.json', '--seconds', '3', '--record', rec]);
  const c = await client(srv.port);
  await new Promise((r) => setTimeout(r, 800)); // the engine clock is anchored once the device plays
  const t = Date.now() / 1000 + 0.6;
  c.sendRaw(encode(new Bundle(t, ['/osc/coarse', 21])));
  const end = Date.now() + 5000;
  while (!c.replies.some((r) => r.args[0] === '#bundle') && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  const scheduled = c.replies.find((r) => r.args[0] === '#bundle');
  assert.ok(scheduled, 'the bundle was acknowledged with its frame');
  const frame = scheduled.args[1] as number;
  // A bundle whose time has passed is applied at once and counted as late.
  c.sendRaw(encode(new Bundle(Date.now() / 1000 - 1, ['/osc/fine', 0])));
  await c.sync();
  const st = (await c.call('/status'))[0].args;
  assert.equal(st[st.indexOf('late') + 1], 1);
  c.close();
  assert.equal(await srv.exited, 0);
  const ref = join(tmp, 'timed-ref.wav');
  assert.equal(spawnSync(process.execPath, [BIN, 'render', 'examples/sine.json', '--out', ref, '--seconds', '3', '--format', '32f', '-q'], { cwd: ROOT }).status, 0);
  const live = readWav(rec).channels[0], reference = readWav(ref).channels[0];
  let first = -1;
  for (let i = 0; i < live.length; i++) {
    if (live[i] !== reference[i]) {
      first = i;
      break;
    }
  }
  // The VCO's outputs run 16 samples behind its phase (the linear-phase BLEP delay).
  assert.equal(first, frame + 16, `first changed sample ${first}, bundle frame ${frame}`);
  assert.ok(Math.abs(zeroCrossingHz(live, 48000, first + 2400, first + 24000) - 880) < 0.5);
});

test('osc: /midi in a timed bundle opens the gate on the exact sample of its timetag', async () => {
  const file = join(tmp, 'gate.json'), rec = join(tmp, 'gate.wav');
  writeFileSync(file, JSON.stringify({
    format: 'modsynth-patch', version: 1,
    modules: [{ id: 'keys', type: 'midi-cv' }, { id: 'g', type: 'attenuverter', params: { gain: 0.05 } }, { id: 'out', type: 'output' }],
    cables: [{ from: 'keys.gate', to: 'g.in' }, { from: 'g.out', to: 'out.left' }],
  }));
  const srv = await serve([file, '--seconds', '2.5', '--record', rec]);
  const c = await client(srv.port);
  await new Promise((r) => setTimeout(r, 800)); // the engine clock is anchored once the device plays
  c.sendRaw(encode(new Bundle(Date.now() / 1000 + 0.5, ['/midi', 'keys', 144, 60, 100])));
  const end = Date.now() + 5000;
  while (!c.replies.some((r) => r.args[0] === '#bundle') && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  const frame = c.replies.find((r) => r.args[0] === '#bundle')?.args[1] as number;
  assert.ok(frame > 0, 'acknowledged with its frame');
  assert.match(String((await c.call('/midi', 'keys', 300, 0, 0))[0].args[1]), /not a MIDI channel message/);
  c.close();
  assert.equal(await srv.exited, 0);
  const x = readWav(rec).channels[0];
  const first = x.findIndex((v) => v !== 0);
  assert.equal(first, frame, `gate opened at ${first}, bundle frame ${frame}`);
  assert.equal(x[first], Math.fround(10 * 0.05 * 0.2));
});

test('osc: a recorded session re-rendered offline is bit-identical to the live recording', async () => {
  const rec = join(tmp, 'session-live.wav'), log = join(tmp, 'session.jsonl'), out = join(tmp, 'session-render.wav');
  const srv = await serve(['examples/sine.json', '--seconds', '3', '--record', rec, '--record-session', log]);
  const c = await client(srv.port);
  await new Promise((r) => setTimeout(r, 500));
  await c.call('/osc/coarse', 12);
  await c.call('/module/add', 'lfo', 'wobble', 'rate', 5);
  await c.call('/param/set', 'osc', 'fmAmount', 0.1);
  await c.call('/cable/connect', 'wobble.sin', 'osc.fm');
  c.sendRaw(encode(new Bundle(Date.now() / 1000 + 0.3, ['/amp/level', 0.8], ['/wobble/rate', 2])));
  await new Promise((r) => setTimeout(r, 500));
  await c.call('/cable/disconnect', 'wobble.sin', 'osc.fm');
  c.close();
  assert.equal(await srv.exited, 0);
  const r = spawnSync(process.execPath, [BIN, 'render', 'examples/sine.json', '--session', log, '--out', out, '--format', '32f', '--workers', '1'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const live = readWav(rec).channels, offline = readWav(out).channels;
  assert.equal(offline[0].length, 3 * 48000);
  assert.deepEqual(offline[0], live[0]);
  assert.deepEqual(offline[1], live[1]);
  const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; frame?: number });
  assert.deepEqual([...new Set(lines.map((e) => e.type))].sort(), ['end', 'param', 'patch', 'start']);
  // Structural edits are faded: the output passes through silence at each swap, ramping over 2 blocks.
  for (const swap of lines.filter((e) => e.type === 'patch')) {
    const k = swap.frame!;
    const around = Math.max(...Array.from(live[0].subarray(k - 2, k + 2), Math.abs));
    assert.ok(around < 0.02, `swap at ${k}: |out| ${around} near the swap`);
    const before = Math.max(...Array.from(live[0].subarray(k - 1000, k - 300), Math.abs));
    assert.ok(before > 0.3, `full level before the fade (${before})`);
  }
});

test('osc: a meter and a scope are read with /module/read; /midi plays a midi-cv voice; merge channels change live', async () => {
  const srv = await serve(['--seconds', '6']);
  const c = await client(srv.port);
  await c.call('/module/add', 'midi-cv', 'keys');
  await c.call('/module/add', 'vco', 'osc');
  await c.call('/module/add', 'meter', 'm');
  await c.call('/module/add', 'scope', 'sc', 'time', 0.01);
  await c.call('/module/add', 'output', 'out');
  await c.call('/cable/connect', 'keys.pitch', 'osc.pitch');
  await c.call('/cable/connect', 'osc.sin', 'm.in');
  await c.call('/cable/connect', 'm.out', 'sc.in');
  await c.call('/cable/connect', 'sc.out', 'out.left');
  assert.deepEqual(await c.call('/midi', 'keys', 0x90, 69, 100), []); // A4: the VCO goes to 440 Hz
  assert.match(String((await c.call('/midi', 'osc', 0x90, 69, 100))[0].args[1]), /does not take MIDI/);
  await new Promise((r) => setTimeout(r, 1500));
  const meter = (await c.call('/module/read', 'm'))[0];
  assert.equal(meter.address, '/read');
  const [id, , channels, , rms, , peak] = meter.args as [string, string, number, string, number, string, number];
  assert.equal(id, 'm');
  assert.equal(channels, 1);
  assert.ok(Math.abs(rms - 5 / Math.SQRT2) < 0.05, `rms ${rms} V`);
  assert.ok(Math.abs(peak - 5) < 0.01, `peak ${peak} V`);
  const scope = (await c.call('/module/read', 'sc'))[0].args as (string | number)[];
  assert.ok((scope[2] as number) >= 1, 'at least one capture');
  const step = scope[4] as number, points = scope.slice(6) as number[];
  assert.equal(step, Math.round((0.01 * 48000) / 256));
  assert.equal(points.length, 256);
  // Edge-triggered at 0 V rising: the capture starts on the first sample at or above 0 V, so it is
  // 5 sin(2π·440·t + φ) with 0 ≤ φ < one sample of phase, sampled every `step` samples.
  const dphi = (2 * Math.PI * 440) / 48000;
  const phi = Math.asin(points[0] / 5);
  assert.ok(phi >= 0 && phi < dphi, `starts ${phi} rad after the rising zero crossing`);
  for (let k = 0; k < 256; k++) {
    const want = 5 * Math.sin(dphi * k * step + phi);
    assert.ok(Math.abs(points[k] - want) < 0.01, `point ${k}: ${points[k]}, want ${want.toFixed(4)}`);
  }
  assert.match(String((await c.call('/module/read', 'osc'))[0].args[1]), /has nothing to read/);
  // A structural param (merge channels) rebuilds the plan: a meter on the merged cable sees 3 channels.
  await c.call('/module/add', 'merge', 'mg');
  await c.call('/module/add', 'meter', 'm3');
  await c.call('/cable/connect', 'mg.out', 'm3.in');
  assert.deepEqual(await c.call('/param/set', 'mg', 'channels', 3), []);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await c.call('/module/read', 'm3'))[0].args[2], 3);
  assert.match(String((await c.call('/param/set', 'mg', 'channels', 2.5))[0].args[1]), /whole number/);
  c.close();
  killGroup(srv.proc);
  await srv.exited;
});
