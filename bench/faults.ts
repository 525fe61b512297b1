/**
 * Fault recovery, against a real `modsynth serve` playing examples/fault.json into the null sink (real
 * time, the default settings): the fault module is made to throw, output NaN, hang or exhaust its heap,
 * `repeats` times each, with OSC timed bundles (so the injection frame is exact). From the server's
 * /fault and /restarted events (engine frames) and its counters:
 *   - detected: from the injected sample to the block the module went down in (a leaking module goes
 *     down later, when its heap runs out or garbage collection stalls it past the hang budget);
 *   - silent: audio during which its outputs read 0 V (down → playing again);
 *   - fault → audio: from the fault (the injected sample; for heap, going down) to playing again;
 *   - spare ready: for a replaced worker, wall time from the fault event until a new warm spare is in
 *     the pool (/status spares), after which the next hang is covered;
 *   - underruns during the whole run (goal 0).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Bundle, encode } from 'node-osc';
import { median, type BenchSection } from './report';
import { servePeer } from './serve-peer';

const ROOT = join(__dirname, '../..');
const BIN = join(ROOT, 'bin/modsynth.js');
const SR = 48000;
export const KINDS = ['throw', 'nan', 'hang', 'heap'];

export async function faultRecovery(repeats: number, kinds: readonly string[] = KINDS): Promise<BenchSection> {
  const proc = spawn(process.execPath, [BIN, 'serve', 'examples/fault.json', '--osc', '127.0.0.1:0', '--max-faults', '100000'], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true', PULSE_SERVER: 'unix:/nonexistent', XDG_RUNTIME_DIR: '/nonexistent' },
  });
  let settings = '', log = '';
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      log = (log + d).slice(-2000);
      const m = /OSC on udp:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      const p = /playing .*$/m.exec(out);
      if (p) settings = p[0];
      if (m && p) resolve(Number(m[1]));
    });
    proc.stderr.on('data', () => undefined);
    setTimeout(() => reject(new Error('serve did not start')), 30_000).unref();
  });
  const peer = await servePeer(proc, port, () => log);
  const { got, send, msg, next, status } = peer;
  msg('/notify', 1);
  await new Promise((r) => setTimeout(r, 1500));
  // The pool warms its spare in the background after start-up (engine/pool.ts): wait for it.
  for (let t = 0; t < 200 && (await status())('spares') < 1; t++) await new Promise((r) => setTimeout(r, 50));
  const spares = (await status())('spares');
  const rows: (string | number)[][] = [];
  const ms = (frames: number) => (frames * 1000) / SR;
  for (const kind of kinds) {
    const k = KINDS.indexOf(kind);
    if (k < 0) throw new Error(`unknown fault kind ${kind} (${KINDS.join(', ')})`);
    const detected: number[] = [], silent: number[] = [], back: number[] = [], spare: number[] = [];
    const underruns0 = (await status())('underruns');
    let replaced = 0;
    for (let r = 0; r < repeats; r++) {
      const from = got.length;
      msg('/f/inject', 0);
      msg('/f/kind', k);
      send(encode(new Bundle(Date.now() / 1000 + 0.3, ['/f/inject', 1])));
      const inject = (await next((x) => x.args[0] === '#bundle', from, 'bundle acknowledgement')).args[1] as number;
      const fault = await next((x) => x.address === '/fault', from, `/fault (${kind} #${r + 1})`);
      const restarted = await next((x) => x.address === '/restarted', from, `/restarted (${kind} #${r + 1})`);
      const faultFrame = fault.args[2] as number, restartFrame = restarted.args[1] as number;
      detected.push(ms(Math.max(0, faultFrame - inject)));
      silent.push(ms(restartFrame - faultFrame));
      back.push(ms(restartFrame - (kind === 'heap' ? faultFrame : inject)));
      if (kind === 'hang' || kind === 'heap') {
        replaced++;
        // A new spare is warmed in the background: wait until the pool has its spares again.
        while ((await status())('spares') < spares) await new Promise((res) => setTimeout(res, 20));
        spare.push(performance.now() - fault.at);
      }
      await new Promise((res) => setTimeout(res, 200));
    }
    const underruns = (await status())('underruns') - underruns0;
    rows.push([kind, repeats, median(detected).toFixed(1), median(silent).toFixed(1), median(back).toFixed(1), Math.max(...back).toFixed(1), replaced ? 'replaced' : 'in place', spare.length ? (median(spare) / 1000).toFixed(2) : '-', underruns]);
  }
  proc.kill('SIGTERM');
  peer.close();
  return {
    name: 'fault recovery (examples/fault.json on `serve`, null sink, real time; medians)',
    settings: { repeats, server: settings.replace(/^playing \S+ — /, ''), note: 'ms of audio from engine frames; spare ready = wall time; underruns = during that kind\'s injections' },
    columns: ['fault', 'n', 'detected ms', 'silent ms', 'fault → audio ms', 'max fault → audio ms', 'worker', 'spare ready s', 'underruns'],
    rows,
  };
}
