/**
 * Checks what a module file exports against the SDK's descriptor contract (module-api.ts), at run
 * time: a `.js` file has no compiler to check it, and a `.ts` file is only transpiled. Returns the first
 * problem as one line, naming the field and the reason, or undefined when the descriptor is sound.
 */
import { MAX_CHANNELS } from '../sdk/module-api';

const SIGNALS = ['audio', 'cv', 'pitch', 'gate', 'trigger'];
const UNITS = ['V', 'V/oct', 'Hz', 'Hz/V', 's', 'semitones', 'cents', 'ratio', 'gain', 'dB', 'count', 'enum'];
const CATEGORIES = ['source', 'filter', 'envelope', 'amplifier', 'modulation', 'sequencing', 'utility', 'effect', 'io', 'debug'];
/** Port and param names: patches write them as `module.port`, OSC as path segments. */
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** A user module's name (the part after `user/`). */
export const MODULE_NAME = /^[a-z][a-z0-9-]{0,63}$/;

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown) => typeof x === 'string' && x.length > 0;

export function descriptorProblem(d: unknown): string | undefined {
  if (!isObj(d)) return `the export is ${d === null ? 'null' : typeof d}, not a module descriptor (use defineModule)`;
  if (typeof d.type !== 'string') return 'type: missing (a name such as "wavefolder"; the module becomes user/wavefolder)';
  const name = d.type.startsWith('user/') ? d.type.slice(5) : d.type;
  if (!MODULE_NAME.test(name)) return `type: "${d.type}" is not a module name (lower-case letters, digits and "-", starting with a letter)`;
  if (!Number.isInteger(d.version) || (d.version as number) < 1) return 'version: must be an integer ≥ 1';
  if (!str(d.title)) return 'title: missing';
  if (!CATEGORIES.includes(d.category as string)) return `category: "${String(d.category)}" is not one of ${CATEGORIES.join(', ')}`;
  if (typeof d.doc !== 'string') return 'doc: missing';
  if (typeof d.create !== 'function') return 'create: missing (a function returning the kernel)';
  if (d.isolated !== undefined && d.isolated !== true && d.isolated !== false && d.isolated !== 'kind') return 'isolated: must be true, false or "kind"';
  if (d.blockSizeInvariant !== undefined && typeof d.blockSizeInvariant !== 'boolean') return 'blockSizeInvariant: must be a boolean';
  for (const part of ['params', 'inputs', 'outputs'] as const) if (!isObj(d[part])) return `${part}: missing (an object, {} for none)`;
  const params = d.params as Obj, inputs = d.inputs as Obj, outputs = d.outputs as Obj;
  for (const [n, p] of Object.entries(params)) {
    const at = `params.${n}`;
    if (!NAME.test(n)) return `${at}: not a valid name (a letter, then letters, digits or "_")`;
    if (!isObj(p)) return `${at}: not an object`;
    if (!UNITS.includes(p.unit as string)) return `${at}.unit: "${String(p.unit)}" is not one of ${UNITS.join(', ')}`;
    for (const k of ['min', 'max', 'default'] as const) if (typeof p[k] !== 'number' || !Number.isFinite(p[k])) return `${at}.${k}: must be a finite number`;
    const min = p.min as number, max = p.max as number, def = p.default as number;
    if (min > max) return `${at}: min ${min} is above max ${max}`;
    if (def < min || def > max) return `${at}.default: ${def} is outside [${min}, ${max}]`;
    if (typeof p.doc !== 'string' || p.doc.length === 0) return `${at}.doc: missing`;
    if (p.unit === 'enum' && (!Array.isArray(p.choices) || p.choices.length !== max - min + 1)) return `${at}.choices: an enum param names each of its ${max - min + 1} values`;
  }
  for (const [part, specs] of [['inputs', inputs], ['outputs', outputs]] as const) {
    for (const [n, s] of Object.entries(specs)) {
      const at = `${part}.${n}`;
      if (!NAME.test(n)) return `${at}: not a valid name (a letter, then letters, digits or "_")`;
      if (!isObj(s)) return `${at}: not an object`;
      if (!SIGNALS.includes(s.signal as string)) return `${at}.signal: "${String(s.signal)}" is not one of ${SIGNALS.join(', ')}`;
      if (typeof s.doc !== 'string') return `${at}.doc: missing`;
      if (part === 'inputs' && s.normal !== undefined && (typeof s.normal !== 'number' || !Number.isFinite(s.normal))) return `${at}.normal: must be a finite number`;
      if (part === 'inputs' && s.polyRead !== undefined && s.polyRead !== 'sum' && s.polyRead !== 'first') return `${at}.polyRead: must be "sum" or "first"`;
    }
  }
  if (Object.keys(outputs).length === 0) return 'outputs: a module has at least one output';
  if (d.poly !== undefined) {
    if (!Array.isArray(d.poly) || d.poly.length === 0) return 'poly: must be a non-empty list of input names';
    for (const n of d.poly) if (typeof n !== 'string' || !(n in inputs)) return `poly: "${String(n)}" is not an input`;
  }
  if (d.channels !== undefined && typeof d.channels !== 'function') return 'channels: must be a function';
  if (d.poly !== undefined && d.channels !== undefined) return 'poly and channels: a module is polyphonic one way only';
  if (typeof d.channels === 'function') {
    let counts: unknown;
    try {
      counts = (d.channels as (i: number[], p: Obj) => unknown)(Object.keys(inputs).map(() => 1), Object.fromEntries(Object.entries(params).map(([n, p]) => [n, (p as Obj).default])));
    } catch (e) {
      return `channels: threw ${(e as Error)?.message ?? String(e)}`;
    }
    if (!Array.isArray(counts) || counts.length !== Object.keys(outputs).length || counts.some((c) => !Number.isInteger(c) || c < 1 || c > MAX_CHANNELS))
      return `channels: must return one count in 1..${MAX_CHANNELS} per output`;
  }
  if (d.readout !== undefined) {
    const r = d.readout;
    if (!isObj(r) || !Number.isInteger(r.floats) || (r.floats as number) < 1 || (r.floats as number) > 65536 || typeof r.format !== 'function') return 'readout: needs floats (1..65536) and a format function';
  }
  if (d.midi !== undefined && typeof d.midi !== 'boolean') return 'midi: must be a boolean';
  if (d.sink !== undefined) return 'sink: reserved for the built-in output module (a patch has one output stage, and it is the only module that limits)';
  return undefined;
}
