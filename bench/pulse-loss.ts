/**
 * Audio lost downstream of the engine on the ALSA → PulseAudio path: `modsynth play examples/sine.json`
 * for 8 s into a private PulseAudio null sink, recorded from its monitor with parecord, with the other
 * core idle and busy, for the default buffer and smaller ones. Counts the gaps (runs of 5 ms windows
 * below 0.05 rms inside the tone) that the engine's own underrun counter cannot see.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { play } from './realtime';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchSection } from './report';
import { record, startPulse } from '../test/support/audio-servers';
import { readWav } from '../src/io/wav';

/** Gaps inside the tone: maximal runs of silent 5 ms windows; their count and the longest, ms. */
export function gaps(file: string): { gaps: number; longestMs: number; toneS: number } {
  const w = readWav(file);
  const x = w.channels[0], win = Math.round(w.sampleRate * 0.005);
  let first = -1, last = -1;
  for (let i = 0; i < x.length; i++) {
    if (Math.abs(x[i]) > 0.05) {
      if (first < 0) first = i;
      last = i;
    }
  }
  if (first < 0) return { gaps: -1, longestMs: 0, toneS: 0 };
  let count = 0, run = 0, longest = 0;
  for (let i = first; i + win < last; i += win) {
    let s = 0;
    for (let k = i; k < i + win; k++) s += x[k] * x[k];
    if (Math.sqrt(s / win) < 0.05) run++;
    else {
      if (run > 0) count++;
      longest = Math.max(longest, run);
      run = 0;
    }
  }
  return { gaps: count, longestMs: longest * 5, toneS: (last - first) / w.sampleRate };
}

async function stopBusy(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null) return;
  await new Promise<void>((r) => {
    p.once('exit', () => r());
    p.kill('SIGKILL');
  });
}

export async function pulseLoss(seconds: number, repeats: number): Promise<BenchSection> {
  const tmp = mkdtempSync(join(tmpdir(), 'modsynth-pulse-loss-'));
  const rows: (string | number)[][] = [];
  for (const buffer of [undefined, 2048, 1024, 256]) {
    for (const busy of [false, true]) {
      let lossy = 0, total = 0, longest = 0, underruns = 0, latency = 0;
      for (let r = 0; r < repeats; r++) {
        const pulse = await startPulse();
        const load = busy ? spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }) : undefined;
        try {
          const cap = join(tmp, `cap-${buffer ?? 'default'}-${busy}-${r}.wav`);
          const rec = record('parecord', [`--device=${pulse.sink}.monitor`, '--file-format=wav', '--rate=48000', '--channels=2', cap], pulse.env);
          await new Promise((res) => setTimeout(res, 300));
          const res = await play('examples/sine.json', seconds, ['--no-osc', ...(buffer ? ['--buffer', String(buffer)] : [])], pulse.env);
          await new Promise((w) => setTimeout(w, 500));
          await rec.stop();
          const g = gaps(cap);
          if (g.gaps !== 0) lossy++;
          total += Math.max(0, g.gaps);
          longest = Math.max(longest, g.longestMs);
          underruns += res.underruns;
          latency = res.latencyMs;
        } finally {
          await stopBusy(load);
          await pulse.stop();
        }
      }
      rows.push([buffer ?? 'default (4096)', latency.toFixed(1), busy ? 'busy' : 'idle', `${repeats - lossy} of ${repeats}`, total, longest, underruns]);
    }
  }
  return {
    name: `ALSA → PulseAudio null sink: audio lost downstream of the engine (${seconds} s sine per run)`,
    settings: { seconds, repeats, note: 'gaps: runs of silent 5 ms windows inside the tone as recorded by parecord; busy = a node busy loop' },
    columns: ['buffer', 'latency ms', 'other core', 'runs without loss', 'gaps', 'longest gap ms', 'engine underruns'],
    rows,
  };
}
