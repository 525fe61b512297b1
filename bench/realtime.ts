/**
 * Real-time output on JACK's dummy driver (48 kHz): latency (device + ring) and underruns over the
 * canonical workload at 64 voices, with the other core idle and loaded by a busy process.
 * Each run is a real `modsynth play` child process (under SCHED_FIFO where allowed).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { BenchSection } from './report';

const ROOT = join(__dirname, '../..');
const BIN = join(ROOT, 'bin/modsynth.js');

async function startJack(period: number): Promise<ChildProcess> {
  const p = spawn('jackd', ['-R', '-d', 'dummy', '-r', '48000', '-p', String(period)], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (/^running/m.test(spawnSync('jack_wait', ['-c'], { encoding: 'utf8' }).stdout)) return p;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('jackd did not start');
}

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  await new Promise<void>((r) => {
    p.once('exit', () => r());
    p.kill('SIGTERM');
  });
}

export interface PlayResult {
  underruns: number;
  latencyMs: number;
  ringMs: number;
  deviceMs: number;
  load: number[];
  /** Epoch ms when the engine's frame 0 went to the device (see play's watch). */
  firstFrameAt: number;
  /** Epoch ms when the child was spawned. */
  spawnedAt: number;
}

/**
 * One real `modsynth play` child; resolves with its summary's [json] figures. `wrapper` runs it through
 * a launcher (`['pw-jack']`: PipeWire's JACK interface).
 */
export function play(patch: string, seconds: number, args: string[], env: Record<string, string> = {}, wrapper: string[] = []): Promise<PlayResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...pre] = [...wrapper, process.execPath];
    const spawnedAt = Date.now();
    const p = spawn(cmd, [...pre, BIN, 'play', patch, '--seconds', String(seconds), ...args], { cwd: ROOT, env: { ...process.env, CI: 'true', ...env } });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', () => undefined);
    p.on('exit', () => {
      const m = /\[json\] (\{.*\})/.exec(out);
      if (!m) reject(new Error(`play printed no result: ${out}`));
      else resolve({ ...(JSON.parse(m[1]) as PlayResult), spawnedAt });
    });
  });
}

export async function realtimeOutput(seconds: number): Promise<BenchSection> {
  const rows: (string | number)[][] = [];
  const patch = 'bench/patches/canonical-64.json';
  const configs = [
    { period: 256, block: 64, ring: undefined as number | undefined }, // default: period + two blocks = 6 blocks
    { period: 256, block: 64, ring: 5 }, // the floor: period + one block
    { period: 256, block: 64, ring: 8 },
    { period: 128, block: 64, ring: 6 },
  ];
  for (const c of configs) {
    const jack = await startJack(c.period);
    try {
      for (const load of [false, true]) {
        const busy = load ? spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }) : undefined;
        try {
          const args = ['--block', String(c.block), '--buffer', String(c.period), ...(c.ring ? ['--ring', String(c.ring)] : [])];
          const r = await play(patch, seconds, args);
          rows.push([c.period, c.block, c.ring ?? 'auto', r.ringMs.toFixed(2), r.deviceMs.toFixed(2), r.latencyMs.toFixed(2), load ? 'busy' : 'idle', r.underruns, r.load.map((l) => `${(l * 100).toFixed(0)}%`).join('/')]);
        } finally {
          if (busy) await stop(busy);
        }
      }
    } finally {
      await stop(jack);
    }
  }
  return {
    name: 'real-time output, JACK dummy driver 48 kHz, canonical workload 64 voices',
    settings: { seconds, patch, note: 'latency = output ring fill + JACK period; busy = a node busy loop on the other core' },
    columns: ['period', 'block', 'ring blocks', 'ring ms', 'device ms', 'latency ms', 'other core', 'underruns', 'load/worker'],
    rows,
  };
}
