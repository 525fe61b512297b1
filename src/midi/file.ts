/**
 * Standard MIDI files (format 0 and 1, metrical or SMPTE time) to timed events: every channel message
 * of every track, at its absolute frame, in file order (ties keep track order, then event order).
 * Parsing is done by the `midi-file` package; the tempo map is ours. Not an audio-path API.
 */
import { readFileSync } from 'node:fs';
import { parseMidi } from 'midi-file';
import { packMidi } from './message';

export interface TimedMidi {
  /** Absolute frame at the render's sample rate. */
  frame: number;
  /** packMidi(status, data1, data2). */
  data: number;
}

export interface MidiSequence {
  events: TimedMidi[];
  /** Time of the last event (including end of track), in seconds. */
  seconds: number;
}

type AnyEvent = { deltaTime: number; type: string; channel?: number; [k: string]: unknown };

/** The channel message bytes of a parsed event, or undefined for meta and system events. */
function bytesOf(e: AnyEvent): [number, number, number] | undefined {
  const ch = (e.channel ?? 0) & 0x0f;
  const n = (k: string) => Number(e[k] ?? 0);
  switch (e.type) {
    case 'noteOn':
      return [0x90 | ch, n('noteNumber'), n('velocity')];
    case 'noteOff':
      return [0x80 | ch, n('noteNumber'), n('velocity')];
    case 'noteAftertouch':
      return [0xa0 | ch, n('noteNumber'), n('amount')];
    case 'controller':
      return [0xb0 | ch, n('controllerType'), n('value')];
    case 'programChange':
      return [0xc0 | ch, n('programNumber'), 0];
    case 'channelAftertouch':
      return [0xd0 | ch, n('amount'), 0];
    case 'pitchBend': {
      const v = n('value') + 8192; // midi-file gives −8192..8191
      return [0xe0 | ch, v & 0x7f, (v >> 7) & 0x7f];
    }
    default:
      return undefined;
  }
}

/** Parses MIDI file bytes. Throws an Error naming the file and the problem. */
export function parseMidiSequence(bytes: Uint8Array, sampleRate: number, name = 'MIDI file'): MidiSequence {
  let parsed: ReturnType<typeof parseMidi>;
  try {
    parsed = parseMidi(bytes);
  } catch (e) {
    throw new Error(`${name}: not a standard MIDI file (${(e as Error).message})`);
  }
  const { header } = parsed;
  if (header.format === 2) throw new Error(`${name}: format 2 (independent sequences) is not supported; use format 0 or 1`);
  // Every event with its absolute tick, tempo changes collected from all tracks (format 1 keeps them
  // in the first track, but a tempo anywhere applies to all).
  const all: { tick: number; track: number; index: number; e: AnyEvent }[] = [];
  parsed.tracks.forEach((track, t) => {
    let tick = 0;
    (track as unknown as AnyEvent[]).forEach((e, index) => {
      tick += e.deltaTime;
      all.push({ tick, track: t, index, e });
    });
  });
  all.sort((a, b) => a.tick - b.tick || a.track - b.track || a.index - b.index);
  let secondsAt: (tick: number) => number;
  if (header.ticksPerBeat) {
    const tpb = header.ticksPerBeat;
    // Piecewise-linear tick → seconds map (120 BPM until the first tempo event).
    const segments: { tick: number; seconds: number; spt: number }[] = [{ tick: 0, seconds: 0, spt: 0.5 / tpb }];
    for (const x of all) {
      if (x.e.type !== 'setTempo') continue;
      const last = segments[segments.length - 1];
      const seconds = last.seconds + (x.tick - last.tick) * last.spt;
      segments.push({ tick: x.tick, seconds, spt: Number(x.e.microsecondsPerBeat) / 1e6 / tpb });
    }
    secondsAt = (tick) => {
      let s = segments[0];
      for (const seg of segments) if (seg.tick <= tick) s = seg;
      return s.seconds + (tick - s.tick) * s.spt;
    };
  } else {
    const fps = header.framesPerSecond ?? 30, tpf = header.ticksPerFrame ?? 1;
    secondsAt = (tick) => tick / (fps * tpf);
  }
  const events: TimedMidi[] = [];
  let seconds = 0;
  for (const x of all) {
    const at = secondsAt(x.tick);
    seconds = Math.max(seconds, at);
    const b = bytesOf(x.e);
    if (b) events.push({ frame: Math.round(at * sampleRate), data: packMidi(b[0], b[1], b[2]) });
  }
  return { events, seconds };
}

export function readMidiFile(path: string, sampleRate: number): MidiSequence {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read MIDI file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseMidiSequence(bytes, sampleRate, path);
}
