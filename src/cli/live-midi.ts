/**
 * MIDI into a live engine: a MIDI file queued on its exact frames and live input routed to every
 * midi-cv module. Both are checked before anything starts, so a bad file or a machine without MIDI is
 * a one-line error. Control thread (live input arrives as libuv callbacks, never on the audio path).
 */
import type { Patch } from '../plan/patch';
import type { LiveSession } from '../control/session';
import type { MidiSequence } from '../midi/file';
import { openLiveMidi, type LiveMidiInput } from '../midi/live-input';
import { loadMidiFor } from './midi';
import { UsageError } from './errors';
import type { PlayOptions } from './live-options';

export class LiveMidi {
  private session: LiveSession | undefined;
  private input: LiveMidiInput | undefined;
  private constructor(
    private readonly file: (MidiSequence & { targets: string[] }) | undefined,
    private readonly fileName: string | undefined,
  ) {}

  /** Loads `--midi` and opens `--midi-in`; a UsageError names what is wrong. */
  static open(opts: PlayOptions, patch: Patch, patchPath: string): LiveMidi {
    const file = opts.midi ? loadMidiFor(opts.midi, patch, patchPath, opts.sampleRate) : undefined;
    const midi = new LiveMidi(file, opts.midi);
    if (opts.midiIn !== undefined && opts.midiIn !== false) {
      try {
        midi.input = openLiveMidi(opts.midiIn === true ? '' : opts.midiIn, (s, d1, d2) => midi.toModules(s, d1, d2));
      } catch (e) {
        throw new UsageError(`--midi-in: ${(e as Error).message}`);
      }
    }
    return midi;
  }

  /** `--seconds` as given, or the MIDI file plus 2 s when only the file bounds the run. */
  seconds(given: number | undefined): number | undefined {
    return given === undefined && this.file ? Math.ceil((this.file.seconds + 2) * 10) / 10 : given;
  }

  /** Starts routing: live input goes to the session's midi-cv modules, the file is queued from `baseFrame`. */
  attach(session: LiveSession, baseFrame: number, say: (line: string) => void): void {
    this.session = session;
    if (this.input) say(`MIDI in: ${this.input.name} → ${session.midiModules().join(', ') || '(no midi-cv module yet)'}`);
    if (this.file) {
      // Frame 0 of the file is the first frame a change sent now can reach.
      session.queueMidi(this.file.events.map((e) => ({ frame: baseFrame + e.frame, data: e.data })), this.file.targets);
      say(`MIDI file: ${this.fileName} (${this.file.events.length} events, ${this.file.seconds.toFixed(1)} s) → ${this.file.targets.join(', ')}`);
    }
  }

  close(): void {
    this.input?.close();
  }

  private toModules(status: number, d1: number, d2: number): void {
    const s = this.session;
    if (!s) return;
    for (const id of s.midiModules()) {
      try {
        s.sendMidi(id, status, d1, d2);
      } catch {
        // A full queue drops the message (counted by the engine as a dropped command).
      }
    }
  }
}
