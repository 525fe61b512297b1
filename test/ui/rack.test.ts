/**
 * The browser rack against a running `modsynth serve` (real time, null sink), driven in a real headless
 * Chromium the way a user drives it (clicks, mouse drags, keys), with a real OSC client beside it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, copyFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { client, stopServers, ensureStopped } from '../support/osc';
import { killGroup } from '../support/group';
import { modsynth, ROOT } from '../support/cli';
import { readWav } from '../../src/io/wav';
import { zeroCrossingHz } from '../support/analysis';
import { closeBrowser, drag, openRack, serveRack } from './browser';
import { parsePatch } from '../../src/plan/patch';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-rack-'));
after(async () => {
  await closeBrowser();
  stopServers();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function patchOf(c: Awaited<ReturnType<typeof client>>) {
  const r = await c.call('/patch/get');
  return JSON.parse(r[0].args[0] as string);
}

/** The 0.1 s windows of a recording: start time, peak and zero-crossing frequency. */
function windows(file: string) {
  const x = readWav(file).channels[0];
  const out: { t: number; peak: number; hz: number }[] = [];
  for (let i = 0; i + 4800 <= x.length; i += 4800) {
    let peak = 0;
    for (let k = i; k < i + 4800; k++) peak = Math.max(peak, Math.abs(x[k]));
    out.push({ t: i / 48000, peak, hz: zeroCrossingHz(x, 48000, i, i + 4800) });
  }
  return out;
}

test('rack: from an empty serve, add a VCO and an output from the browser, drag a cable, turn coarse to +9: 440 Hz recorded; undo takes it back to silence', async (t) => {
  const rec = join(tmp, 'built.wav');
  const srv = await serveRack(['--record', rec], tmp);
  t.after(() => ensureStopped(srv));
  const osc = await client(srv.port);
  const { page, errors } = await openRack(srv.url);
  await page.fill('#browser-search', 'vco');
  await page.click('.browser-item[data-type="vco"]');
  await page.waitForSelector('.panel[data-id="vco1"]');
  await page.fill('#browser-search', 'output');
  await page.click('.browser-item[data-type="output"]');
  await page.waitForSelector('.panel[data-id="output1"]');
  await drag(page, '[data-ref="vco1.sin"] .hole', '[data-ref="output1.left"] .hole');
  await page.waitForSelector('path.cable[data-from="vco1.sin"][data-to="output1.left"]');
  assert.deepEqual((await patchOf(osc)).cables, [{ from: 'vco1.sin', to: 'output1.left' }]);
  // The coarse knob, by keyboard: nine steps of a semitone up.
  await page.focus('.panel[data-id="vco1"] .knob[data-param="coarse"]');
  for (let i = 0; i < 9; i++) await page.keyboard.press('ArrowUp');
  assert.equal(await page.textContent('.panel[data-id="vco1"] .param:has([data-param="coarse"]) .value'), '+9 st');
  await osc.sync();
  await sleep(300);
  assert.equal((await patchOf(osc)).modules[0].params.coarse, 9, 'the engine has coarse = 9');
  await playFor(osc, 1.5);
  // Undo: first the knob (one step for the whole turn), then the cable.
  await page.click('#undo');
  await page.waitForFunction(() => document.querySelector('.panel[data-id="vco1"] .knob[data-param="coarse"]')?.getAttribute('aria-valuenow') === '0');
  await page.click('#undo');
  await page.waitForFunction(() => !document.querySelector('path.cable'));
  assert.deepEqual((await patchOf(osc)).cables, []);
  await playFor(osc, 1.5);
  assert.deepEqual(errors, []);
  osc.close();
  await page.close();
  killGroup(srv.proc, 'SIGTERM');
  assert.equal(await srv.exited, 0, srv.stderr());
  const w = windows(rec);
  const a4 = w.filter((x) => x.peak > 0.4 && Math.abs(x.hz - 440) < 1);
  assert.ok(a4.length >= 8, `about 1.5 s at 440 Hz: ${w.map((x) => x.hz.toFixed(0)).join(' ')}`);
  const tail = w.slice(-8);
  assert.ok(tail.every((x) => x.peak === 0), `silent after the undo: ${tail.map((x) => x.peak.toFixed(4)).join(' ')}`);
  assert.ok(a4[0].t < tail[0].t);
});

test('rack: a param set over OSC moves the knob in two tabs; a knob turned in one tab is seen by OSC and by the other tab; an edit in one tab shows in the other', async (t) => {
  const srv = await serveRack(['examples/sine.json'], tmp);
  t.after(() => ensureStopped(srv));
  const osc = await client(srv.port);
  const a = await openRack(srv.url), b = await openRack(srv.url);
  const knob = '.panel[data-id="osc"] .knob[data-param="coarse"]';
  await a.page.waitForSelector(knob);
  await b.page.waitForSelector(knob);
  await osc.call('/osc/coarse', 14);
  for (const p of [a.page, b.page]) await p.waitForFunction((k) => document.querySelector(k)?.getAttribute('aria-valuenow') === '14', knob);
  // Tab A turns the amp's level with the wheel (each notch 1/200 of the range).
  const level = '.panel[data-id="amp"] .knob[data-param="level"]';
  const before = (await patchOf(osc)).modules.find((m: { id: string }) => m.id === 'amp').params.level;
  await a.page.hover(level);
  for (let i = 0; i < 5; i++) await a.page.mouse.wheel(0, 100);
  await sleep(300);
  const after = (await patchOf(osc)).modules.find((m: { id: string }) => m.id === 'amp').params.level;
  const shown = Number(await a.page.getAttribute(level, 'aria-valuenow'));
  assert.ok(after < before, `level went down: ${before} → ${after}`);
  assert.equal(after, shown, 'the engine has what the knob shows');
  // Events carry values as OSC float32 (what every OSC client reads): the other tab shows that.
  await b.page.waitForFunction(([k, v]) => Math.abs(Number(document.querySelector(k as string)?.getAttribute('aria-valuenow')) - (v as number)) < 1e-6, [level, after] as const);
  // A drag on the knob (Shift: fine) and a double-click back to the default.
  await a.page.dblclick(level);
  await sleep(300);
  assert.equal((await patchOf(osc)).modules.find((m: { id: string }) => m.id === 'amp').params.level, 1, 'double-click resets to the default');
  // Per-module CPU: the page shows what /patch/info gives any OSC client.
  await a.page.waitForFunction(() => /cpu \d/.test(document.querySelector('.panel[data-id="osc"] footer.cpu')?.textContent ?? ''));
  const info = JSON.parse((await osc.call('/patch/info'))[0].args[0] as string);
  assert.ok(info.modules.osc.cpuPercent > 0 && info.modules.osc.cpuPercent < 100, JSON.stringify(info.modules));
  assert.deepEqual(info.cables.map((c: { channels: number; feedback: boolean }) => [c.channels, c.feedback]), [[1, false], [1, false]]);
  // Tab B adds a module; tab A sees its panel.
  await b.page.click('.browser-item[data-type="lfo"]');
  await a.page.waitForSelector('.panel[data-id="lfo1"]');
  assert.deepEqual(a.errors.concat(b.errors), []);
  await a.page.close();
  await b.page.close();
  osc.close();
});

test('rack: the scope of the fault example draws a moving waveform at 30+ frames a second; an injected fault shows the module down, then up', async (t) => {
  const srv = await serveRack(['examples/fault.json'], tmp);
  t.after(() => ensureStopped(srv));
  const osc = await client(srv.port);
  const { page, errors } = await openRack(srv.url);
  const scope = '.panel[data-id="view"] canvas';
  await page.waitForSelector(scope);
  await page.waitForFunction(() => ((window as never as { modsynth: { views: { stats: { frames: Record<string, number> } } } }).modsynth.views.stats.frames.view ?? 0) > 10);
  const frames0 = await page.evaluate(() => (window as never as { modsynth: { views: { stats: { frames: Record<string, number> } } } }).modsynth.views.stats.frames.view);
  const shot1 = await page.locator(scope).screenshot();
  await sleep(2000);
  const frames1 = await page.evaluate(() => (window as never as { modsynth: { views: { stats: { frames: Record<string, number> } } } }).modsynth.views.stats.frames.view);
  const shot2 = await page.locator(scope).screenshot();
  assert.notDeepEqual(shot1, shot2, 'the scope area changed');
  const fps = (frames1 - frames0) / 2;
  console.log(`# scope frames drawn: ${fps.toFixed(1)} per second`);
  assert.ok(fps >= 30, `scope at ${fps} frames a second`);
  // A fault: the panel goes down, then comes back.
  await page.evaluate(() => {
    const el = document.querySelector('.panel[data-id="f"]')!;
    const seen: string[] = [];
    (window as never as { healthSeen: string[] }).healthSeen = seen;
    new MutationObserver(() => {
      const h = (document.querySelector('.panel[data-id="f"]') as HTMLElement | null)?.dataset.health;
      if (h && seen[seen.length - 1] !== h) seen.push(h);
    }).observe(el.parentElement!, { attributes: true, subtree: true, attributeFilter: ['data-health'] });
  });
  await osc.call('/f/kind', 0);
  await osc.call('/f/inject', 1);
  await page.waitForFunction(() => (window as never as { healthSeen: string[] }).healthSeen.includes('up'), undefined, { timeout: 10_000 });
  const seen = await page.evaluate(() => (window as never as { healthSeen: string[] }).healthSeen);
  assert.deepEqual(seen.slice(0, 2), ['down', 'up'], `health shown: ${seen.join(' → ')}`);
  assert.deepEqual(errors, []);
  await page.close();
  osc.close();
});

test('rack: a save from the browser writes a patch that modsynth check accepts and that loads back identically, with the moved panel in place', async (t) => {
  const dir = mkdtempSync(join(tmp, 'save-'));
  copyFileSync(join(ROOT, 'examples/voice.json'), join(dir, 'voice.json'));
  const srv = await serveRack([join(dir, 'voice.json')], dir);
  t.after(() => ensureStopped(srv));
  const osc = await client(srv.port);
  const { page, errors } = await openRack(srv.url);
  await page.waitForSelector('.panel[data-id="osc"]');
  // Move a panel by its header.
  const head = await page.locator('.panel[data-id="osc"] > header .title').boundingBox();
  await page.mouse.move(head!.x + 5, head!.y + 5);
  await page.mouse.down();
  await page.mouse.move(head!.x + 305, head!.y + 405, { steps: 10 });
  await page.mouse.up();
  await sleep(300);
  const moved = (await patchOf(osc)).modules.find((m: { id: string }) => m.id === 'osc');
  assert.equal(typeof moved.ui?.x, 'number', JSON.stringify(moved));
  await page.fill('#save-name', 'saved');
  await page.click('#save-button');
  const file = join(dir, 'saved.json');
  for (let i = 0; i < 100 && !existsSync(file); i++) await sleep(50);
  const check = modsynth(['check', file]);
  assert.equal(check.status, 0, check.stderr);
  const doc = (p: { modules: unknown; cables: unknown }) => JSON.stringify({ modules: p.modules, cables: p.cables });
  const live = doc(await patchOf(osc));
  assert.equal(doc(parsePatch(readFileSync(file, 'utf8'), 'saved.json')), live, 'the file is the live patch');
  // Clear it, then load it back from the browser.
  await page.evaluate(() => (document.body.dataset.noConfirm = '1'));
  await page.click('#new');
  await page.waitForFunction(() => document.querySelectorAll('.panel').length === 0);
  await page.waitForFunction(() => Array.from(document.querySelectorAll("#load-name option")).some((o) => (o as HTMLOptionElement).value === 'saved'));
  await page.selectOption('#load-name', 'saved');
  await page.click('#load-button');
  await page.waitForSelector('.panel[data-id="osc"]');
  assert.equal(doc(await patchOf(osc)), live, 'reloads identically');
  const box = await page.locator('.panel[data-id="osc"]').boundingBox();
  const rackBox = await page.locator('#rack').boundingBox();
  assert.equal(Math.round(box!.x - rackBox!.x), moved.ui.x, 'the panel is where it was moved to');
  assert.deepEqual(errors, []);
  await page.close();
  osc.close();
});

test('rack: a foreign Origin and a foreign Host are refused; a bad command from the browser gets the same /fail reason as over OSC, shown on the page and counted; a text frame is malformed', async (t) => {
  const srv = await serveRack(['examples/sine.json'], tmp);
  t.after(() => ensureStopped(srv));
  const port = Number(new URL(srv.url).port);
  const refused = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => {
        ws.close();
        resolve(101);
      });
      ws.on('error', () => resolve(-1));
    });
  assert.equal(await refused({ Origin: 'http://evil.example' }), 403, 'foreign Origin');
  assert.equal(await refused({ Origin: `http://localhost:${port + 1}` }), 403, 'another port is another origin');
  assert.equal(await refused({ Host: `rebind.example:${port}`, Origin: `http://rebind.example:${port}` }), 403, 'DNS rebinding: a name other than localhost');
  assert.equal(await refused({ Origin: `http://127.0.0.1:${port}` }), 101, 'the rack itself');
  const status = await new Promise<number>((resolve) => {
    request({ host: '127.0.0.1', port, path: '/', headers: { Host: `evil.example:${port}` } }, (res) => resolve(res.statusCode ?? 0)).end();
  });
  assert.equal(status, 421, 'a page request under a foreign Host');
  const osc = await client(srv.port);
  const overOsc = await osc.call('/cable/connect', 'osc.nope', 'amp.in');
  const { page, errors } = await openRack(srv.url);
  const failedBefore = await statusField(osc, 'failed');
  await page.evaluate(() => (window as never as { modsynth: { link: { send: (...a: unknown[]) => void } } }).modsynth.link.send('/cable/connect', 'osc.nope', 'amp.in'));
  await page.waitForSelector('#message.show');
  assert.equal(await page.textContent('#message'), `/cable/connect: ${overOsc[0].args[1]}`);
  assert.equal(await statusField(osc, 'failed'), failedBefore + 1, 'counted as failed');
  const malformedBefore = await statusField(osc, 'malformed');
  await page.evaluate(() => (window as never as { modsynth: { link: { sendRaw: (d: unknown) => void } } }).modsynth.link.sendRaw('/status'));
  await page.evaluate(() => (window as never as { modsynth: { link: { sendRaw: (d: unknown) => void } } }).modsynth.link.sendRaw(new Uint8Array([47, 120, 0, 0, 44, 105]).buffer));
  await page.waitForFunction(() => /malformed OSC packet/.test(document.querySelector('#message')?.textContent ?? ''));
  assert.equal(await statusField(osc, 'malformed'), malformedBefore + 2, 'a text frame and a truncated packet are malformed');
  assert.deepEqual(errors, []);
  await page.close();
  osc.close();
});

/**
 * Waits until the engine has played `seconds` more audio (its /status clock, not the wall clock: on a
 * loaded machine the device can take audio slower than real time, and the recording follows it).
 */
async function playFor(c: Awaited<ReturnType<typeof client>>, seconds: number): Promise<void> {
  const start = await statusField(c, 'seconds');
  while ((await statusField(c, 'seconds')) < start + seconds) await sleep(50);
}

async function statusField(c: Awaited<ReturnType<typeof client>>, key: string): Promise<number> {
  const kv = (await c.call('/status'))[0].args;
  return kv[kv.indexOf(key) + 1] as number;
}

test('rack: the computer keyboard plays a midi-cv module: H held is A4 (440 Hz) while held, silence after', async (t) => {
  const rec = join(tmp, 'keys.wav');
  const srv = await serveRack(['--record', rec], tmp);
  t.after(() => ensureStopped(srv));
  const osc = await client(srv.port);
  await osc.call('/module/add', 'midi-cv', 'keys');
  await osc.call('/module/add', 'vco', 'osc');
  await osc.call('/module/add', 'vca', 'amp');
  await osc.call('/module/add', 'output', 'out');
  for (const [a, b] of [['keys.pitch', 'osc.pitch'], ['keys.gate', 'amp.cv'], ['osc.sin', 'amp.in'], ['amp.out', 'out.left']]) await osc.call('/cable/connect', a, b);
  const { page, errors } = await openRack(srv.url);
  await page.waitForSelector('.keyboard:not(.none) select.midi-target option[value="keys"]', { state: 'attached' });
  await page.click('#rack'); // focus on the page, not in a field
  await sleep(500);
  await page.keyboard.down('h');
  await playFor(osc, 1.2);
  await page.keyboard.up('h');
  await playFor(osc, 1);
  assert.deepEqual(errors, []);
  await page.close();
  osc.close();
  killGroup(srv.proc, 'SIGTERM');
  assert.equal(await srv.exited, 0, srv.stderr());
  const w = windows(rec);
  const a4 = w.filter((x) => x.peak > 0.4 && Math.abs(x.hz - 440) < 1);
  assert.ok(a4.length >= 8, `about 1.2 s at 440 Hz: ${w.map((x) => `${x.hz.toFixed(0)}/${x.peak.toFixed(2)}`).join(' ')}`);
  const tail = w.slice(-6);
  assert.ok(tail.every((x) => x.peak < 1e-3), `silent after the key is released: ${tail.map((x) => x.peak.toFixed(4)).join(' ')}`);
});
