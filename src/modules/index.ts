import type { AnyModule } from '../sdk';
import { Adsr } from './adsr';
import { Attenuverter } from './attenuverter';
import { Clock } from './clock';
import { Compare } from './compare';
import { Crossfade } from './crossfade';
import { Chorus } from './chorus';
import { Delay } from './delay';
import { FmOp } from './fm-op';
import { Hat } from './hat';
import { Kick } from './kick';
import { Snare } from './snare';
import { Distortion } from './distortion';
import { Reverb } from './reverb';
import { Logic } from './logic';
import { Mult } from './mult';
import { Merge } from './merge';
import { Split } from './split';
import { Sum } from './sum';
import { MidiCv } from './midi-cv';
import { Meter } from './meter';
import { Scope } from './scope';
import { Wavetable } from './wavetable';
import { Quantizer } from './quantizer';
import { RandomModule } from './random';
import { SampleHold } from './sample-hold';
import { Seq } from './seq';
import { Slew } from './slew';
import { Fault } from './fault';
import { Lfo } from './lfo';
import { Mixer } from './mixer';
import { Noise } from './noise';
import { Output } from './output';
import { Vca } from './vca';
import { Vcf } from './vcf';
import { Vco } from './vco';

/** Every module type, in the order the reference lists them. Type names are append-only. */
export const MODULES: readonly AnyModule[] = [
  Vco, Lfo, Noise, Vcf, Adsr, Vca, Mixer, Output, Fault,
  Clock, Seq, Quantizer, SampleHold, RandomModule, Slew, Attenuverter, Mult, Logic, Compare, Crossfade, Delay, Reverb, Distortion, Kick, Snare, Hat, FmOp, Chorus,
  Merge, Split, Sum, MidiCv, Meter, Scope, Wavetable,
];

const byType = new Map<string, AnyModule>(MODULES.map((m) => [m.type, m]));

/**
 * User module types (`user/NAME`, loaded from --module-dir by src/user-modules/), registered on each
 * thread that runs or compiles them. Never the name of a built-in. Control side and worker start-up
 * only, never on the audio path.
 */
const userTypes = new Map<string, AnyModule>();

export function findModule(type: string): AnyModule | undefined {
  return byType.get(type) ?? userTypes.get(type);
}

/** True for a built-in module type (one of MODULES), false for user module types and unknown names. */
export function isBuiltIn(type: string): boolean {
  return byType.has(type);
}

/** Registers (or, on a hot reload, replaces) a user module type. Throws on a built-in's name. */
export function registerUserModule(desc: AnyModule): void {
  if (byType.has(desc.type)) throw new Error(`"${desc.type}" is a built-in module type`);
  userTypes.set(desc.type, desc);
}

/** Every module type: the built-ins, then the user module types in the order they were loaded. */
export function allModules(): readonly AnyModule[] {
  return userTypes.size === 0 ? MODULES : [...MODULES, ...userTypes.values()];
}

/** The one-line problem for a patch or command naming a type nobody registered. */
export function unknownTypeMessage(type: string): string {
  if (type.startsWith('user/')) {
    const loaded = [...userTypes.keys()];
    return `unknown module type "${type}": user module types are loaded from --module-dir DIR (${loaded.length ? `loaded: ${loaded.join(', ')}` : 'none loaded'})`;
  }
  return `unknown module type "${type}" (known: ${allModules().map((d) => d.type).join(', ')})`;
}
