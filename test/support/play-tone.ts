/**
 * Helpers of the real-time output tests: run `modsynth play` as a real child process (in its own
 * process group, bounded in time), and measure the tone a recorder captured at the audio server
 * (pitch, level, duration, silent gaps), and compare `--record` with `render` sample for sample.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BIN, ROOT, modsynth } from './cli';
import { killGroup, spawnGroup } from './group';
import { readWav } from '../../src/io/wav';
import { zeroCrossingHz, rms } from './analysis';

export const SR = 48000;

export interface PlayRun {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `modsynth play ARGS` asynchronously (a recorder keeps running meanwhile). `onStdout` sees the
 * output so far each time more arrives. `wrapper` runs it through a launcher (e.g. `['pw-jack']`).
 */
export function play(args: string[], env: Record<string, string>, onStdout?: (soFar: string) => void, wrapper: string[] = []): Promise<PlayRun> {
  return new Promise((resolve) => {
    const [cmd, ...pre] = [...wrapper, process.execPath];
    const p = spawnGroup(cmd, [...pre, BIN, 'play', ...args], { cwd: ROOT, env: { ...process.env, CI: 'true', ...env } });
    // Bounded: a play that never ends fails its test instead of holding the whole run.
    const limit = setTimeout(() => killGroup(p, 'SIGKILL'), 120_000);
    p.on('exit', () => clearTimeout(limit));
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
      onStdout?.(stdout);
    });
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

export interface ToneReport {
  hz: number;
  rmsLevel: number;
  seconds: number;
  gaps: number;
}

/** The tone inside a capture: from the first to the last sample above 0.05, 5 ms windows. */
/** First and last sample above 0.05 (the tone's extent); first is -1 when there is none. */
function toneExtent(x: Float32Array): { first: number; last: number } {
  let first = -1, last = -1;
  for (let i = 0; i < x.length; i++) {
    if (Math.abs(x[i]) > 0.05) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return { first, last };
}

export function analyse(file: string): ToneReport {
  const w = readWav(file);
  const x = w.channels[0];
  const { first, last } = toneExtent(x);
  assert.ok(first >= 0, `${file}: no sound arrived`);
  const win = Math.round(w.sampleRate * 0.005);
  let gaps = 0;
  for (let i = first; i + win < last; i += win) if (rms(x, i, i + win) < 0.05) gaps++;
  return { hz: zeroCrossingHz(x, w.sampleRate, first, last), rmsLevel: rms(x, first, last), seconds: (last - first) / w.sampleRate, gaps };
}

/** examples/sine.json as it must arrive: 440 Hz ± 1 Hz, −9.03 dBFS rms, `seconds` long, no gap. */
export function checkTone(r: ToneReport, seconds: number): void {
  console.log(`# tone: ${JSON.stringify(r)}`);
  assert.ok(Math.abs(r.hz - 440) <= 1, `pitch ${r.hz.toFixed(3)} Hz`);
  assert.ok(Math.abs(r.rmsLevel - 0.5 / Math.SQRT2) < 0.01, `level ${r.rmsLevel.toFixed(4)} rms (expected 0.3536, −9.03 dBFS)`);
  assert.ok(Math.abs(r.seconds - seconds) < 0.05, `duration ${r.seconds.toFixed(3)} s`);
  assert.equal(r.gaps, 0, `${r.gaps} silent 5 ms windows inside the tone`);
}

/** The `--record` file equals `render examples/sine.json` of the same length and block, bit for bit. */
export function sameAsRender(tmp: string, recorded: string, frames: number, block: number): void {
  const ref = join(tmp, `ref-${frames}-${block}.wav`);
  assert.equal(modsynth(['render', 'examples/sine.json', '--out', ref, '--seconds', String(frames / SR), '--format', '32f', '--block', String(block), '-q']).status, 0);
  const a = readWav(recorded), b = readWav(ref);
  assert.equal(a.channels[0].length, frames);
  assert.deepEqual(a.channels[0], b.channels[0]);
  assert.deepEqual(a.channels[1], b.channels[1]);
}

export interface ServerToneReport extends ToneReport {
  /** Runs of ≥ 16 exact zeros inside the tone: periods the audio server played as silence. */
  lostPeriods: number;
  /** Pitch over the longest stretch without a lost period (zero crossings). */
  cleanHz: number;
  /** Length of that stretch, seconds. */
  cleanSeconds: number;
}

/**
 * The tone inside a capture taken at an audio server's sink, telling what the engine sent from what
 * the server's graph dropped: a server that misses a cycle plays that whole period as exact zeros
 * (a 440 Hz sine never holds 0.0 for 16 samples), which `lostPeriods` counts, and the pitch is read
 * over the longest stretch between such runs, where it depends on the samples alone.
 */
export function analyseAtServer(file: string): ServerToneReport {
  const base = analyse(file);
  const w = readWav(file);
  const x = w.channels[0];
  const { first, last } = toneExtent(x);
  let lost = 0, run = 0, segStart = first, bestFrom = first, bestTo = first;
  for (let i = first; i <= last + 1; i++) {
    if (i <= last && x[i] === 0) {
      run++;
      continue;
    }
    if (run >= 16 || i > last) {
      if (run >= 16) lost++;
      const segEnd = i - run;
      if (segEnd - segStart > bestTo - bestFrom) [bestFrom, bestTo] = [segStart, segEnd];
      segStart = i;
    }
    run = 0;
  }
  return { ...base, lostPeriods: lost, cleanHz: zeroCrossingHz(x, w.sampleRate, bestFrom, bestTo), cleanSeconds: (bestTo - bestFrom) / w.sampleRate };
}
