import { SingleBar, Presets } from 'cli-progress';
import { Engine } from '../engine/engine';
import { writeWav, type WavFormat } from '../io/wav';
import { loadPatchFile } from './load';
import { readSessionLog } from '../control/session-log';
import { replaySession } from '../io/session-replay';
import { renderWithEvents } from '../io/event-render';
import { midiEvents } from './midi';

export interface RenderCliOptions {
  out: string;
  seconds: number;
  sampleRate: number;
  block: number;
  format: WavFormat;
  workers: number;
  session?: string;
  midi?: string;
  /** False when --seconds was left at its default (with --midi, the file's length decides). */
  secondsGiven?: boolean;
  quiet?: boolean;
}

/** Release tail rendered after the last MIDI event when --seconds is not given. */
const MIDI_TAIL_S = 2;

/** A progress bar only on an interactive terminal (not in pipes, not in CI). */
export function wantsProgressBar(quiet?: boolean): boolean {
  return !quiet && process.stderr.isTTY === true && !process.env.CI;
}

export async function renderCommand(path: string, opts: RenderCliOptions): Promise<void> {
  const patch = loadPatchFile(path);
  if (opts.session) return renderSession(opts.session, opts);
  const midi = opts.midi ? midiEvents(opts.midi, patch, path, opts.sampleRate) : undefined;
  if (midi && !opts.secondsGiven) opts = { ...opts, seconds: Math.ceil((midi.seconds + MIDI_TAIL_S) * 10) / 10 };
  const engine = await Engine.start({ workers: opts.workers });
  const plan = await engine.load(patch, { sampleRate: opts.sampleRate, blockSize: opts.block });
  const frames = Math.round(opts.seconds * opts.sampleRate);
  const bar = wantsProgressBar(opts.quiet)
    ? new SingleBar({ format: 'rendering [{bar}] {percentage}% | {value}/{total} s', hideCursor: true, stream: process.stderr }, Presets.shades_classic)
    : undefined;
  bar?.start(Math.round(opts.seconds * 10) / 10, 0);
  let result;
  try {
    const progress = bar ? (done: number) => bar.update(Math.round((done / opts.sampleRate) * 10) / 10) : undefined;
    result = midi ? renderWithEvents(engine, frames, midi.events, progress) : engine.render(frames, progress);
  } finally {
    bar?.stop();
    await engine.close();
  }
  writeWav(opts.out, [result.left, result.right], opts.sampleRate, opts.format);
  if (!opts.quiet) {
    const ratio = opts.seconds / result.seconds;
    console.log(
      `wrote ${opts.out}: ${opts.seconds} s, ${opts.sampleRate} Hz, stereo, ${opts.format === '32f' ? '32-bit float' : '16-bit PCM'}` +
        ` — rendered in ${result.seconds.toFixed(3)} s, ${ratio.toFixed(1)}× real time (block ${opts.block}, ` +
        `${opts.workers === 0 ? 'single-threaded' : `${plan.workers} of ${opts.workers} workers`})`,
    );
  }
}

/** `render PATCH --session FILE`: replays a recorded session (its own start patch and every change). */
async function renderSession(file: string, opts: RenderCliOptions): Promise<void> {
  const events = readSessionLog(file);
  const start = events[0];
  const sr = start.type === 'start' ? start.sampleRate : opts.sampleRate;
  const explicit = process.argv.includes('--seconds') || process.argv.includes('-s');
  const r = await replaySession(events, { workers: opts.workers, frames: explicit ? Math.round(opts.seconds * sr) : undefined });
  writeWav(opts.out, [r.left, r.right], sr, opts.format);
  if (!opts.quiet) console.log(`wrote ${opts.out}: session ${file} re-rendered, ${(r.frames / sr).toFixed(3)} s in ${r.seconds.toFixed(3)} s`);
}
