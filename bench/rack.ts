/**
 * The browser rack's cost to a playing patch (issue 15): the demo patch with a scope and a meter on
 * its mix, played for S seconds (default 60) by a real `modsynth play` (null sink, SCHED_FIFO where
 * allowed), once with no browser and once with two headless Chromium processes connected, each
 * drawing the scope and the meter live. Reports the underruns of both runs, the scopes' frame rate,
 * and the param round trip from a knob to the engine and back, measured in the page: key press on a
 * knob → its `/param/changed` echo (the control plane, including the page's once-per-frame send),
 * and `/param/set` + `/sync` → `/synced` (applied to the audio at a block boundary), median and p99.
 *
 *   npm run build && node dist/bench/rack.js [--seconds S]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = join(__dirname, '../..');
const BIN = join(ROOT, 'bin/modsynth.js');
const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 60;
const exe = ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium'].find((p) => existsSync(p));

interface Run {
  underruns: number;
  load: number[];
  /** Epoch ms at which frame 0 reached the device. */
  firstFrameAt: number;
  /** play's summary line, without its JSON (names when the first underruns happened). */
  summary: string;
}

/** The machine's CPU time by kind, from /proc/stat (USER_HZ ticks, all CPUs): busy, idle, steal. */
function cpuTicks(): { busy: number; idle: number; steal: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { busy: f[0] + f[1] + f[2] + f[5] + f[6], idle: f[3] + f[4], steal: f[7] ?? 0 };
}

/** What the machine did while `run` ran: busy and steal (a virtual CPU held off by its host) as % of all CPU time. */
async function measured<T>(run: () => Promise<T>): Promise<T & { busyPct: number; stealPct: number }> {
  const a = cpuTicks();
  const r = await run();
  const b = cpuTicks();
  const total = b.busy - a.busy + (b.idle - a.idle) + (b.steal - a.steal) || 1;
  return { ...r, busyPct: (100 * (b.busy - a.busy)) / total, stealPct: (100 * (b.steal - a.steal)) / total };
}

function play(patch: string, extra: string[], onUrl?: (url: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, 'play', patch, '--seconds', String(seconds), '--osc', '127.0.0.1:0', ...extra], { cwd: ROOT, env: { ...process.env, CI: 'true' } });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      const m = /rack on (http:\S+)/.exec(out);
      if (m && onUrl) {
        onUrl(m[1]);
        onUrl = undefined;
      }
    });
    p.stderr.on('data', () => undefined);
    p.on('exit', () => {
      const m = /\[json\] (\{.*\})/.exec(out);
      if (!m) reject(new Error(`play printed no result: ${out}`));
      else resolve({ ...(JSON.parse(m[1]) as Run), summary: /stopped after [^\n]*?(?= \[json\])/.exec(out)?.[0] ?? '' });
    });
  });
}

const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

async function roundTrips(page: Page): Promise<{ echo: number[]; synced: number[] }> {
  return page.evaluate(async () => {
    type W = { modsynth: { link: { on: (l: (m: { address: string; args: unknown[] }) => void) => void; call: (...a: unknown[]) => Promise<unknown> } } };
    const link = (window as unknown as W).modsynth.link;
    const knob = document.querySelector('.panel[data-id="view"] .knob[data-param="level"]') as HTMLElement;
    const echo: number[] = [], synced: number[] = [];
    let sentAt = 0, resolveEcho: (() => void) | undefined;
    link.on((m) => {
      if (m.address === '/param/changed' && m.args[0] === 'view' && resolveEcho) {
        echo.push(performance.now() - sentAt);
        resolveEcho();
        resolveEcho = undefined;
      }
    });
    knob.focus();
    for (let i = 0; i < 200; i++) {
      const got = new Promise<void>((r) => (resolveEcho = r));
      sentAt = performance.now();
      knob.dispatchEvent(new KeyboardEvent('keydown', { key: i % 2 ? 'ArrowDown' : 'ArrowUp', bubbles: true }));
      await got;
      await new Promise((r) => setTimeout(r, 20));
    }
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await link.call('/param/set', 'view', 'level', i % 2 ? 0.5 : 0.25);
      synced.push(performance.now() - t);
    }
    return { echo, synced };
  });
}

async function main(): Promise<void> {
  if (!exe) throw new Error('no Chromium: run scripts/setup.sh');
  const dir = mkdtempSync(join(tmpdir(), 'modsynth-bench-rack-'));
  const demo = JSON.parse(readFileSync(join(ROOT, 'examples/demo.json'), 'utf8'));
  demo.modules.push({ id: 'view', type: 'scope', params: { time: 0.02 } }, { id: 'level', type: 'meter' });
  demo.cables.push({ from: 'mix.out', to: 'view.in' }, { from: 'mix.out', to: 'level.in' });
  const patch = join(dir, 'demo-scoped.json');
  writeFileSync(patch, JSON.stringify(demo));
  console.log(`bench rack: ${seconds} s each, load average before ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const alone = await measured(() => play(patch, ['--no-http']));
  console.log(`  no browser:        ${alone.underruns} underruns, load ${alone.load.map((l) => `${(l * 100).toFixed(1)}%`).join(' / ')}`);
  console.log(`    play: ${alone.summary}; machine busy ${alone.busyPct.toFixed(0)}%, steal ${alone.stealPct.toFixed(1)}%`);
  const browsers: Browser[] = [];
  let trips: { echo: number[]; synced: number[] } | undefined;
  const fps: number[] = [];
  const withUi = await measured(() => play(patch, ['--http', '127.0.0.1:0'], (url) => {
    void (async () => {
      const pages: Page[] = [];
      for (let i = 0; i < 2; i++) {
        const b = await chromium.launch({ executablePath: exe, args: ['--no-sandbox', '--disable-gpu'] });
        browsers.push(b);
        const page = await b.newPage({ viewport: { width: 1500, height: 950 } });
        await page.goto(url);
        await page.waitForSelector('.panel[data-id="view"] canvas');
        pages.push(page);
      }
      const frames = () => Promise.all(pages.map((p) => p.evaluate(() => (window as unknown as { modsynth: { views: { stats: { frames: Record<string, number> } } } }).modsynth.views.stats.frames.view ?? 0)));
      const f0 = await frames();
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, Math.min(10_000, (seconds * 1000) / 4)));
      const f1 = await frames();
      f1.forEach((f, i) => fps.push(((f - f0[i]) * 1000) / (Date.now() - t0)));
      trips = await roundTrips(pages[0]);
    })().catch((e) => console.error(`bench rack: ${(e as Error).message}`));
  }));
  await Promise.all(browsers.map((b) => b.close()));
  console.log(`  two browsers:      ${withUi.underruns} underruns, load ${withUi.load.map((l) => `${(l * 100).toFixed(1)}%`).join(' / ')}; scopes at ${fps.map((f) => f.toFixed(1)).join(' and ')} frames/s`);
  console.log(`    play: ${withUi.summary}; machine busy ${withUi.busyPct.toFixed(0)}%, steal ${withUi.stealPct.toFixed(1)}%`);
  if (trips) {
    console.log(`  knob → echo:       median ${pct(trips.echo, 0.5).toFixed(2)} ms, p99 ${pct(trips.echo, 0.99).toFixed(2)} ms (${trips.echo.length} turns)`);
    console.log(`  set → synced:      median ${pct(trips.synced, 0.5).toFixed(2)} ms, p99 ${pct(trips.synced, 0.99).toFixed(2)} ms (${trips.synced.length})`);
  }
  console.log(`  load average after ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
