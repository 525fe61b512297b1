/** The checks of a MIDI message sent to a module over OSC. No engine, no I/O. */
import type { PatchModule } from '../plan/patch';
import { packMidi } from '../midi/message';
import { findModule } from '../modules';
import { CommandError } from './command-error';

/** The packed message, after checking that `m` takes MIDI and the bytes are a channel message. */
export function checkedMidi(m: PatchModule, status: number, data1: number, data2: number): number {
  if (!findModule(m.type)!.midi) throw new CommandError(`module "${m.id}" (${m.type}) does not take MIDI; use a midi-cv module`);
  if (!Number.isInteger(status) || status < 0x80 || status > 0xef) throw new CommandError(`status ${status} is not a MIDI channel message (128..239)`);
  if (!Number.isInteger(data1) || !Number.isInteger(data2) || data1 < 0 || data1 > 127 || data2 < 0 || data2 > 127) throw new CommandError('MIDI data bytes are whole numbers 0..127');
  return packMidi(status, data1, data2);
}
