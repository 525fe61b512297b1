/**
 * `node dist/bench/reload.js [--swaps N] [--gap-ms MS]` (or `npm run bench -- --only reload`): the cost
 * of a hot reload, against a real `modsynth serve --module-dir` playing in real time into the null sink
 * (the default settings: 2 workers, 128-frame blocks, FIFO where allowed) with --record. The patch: a
 * 220 Hz sine into user/scale (a TypeScript module file in a temp directory, out = in · level · K) on
 * the left, the same sine straight to the right, and a second voice (VCO → VCF → VCA) mixed in on both
 * sides, so the rest of the patch has state. The file is saved N times, K alternating 0.25 and 0.5,
 * MS apart (the probation of 2 s passes between saves). Measured:
 *   - save → /module/reloaded (wall), and save → new sound: the moment the device has taken the frame
 *     the new code plays from (/status `seconds`, polled every 5 ms), median/min/max over the swaps;
 *   - the server's own split of each reload (its `reloaded:` line): read, module-test beside the new
 *     thread's start, warm-up and hand-over;
 *   - underruns: before the first save (same length as the swap phase: the machine's own noise) and
 *     during the swaps (goal 0);
 *   - glitch-free: the recording's right channel against `render` of the patch (sample-identical
 *     throughout), and the left one against `render` with K of the version playing, segment by segment
 *     (from each reported frame on): frames that differ (goal 0), and silent blocks at the swaps.
 * Prints the table and writes bench/results/reload-*.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav } from '../src/io/wav';
import { machine, median, printSection, writeResults, type BenchSection } from './report';
import { servePeer } from './serve-peer';
import { scaleModuleSource } from '../test/support/scale-module';

const ROOT = join(__dirname, '../..');
const BIN = join(ROOT, 'bin/modsynth.js');
const SR = 48000, B = 128;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const moduleSource = scaleModuleSource;

const PATCH = {
  format: 'modsynth-patch',
  version: 1,
  name: 'reload bench',
  seed: 3,
  modules: [
    { id: 'osc', type: 'vco', params: { coarse: -3 } },
    { id: 's', type: 'user/scale', params: { level: 0.8 } },
    { id: 'osc2', type: 'vco', params: { coarse: 4 } },
    { id: 'lfo', type: 'lfo', params: { rate: 0.3 } },
    { id: 'f', type: 'vcf', params: { cutoff: 1, res: 0.6 } },
    { id: 'a', type: 'vca', params: { level: 0.3 } },
    { id: 'mixL', type: 'mixer' },
    { id: 'mixR', type: 'mixer' },
    { id: 'out', type: 'output' },
  ],
  cables: [
    { from: 'osc.sin', to: 's.in' },
    { from: 'osc2.saw', to: 'f.in' },
    { from: 'lfo.sin', to: 'f.cutoff' },
    { from: 'f.lp', to: 'a.in' },
    { from: 's.out', to: 'mixL.in1' },
    { from: 'a.out', to: 'mixL.in2' },
    { from: 'osc.sin', to: 'mixR.in1' },
    { from: 'a.out', to: 'mixR.in2' },
    { from: 'mixL.out', to: 'out.left' },
    { from: 'mixR.out', to: 'out.right' },
  ],
};

export async function reloadSwaps(swaps: number, gapMs: number): Promise<BenchSection[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'modsynth-bench-reload-'));
  const live = join(tmp, 'live');
  mkdirSync(live);
  const file = join(live, 'scale.ts');
  writeFileSync(file, moduleSource(0.5));
  const patch = join(tmp, 'patch.json');
  writeFileSync(patch, JSON.stringify(PATCH));
  const seconds = Math.ceil(8 + (2 * swaps * gapMs) / 1000 + 20);
  // References: the patch with each version of the file, from frame 0.
  const refs = new Map<number, Float32Array[]>();
  for (const k of [0.5, 0.25]) {
    const dir = join(tmp, `k${k}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'scale.ts'), moduleSource(k));
    const r = spawnSync(process.execPath, [BIN, 'render', patch, '--module-dir', dir, '--seconds', String(seconds), '--format', '32f', '--out', join(tmp, `k${k}.wav`), '--quiet'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`render failed: ${r.stderr}`);
    refs.set(k, readWav(join(tmp, `k${k}.wav`)).channels);
  }
  const rec = join(tmp, 'live.wav');
  const proc = spawn(process.execPath, [BIN, 'serve', patch, '--module-dir', live, '--no-http', '--osc', '127.0.0.1:0', '--patch-dir', tmp, '--seconds', String(seconds), '--record', rec], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true', PULSE_SERVER: 'unix:/nonexistent', XDG_RUNTIME_DIR: tmp },
  });
  let out = '', err = '';
  proc.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number>((r) => proc.on('exit', (c) => r(c ?? -1)));
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /OSC on udp:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m && /playing .*$/m.test(out)) resolve(Number(m[1]));
    });
    setTimeout(() => reject(new Error(`serve did not start: ${out}${err}`)), 30_000).unref();
  });
  const peer = await servePeer(proc, port, () => out + err, 30_000, 1);
  const { got, msg, next, status } = peer;
  msg('/notify', 1);
  await new Promise((r) => setTimeout(r, 1000));
  // Baseline: the machine's own underruns over as long as the swap phase will take.
  const u0 = (await status())('underruns');
  await new Promise((r) => setTimeout(r, swaps * gapMs));
  const u1 = (await status())('underruns');
  const toEvent: number[] = [], toSound: number[] = [], underrunTimes: string[] = [];
  const segments: { frame: number; k: number }[] = [{ frame: 0, k: 0.5 }];
  for (let i = 0; i < swaps; i++) {
    const k = i % 2 === 0 ? 0.25 : 0.5;
    const from = got.length;
    const t0 = performance.now();
    writeFileSync(file, moduleSource(k));
    // Underruns while this swap runs, with the time after the save they were seen (polled).
    let seen = (await status())('underruns');
    const watch = setInterval(() => void status().then((st) => {
      const u = st('underruns');
      if (u > seen) underrunTimes.push(`${i}: +${u - seen} at ${(performance.now() - t0).toFixed(0)} ms`);
      seen = u;
    }), 20);
    const ev = await next((x) => x.address === '/module/reloaded' || x.address === '/module/reload-failed', from, '/module/reloaded');
    if (ev.address !== '/module/reload-failed') {
      const frame = ev.args[2] as number;
      toEvent.push(ev.at - t0);
      segments.push({ frame, k });
      for (;;) {
        if ((await status())('seconds') * SR >= frame) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      toSound.push(performance.now() - t0);
    } else throw new Error(`reload refused: ${ev.args[1]}`);
    await new Promise((r) => setTimeout(r, Math.max(0, gapMs - (performance.now() - t0))));
    clearInterval(watch);
  }
  await new Promise((r) => setTimeout(r, 500));
  const u2 = (await status())('underruns');
  const lastFrame = segments[segments.length - 1].frame;
  for (;;) {
    if ((await status())('seconds') * SR >= lastFrame + SR) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill('SIGTERM');
  const code = await exited;
  peer.close();
  if (code !== 0) throw new Error(`serve exited with ${code}: ${err}`);
  // The server's split of each reload.
  const splits = [...out.matchAll(/reloaded: .*?(\d+) ms after the file settled \(read (\d+), then module-test (\d+) beside the new thread's start (\d+), then warm-up and hand-over (\d+) ms\)/g)].map((m) => m.slice(1).map(Number));
  const seamless = (out.match(/handed over at a block edge/g) ?? []).length;
  // Glitch-free: compare the recording with the references, segment by segment.
  const [L, R] = readWav(rec).channels;
  const [, refR] = refs.get(0.5)!;
  let rightDiff = 0, leftDiff = 0, firstLeft = -1;
  for (let i = 0; i < R.length; i++) if (R[i] !== refR[i]) rightDiff++;
  segments.forEach((s, j) => {
    const end = j + 1 < segments.length ? segments[j + 1].frame : L.length;
    const ref = refs.get(s.k)![0];
    for (let i = s.frame; i < end; i++) {
      if (L[i] !== ref[i]) {
        leftDiff++;
        if (firstLeft < 0) firstLeft = i;
      }
    }
  });
  let silentBlocks = 0;
  for (const s of segments.slice(1)) for (let b = s.frame / B - 4; b < s.frame / B + 4; b++) if (L.subarray(b * B, (b + 1) * B).every((v) => v === 0)) silentBlocks++;
  const stat = (xs: number[]) => [median(xs).toFixed(0), Math.min(...xs).toFixed(0), Math.max(...xs).toFixed(0)];
  const col = (k: number) => splits.map((s) => s[k]);
  const settings = { swaps, gapMs, recorded: L.length, block: B, sampleRate: SR, settings: /playing .*$/m.exec(out)?.[0] ?? '' };
  return [
    {
      name: `hot reload: ${swaps} saves of a TypeScript module file while serve plays (ms: median, min, max)`,
      settings,
      columns: ['step', 'median', 'min', 'max'],
      rows: [
        ['save → /module/reloaded', ...stat(toEvent)],
        ['save → new sound (device took the first new frame)', ...stat(toSound)],
        ['  debounce (fixed)', '200', '200', '200'],
        ['  settled → reloaded (server)', ...stat(col(0))],
        ['    read + transpile', ...stat(col(1))],
        ['    module-test (thread started ahead)', ...stat(col(2))],
        ['    new thread start, beside module-test', ...stat(col(3))],
        ['    warm-up (200 blocks) + hand-over', ...stat(col(4))],
      ],
    },
    {
      name: 'hot reload: glitches (goal: 0 underruns in the swaps, no silent block, sample-identical)',
      settings,
      columns: ['measure', 'value'],
      rows: [
        [`underruns before the first save (${((swaps * gapMs) / 1000).toFixed(0)} s, no swap)`, u1 - u0],
        [`underruns during the ${swaps} swaps`, u2 - u1],
        ['underruns seen (swap: count at ms after the save, polled every 20 ms)', underrunTimes.join('; ') || 'none'],
        ['swaps handed over at a block edge', `${seamless} of ${splits.length}`],
        ['silent blocks of the module around the swaps', silentBlocks],
        ['right channel (rest of the patch): frames differing from render', rightDiff],
        ['left channel: frames differing from render of the version playing', leftDiff + (firstLeft >= 0 ? ` (first at ${firstLeft})` : '')],
      ],
    },
  ];
}

async function main(): Promise<void> {
  console.log(`# hot reload\nmachine: ${JSON.stringify(machine())}`);
  const sections = await reloadSwaps(arg('--swaps', 12), arg('--gap-ms', 3000));
  sections.forEach(printSection);
  console.log(`results: ${writeResults(sections, 'reload')}`);
  process.exit(0);
}

if (require.main === module) void main();
