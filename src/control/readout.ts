/**
 * Reading what an analysis module (meter, scope) measures, as OSC reply arguments. Its readout area in
 * shared memory is written by its worker while the control thread reads it: an area with a generation
 * counter is a seqlock (odd while being written); the copy is retried until one was taken with the
 * same even generation before and after. Control thread.
 */
import type { Engine } from '../engine/engine';
import type { PatchModule } from '../plan/patch';
import { findModule } from '../modules';
import { CommandError } from './command-error';

const ATTEMPTS = 100;

export function readModuleValues(engine: Engine, m: PatchModule): (string | number)[] {
  const desc = findModule(m.type)!;
  if (!desc.readout) throw new CommandError(`module "${m.id}" (${m.type}) has nothing to read; use a meter or scope`);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const v = engine.readModule(m.id);
    if (!v) throw new CommandError(`module "${m.id}" is not playing yet; retry`);
    if (!desc.readout.generation) return desc.readout.format(v);
    const after = engine.readModule(m.id)?.[0];
    if (v[0] % 2 === 0 && after === v[0]) return desc.readout.format(v);
  }
  throw new CommandError(`module "${m.id}" kept changing while read; retry`);
}
