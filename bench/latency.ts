/**
 * Output latency and underruns on the low-latency servers: the canonical workload (16 and 64 voices)
 * played by real `modsynth play` children (under SCHED_FIFO where allowed) on JACK's dummy driver and
 * on PipeWire's JACK interface (`pw-jack`, a private PipeWire with a null sink, the graph's quantum
 * forced), for each period (JACK `-p`, PipeWire quantum) and ring setting, with the other core idle and
 * busy (a normal-priority node busy loop). Latency is what `play` reports: the output ring's fill plus
 * the device latency the backend reports. Then the time from `modsynth play` starting to the engine's
 * first frame at the device (median of N starts; JACK dummy, 256 frames).
 *
 * `npm run bench -- --only latency [--seconds S] [--starts N]`. Each run takes S seconds plus the
 * engine's start (3–8 s on the 2-core machine kind): at 60 s the whole table is about 40 minutes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { play } from './realtime';
import type { BenchSection } from './report';
import { median } from './report';
import { startJack, startPipewire, type ServerHandle } from '../test/support/audio-servers';

const BLOCK = 64;

interface Server {
  name: string;
  start(period: number): Promise<ServerHandle>;
  wrapper: string[];
}

export const SERVERS: Server[] = [
  { name: 'JACK dummy', start: (p) => startJack(p), wrapper: [] },
  { name: 'PipeWire (pw-jack)', start: (p) => startPipewire(p), wrapper: ['pw-jack'] },
];

async function stopBusy(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  await new Promise<void>((r) => {
    p.once('exit', () => r());
    p.kill('SIGTERM');
  });
}

/**
 * Ring settings per period: the default (period + two blocks), period + one block, and the floor: one
 * render quantum (node-web-audio-api's worklet takes 128 frames per call, so the ring cannot be
 * smaller) or one period if that is longer.
 */
export function rings(period: number): (number | undefined)[] {
  const floor = Math.ceil(Math.max(128, period) / BLOCK);
  return [undefined, Math.ceil(period / BLOCK) + 1, floor].filter((r, i, all) => all.indexOf(r) === i);
}

export async function latencyTable(seconds: number, periods = [128, 256], voicesList = [16, 64], servers = SERVERS, ringsOf = rings): Promise<BenchSection> {
  const rows: (string | number)[][] = [];
  for (const server of servers) {
    for (const period of periods) {
      const handle = await server.start(period);
      try {
        for (const voices of voicesList) {
          for (const ring of ringsOf(period)) {
            for (const busy of [false, true]) {
              const hog = busy ? spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }) : undefined;
              try {
                const args = ['--block', String(BLOCK), '--buffer', String(period), '--no-osc', ...(ring ? ['--ring', String(ring)] : [])];
                const r = await play(`bench/patches/canonical-${voices}.json`, seconds, args, handle.env, server.wrapper);
                rows.push([server.name, period, voices, ring ?? `auto (${Math.ceil(period / BLOCK) + 2})`, r.ringMs.toFixed(2), r.deviceMs.toFixed(2), r.latencyMs.toFixed(2), busy ? 'busy' : 'idle', r.underruns, r.load.map((l) => `${(l * 100).toFixed(0)}%`).join('/')]);
              } finally {
                if (hog) await stopBusy(hog);
              }
            }
          }
        }
      } finally {
        await handle.stop();
      }
    }
  }
  return {
    name: 'output latency and underruns: JACK dummy and PipeWire (pw-jack), canonical workload',
    settings: { seconds, block: BLOCK, sampleRate: 48000, note: 'latency = output ring fill + device latency the backend reports; busy = a normal-priority node busy loop (the engine runs at SCHED_FIFO 5)' },
    columns: ['server', 'period', 'voices', 'ring blocks', 'ring ms', 'device ms', 'latency ms', 'other core', 'underruns', 'load/worker'],
    rows,
  };
}

/** Time from spawning `modsynth play examples/demo.json` to its frame 0 at the device, `starts` times. */
export async function startTime(starts: number): Promise<BenchSection> {
  const jack = await startJack(256);
  const ms: number[] = [];
  try {
    for (let i = 0; i < starts; i++) {
      const r = await play('examples/demo.json', 0.5, ['--no-osc'], jack.env);
      ms.push(r.firstFrameAt - r.spawnedAt);
    }
  } finally {
    await jack.stop();
  }
  ms.sort((a, b) => a - b);
  return {
    name: 'time from `modsynth play` to the first frame at the device (JACK dummy, 256 frames)',
    settings: { starts, patch: 'examples/demo.json', note: 'spawn of the command to the moment the device took frame 0 of the patch (after its 100 ms of start-up silence)' },
    columns: ['starts', 'median ms', 'min ms', 'max ms'],
    rows: [[starts, median(ms).toFixed(0), ms[0].toFixed(0), ms[ms.length - 1].toFixed(0)]],
  };
}

export async function latency(seconds: number, starts: number): Promise<BenchSection[]> {
  return [await latencyTable(seconds), await startTime(starts)];
}
