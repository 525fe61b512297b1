import { SingleBar, Presets } from 'cli-progress';
import { Engine } from '../engine/engine';
import type { WavFormat } from '../io/wav-header';
import { WavWriter } from '../io/wav-writer';
import { loadPatchFile } from './load';
import { readSessionLog, SessionLogError } from '../control/session-log-read';
import { replaySession } from '../control/session-replay';
import { streamWithEvents, type ModuleEvent } from '../io/event-render';
import type { BlockSink } from '../engine/block-sink';
import { StopSignals } from './stop-signals';
import type { StreamResult } from '../engine/local-backend';
import { midiEvents } from './midi';
import { UsageError } from './errors';

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

/** Refuses, before anything is rendered, a length that no WAV file can hold (4 GiB of samples). */
function checkLength(frames: number, opts: RenderCliOptions, sampleRate: number): void {
  const max = WavWriter.maxFrames(2, opts.format);
  if (frames <= max) return;
  const kind = opts.format === '32f' ? '32-bit float' : '16-bit';
  throw new UsageError(`${(frames / sampleRate).toFixed(1)} s is too long for one WAV file: it holds at most 4 GiB, ${Math.floor(max / sampleRate)} s of stereo ${kind} at ${sampleRate} Hz`);
}

/**
 * Opens the output first (an unwritable path fails before anything is rendered), streams every block
 * into it and renames it into place only when complete: on any error the temp file is removed and the
 * final path is left as it was.
 */
async function withOutput<T>(opts: RenderCliOptions, sampleRate: number, frames: number | undefined, render: (writer: WavWriter) => Promise<T>): Promise<T> {
  const writer = WavWriter.open(opts.out, { sampleRate, channels: 2, format: opts.format, frames });
  try {
    const r = await render(writer);
    writer.close();
    return r;
  } catch (e) {
    writer.abort();
    throw e;
  }
}

export async function renderCommand(path: string, opts: RenderCliOptions): Promise<void> {
  const patch = loadPatchFile(path);
  if (opts.session) return renderSession(opts.session, opts);
  const midi = opts.midi ? midiEvents(opts.midi, patch, path, opts.sampleRate) : undefined;
  if (midi && !opts.secondsGiven) opts = { ...opts, seconds: Math.ceil((midi.seconds + MIDI_TAIL_S) * 10) / 10 };
  const frames = Math.round(opts.seconds * opts.sampleRate);
  checkLength(frames, opts, opts.sampleRate);
  let workersUsed = 0;
  const result = await withOutput(opts, opts.sampleRate, frames, async (writer): Promise<StreamResult> => {
    const engine = await Engine.start({ workers: opts.workers, warm: false }); // offline: no deadline, no warm-up
    const bar = wantsProgressBar(opts.quiet)
      ? new SingleBar({ format: 'rendering [{bar}] {percentage}% | {value}/{total} s', hideCursor: true, stream: process.stderr }, Presets.shades_classic)
      : undefined;
    const stop = new StopSignals();
    try {
      const plan = await engine.load(patch, { sampleRate: opts.sampleRate, blockSize: opts.block });
      workersUsed = plan.workers;
      bar?.start(Math.round(opts.seconds * 10) / 10, 0);
      const progress = bar ? (done: number) => bar.update(Math.round((done / opts.sampleRate) * 10) / 10) : undefined;
      return await streamInChunks(engine, frames, midi?.events, writer, () => stop.check(`${opts.out} not written`), progress);
    } finally {
      stop.dispose();
      bar?.stop();
      await engine.close();
    }
  });
  if (!opts.quiet) {
    const ratio = opts.seconds / result.seconds;
    console.log(
      `wrote ${opts.out}: ${opts.seconds} s, ${opts.sampleRate} Hz, stereo, ${opts.format === '32f' ? '32-bit float' : '16-bit PCM'}` +
        ` — rendered in ${result.seconds.toFixed(3)} s, ${ratio.toFixed(1)}× real time (block ${opts.block}, ` +
        `${opts.workers === 0 ? 'single-threaded' : `${workersUsed} of ${opts.workers} workers`})`,
    );
  }
}

/**
 * Renders `frames` frames into `sink` in chunks of about a second of audio (whole blocks, so the
 * samples are those of one long render), calling `between` after each: a stop signal gets in there.
 * Without events the chunks are pieces of one run (Engine.streamInPieces); events (MIDI) are handed
 * to each chunk, a run of its own, with their frames made relative to it.
 */
async function streamInChunks(engine: Engine, frames: number, events: readonly ModuleEvent[] | undefined, sink: BlockSink, between: () => Promise<void>, progress?: (framesDone: number) => void): Promise<StreamResult> {
  const B = engine.blockSize();
  const chunk = Math.max(1, Math.round((engine.currentPlan?.sampleRate ?? 48000) / B)) * B;
  // Without events, one run in pieces: the workers are not stopped and restarted every second.
  if (!events) return engine.streamInPieces(frames, sink, chunk, between, progress);
  let done = 0, seconds = 0, k = 0;
  while (done < frames) {
    const n = Math.min(chunk, frames - done), at = done;
    const inner = progress ? (p: number) => progress(at + p) : undefined;
    const first = k;
    while (k < events.length && events[k].frame < at + n) k++;
    const due = events.slice(first, k).map((ev) => ({ ...ev, frame: ev.frame - at }));
    seconds += streamWithEvents(engine, n, due, sink, inner).seconds;
    done += n;
    if (done < frames) await between();
  }
  return { frames, seconds };
}

/** `render PATCH --session FILE`: replays a recorded session (its own start patch and every change). */
async function renderSession(file: string, opts: RenderCliOptions): Promise<void> {
  let events;
  try {
    events = readSessionLog(file);
  } catch (e) {
    if (e instanceof SessionLogError) throw new UsageError(e.message); // a bad input file: one line, exit 2
    throw e;
  }
  const start = events[0];
  const sr = start.type === 'start' ? start.sampleRate : opts.sampleRate;
  const explicit = process.argv.includes('--seconds') || process.argv.includes('-s');
  const frames = explicit ? Math.round(opts.seconds * sr) : undefined;
  const end = events.find((e) => e.type === 'end');
  // A log without its end line is from a session that did not stop cleanly (killed): its length is
  // unknown, so rendering "0 s" with exit 0 would hide that. Say so, unless --seconds gives the length.
  if (!end && frames === undefined) {
    const last = events.reduce((f, e) => ('frame' in e ? Math.max(f, e.frame) : f), 0);
    throw new UsageError(`${file}: the session log has no end line (the session did not stop cleanly); its last event is at ${(last / sr).toFixed(3)} s: give --seconds to render it`);
  }
  const total = frames ?? (end?.type === 'end' ? end.frame : 0);
  checkLength(total, opts, sr);
  const r = await withOutput(opts, sr, total, (sink) => replaySession(events, { workers: opts.workers, frames, sink }));
  if (!opts.quiet) console.log(`wrote ${opts.out}: session ${file} re-rendered, ${(r.frames / sr).toFixed(3)} s in ${r.seconds.toFixed(3)} s`);
}
