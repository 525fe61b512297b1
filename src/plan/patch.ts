/**
 * The patch file: a versioned JSON document of modules (stable ids, a type, named params) and cables
 * between named ports (`moduleId.port`). Loading validates everything and reports every problem with
 * the JSON path of the field and the reason; nothing is half-loaded. Bounded: the text is parsed in
 * linear time with a nesting limit (engine/patch-json.ts), at most MAX_MODULES modules and MAX_CABLES
 * cables are read, a document that is not a patch is refused on its `format` alone (nothing of it is
 * quoted back), and an error message lists at most MAX_REPORTED problems. Runs off the audio path.
 */
import { z } from 'zod';
import { decodeUtf8, jsonPath, parseBoundedJson } from './patch-json';
import { findModule, unknownTypeMessage } from '../modules';
import type { AnyModule } from '../sdk/module-api';

export const PATCH_FORMAT = 'modsynth-patch';
export const PATCH_VERSION = 1;

export interface PatchModule {
  id: string;
  type: string;
  /** Every param of the type, in declaration order (defaults filled in at load). */
  params: Record<string, number>;
  /** Opaque data for user interfaces (positions, colours); kept as is. */
  ui?: Record<string, unknown>;
}

export interface Cable {
  /** `moduleId.outputPort` */
  from: string;
  /** `moduleId.inputPort` */
  to: string;
}

export interface Patch {
  version: number;
  name?: string;
  /** Seed of every random source in the patch (each module derives its own from it and its id). */
  seed: number;
  modules: PatchModule[];
  cables: Cable[];
  ui?: Record<string, unknown>;
}

export interface PatchProblem {
  /** JSON path of the offending field, e.g. `$.modules[2].params.cutoff`. */
  path: string;
  message: string;
}

/** Problems an error message lists (all of them stay in `problems`). */
export const MAX_REPORTED = 20;
/** Most modules a patch may have (the benchmark edits 5,000 live). */
export const MAX_MODULES = 16_384;
/** Most cables a patch may have. */
export const MAX_CABLES = 65_536;

export class PatchError extends Error {
  constructor(
    readonly problems: readonly PatchProblem[],
    readonly source = 'patch',
  ) {
    const shown = problems.slice(0, MAX_REPORTED).map((p) => `${source}: ${p.path}: ${p.message}`);
    if (problems.length > MAX_REPORTED) shown.push(`${source}: ... and ${problems.length - MAX_REPORTED} more problems`);
    super(shown.join('\n'));
    this.name = 'PatchError';
  }
}

/** Module ids: a letter, then letters, digits, `_` or `-` (no `.` or `/`, which ports and OSC use). */
export const ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

const uiZ = z.record(z.string(), z.unknown());
const moduleZ = z.strictObject({
  id: z.string().regex(ID_PATTERN, 'must start with a letter and use only letters, digits, "_" and "-" (at most 64)'),
  type: z.string(),
  params: z.record(z.string(), z.unknown()).optional(),
  ui: uiZ.optional(),
});
const cableZ = z.strictObject({ from: z.string(), to: z.string() });
const patchZ = z.strictObject({
  format: z.literal(PATCH_FORMAT),
  version: z.number().int(),
  name: z.string().optional(),
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  modules: z.array(moduleZ),
  cables: z.array(cableZ).optional(),
  ui: uiZ.optional(),
});

export { jsonPath } from './patch-json';

/**
 * Parses patch text. Throws PatchError for bad JSON (with line and column, the first few errors), too
 * deep nesting, prototype keys (`__proto__`) and every invalid field. Linear in the text's length.
 */
export function parsePatch(text: string, source = 'patch'): Patch {
  const json = parseBoundedJson(text);
  if (!json.ok) throw new PatchError(json.problems, source);
  return validatePatch(json.value, source);
}

/** Parses the bytes of a patch file (UTF-8, a BOM allowed), like parsePatch. */
export function parsePatchBytes(bytes: Uint8Array, source = 'patch'): Patch {
  const text = decodeUtf8(bytes);
  if (text === undefined) throw new PatchError([{ path: '$', message: 'not UTF-8 text (a patch is a UTF-8 JSON file)' }], source);
  return parsePatch(text, source);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Problems found before the shape is checked, each on its own: a document that is not a patch (so
 * nothing else of it is reported: that would quote a file that may not be ours to show), a format
 * version this Modsynth does not read, and more modules or cables than a patch may have.
 */
function gateProblems(raw: unknown): PatchProblem[] {
  if (!isRecord(raw) || raw.format !== PATCH_FORMAT) {
    return [{ path: '$.format', message: `not a Modsynth patch (a patch is a JSON object with "format": "${PATCH_FORMAT}")` }];
  }
  const v = raw.version;
  const version = (message: string) => [{ path: '$.version', message }];
  if (v === undefined) return version(`missing: a patch names its format version (this Modsynth reads version ${PATCH_VERSION})`);
  if (typeof v !== 'number') return version(`must be a number, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v} (this Modsynth reads version ${PATCH_VERSION})`);
  if (!Number.isInteger(v)) return version(`${v} is not a format version: versions are whole numbers (this Modsynth reads version ${PATCH_VERSION})`);
  if (v > PATCH_VERSION) return version(`format version ${v} is newer than this Modsynth reads (${PATCH_VERSION}); upgrade Modsynth`);
  if (v < 1) return version(`format version ${v} does not exist (versions start at 1)`);
  const problems: PatchProblem[] = [];
  if (Array.isArray(raw.modules) && raw.modules.length > MAX_MODULES) problems.push({ path: '$.modules', message: `${raw.modules.length} modules: a patch has at most ${MAX_MODULES}` });
  if (Array.isArray(raw.cables) && raw.cables.length > MAX_CABLES) problems.push({ path: '$.cables', message: `${raw.cables.length} cables: a patch has at most ${MAX_CABLES}` });
  return problems;
}

/** Validates an already parsed value. Throws PatchError listing every problem. */
export function validatePatch(raw: unknown, source = 'patch'): Patch {
  const gate = gateProblems(raw);
  if (gate.length > 0) throw new PatchError(gate, source);
  const shape = patchZ.safeParse(raw);
  if (!shape.success) {
    throw new PatchError(
      shape.error.issues.map((i) => ({ path: jsonPath(i.path), message: i.message.replace(/^Invalid input: expected (\w+), received undefined$/, 'missing (expected $1)') })),
      source,
    );
  }
  const data = shape.data;
  const problems: PatchProblem[] = [];
  const modules: PatchModule[] = [];
  const firstIndex = new Map<string, number>();
  let outputAt = -1;

  data.modules.forEach((m, i) => {
    const at = (...rest: PropertyKey[]) => jsonPath(['modules', i, ...rest]);
    const seen = firstIndex.get(m.id);
    if (seen !== undefined) problems.push({ path: at('id'), message: `duplicate id "${m.id}" (first used at $.modules[${seen}])` });
    else firstIndex.set(m.id, i);
    const desc = findModule(m.type);
    if (!desc) {
      problems.push({ path: at('type'), message: unknownTypeMessage(m.type) });
      // Kept (without params) so its cables are not reported again as cables to a missing module.
      modules.push({ id: m.id, type: m.type, params: {} });
      return;
    }
    if (desc.sink === true) {
      if (outputAt >= 0) problems.push({ path: at('type'), message: `a patch has at most one output module (first at $.modules[${outputAt}])` });
      else outputAt = i;
    }
    const params: Record<string, number> = {};
    for (const [name, spec] of Object.entries(desc.params)) params[name] = spec.default;
    for (const [name, value] of Object.entries(m.params ?? {})) {
      const problem = checkParam(desc, name, value);
      if (problem) problems.push({ path: at('params', name), message: problem });
      else params[name] = value as number;
    }
    modules.push({ id: m.id, type: m.type, params, ...(m.ui ? { ui: m.ui } : {}) });
  });

  const byId = new Map<string, PatchModule>();
  for (const m of modules) if (!byId.has(m.id)) byId.set(m.id, m); // a duplicate id is reported above
  const fedBy = new Map<string, number>();
  const cables: Cable[] = [];
  (data.cables ?? []).forEach((c, k) => {
    const fromErr = checkPort(byId, c.from, 'output');
    const toErr = checkPort(byId, c.to, 'input');
    if (fromErr) problems.push({ path: jsonPath(['cables', k, 'from']), message: fromErr });
    if (toErr) problems.push({ path: jsonPath(['cables', k, 'to']), message: toErr });
    if (!toErr) {
      const prev = fedBy.get(c.to);
      if (prev !== undefined) {
        problems.push({ path: jsonPath(['cables', k, 'to']), message: `input "${c.to}" already has a cable ($.cables[${prev}]); use a mixer to combine signals` });
      } else fedBy.set(c.to, k);
    }
    cables.push({ from: c.from, to: c.to });
  });

  if (problems.length > 0) throw new PatchError(problems, source);
  return {
    version: PATCH_VERSION,
    ...(data.name !== undefined ? { name: data.name } : {}),
    seed: data.seed ?? 0,
    modules,
    cables,
    ...(data.ui ? { ui: data.ui } : {}),
  };
}

/** Why `value` cannot be param `name` of `desc`, or undefined when it can. Shared with the OSC layer. */
export function checkParam(desc: AnyModule, name: string, value: unknown): string | undefined {
  const spec = Object.prototype.hasOwnProperty.call(desc.params, name) ? desc.params[name] : undefined;
  if (!spec) {
    const names = Object.keys(desc.params);
    return `unknown param "${name}" for ${desc.type} (params: ${names.length ? names.join(', ') : 'none'})`;
  }
  if (typeof value !== 'number') return `must be a number, got ${value === null ? 'null' : typeof value}`;
  if (!Number.isFinite(value)) return `must be a finite number, got ${value}`;
  if (value < spec.min || value > spec.max) return `${value} is out of range [${spec.min}, ${spec.max}] (${spec.unit})`;
  if (spec.unit === 'enum' && !Number.isInteger(value)) {
    return `must be an integer (${(spec.choices ?? []).map((c, i) => `${i} = ${c}`).join(', ')})`;
  }
  if (spec.unit === 'count' && !Number.isInteger(value)) return `must be a whole number, got ${value}`;
  return undefined;
}

export interface PortRef {
  module: string;
  port: string;
}

/** Splits `moduleId.port`; undefined when the text has no single dot between two names. */
export function parsePortRef(text: string): PortRef | undefined {
  const dot = text.indexOf('.');
  if (dot <= 0 || dot === text.length - 1 || text.indexOf('.', dot + 1) >= 0) return undefined;
  return { module: text.slice(0, dot), port: text.slice(dot + 1) };
}

/** Why `text` does not name an existing port of the given direction, or undefined. */
export function checkPort(byId: ReadonlyMap<string, PatchModule>, text: string, dir: 'input' | 'output'): string | undefined {
  const ref = parsePortRef(text);
  if (!ref) return `"${text}" is not a port; write moduleId.port`;
  const m = byId.get(ref.module);
  if (!m) return `no module "${ref.module}"`;
  const desc = findModule(m.type);
  if (!desc) return undefined; // the unknown type is reported on the module itself
  const ports = dir === 'input' ? desc.inputs : desc.outputs;
  if (!Object.prototype.hasOwnProperty.call(ports, ref.port)) {
    const other = dir === 'input' ? desc.outputs : desc.inputs;
    const hint = Object.prototype.hasOwnProperty.call(other, ref.port) ? ` ("${ref.port}" is an ${dir === 'input' ? 'output' : 'input'})` : '';
    const names = Object.keys(ports);
    return `module "${ref.module}" (${m.type}) has no ${dir} "${ref.port}"${hint} (${dir}s: ${names.length ? names.join(', ') : 'none'})`;
  }
  return undefined;
}

/** The patch as its file document (stable key order, every param): what a file and a session log hold. */
export function patchDocument(patch: Patch): Record<string, unknown> {
  return {
    format: PATCH_FORMAT,
    version: PATCH_VERSION,
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    seed: patch.seed,
    modules: patch.modules.map((m) => ({ id: m.id, type: m.type, params: { ...m.params }, ...(m.ui ? { ui: m.ui } : {}) })),
    cables: patch.cables.map((c) => ({ from: c.from, to: c.to })),
    ...(patch.ui ? { ui: patch.ui } : {}),
  };
}

/** Serialises a patch: stable key order, every param, 2-space JSON with a final newline. */
export function serializePatch(patch: Patch): string {
  return JSON.stringify(patchDocument(patch), null, 2) + '\n';
}
