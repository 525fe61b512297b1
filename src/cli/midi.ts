/** MIDI files for `render --midi` and `play --midi`: which modules play them, with one-line errors. */
import type { Patch } from '../plan/patch';
import type { ModuleEvent } from '../io/event-render';
import { readMidiFile, type MidiSequence } from '../midi/file';
import { findModule } from '../modules';
import { UsageError } from './errors';

/**
 * A MIDI file for a patch: its events, and the ids of the modules that play them (every midi-cv; each
 * filters by its own `channel` param). A UsageError when the patch has none or the file is not MIDI.
 */
export function loadMidiFor(file: string, patch: Patch, patchPath: string, sampleRate: number): MidiSequence & { targets: string[] } {
  const targets = patch.modules.filter((m) => findModule(m.type)?.midi).map((m) => m.id);
  if (targets.length === 0) throw new UsageError(`${patchPath} has no midi-cv module to play ${file}`);
  try {
    return { ...readMidiFile(file, sampleRate), targets };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The events of a MIDI file addressed to every module that plays it. */
export function midiEvents(file: string, patch: Patch, patchPath: string, sampleRate: number): { events: ModuleEvent[]; seconds: number } {
  const seq = loadMidiFor(file, patch, patchPath, sampleRate);
  return { events: seq.events.flatMap((e) => seq.targets.map((id) => ({ frame: e.frame, id, data: e.data }))), seconds: seq.seconds };
}
