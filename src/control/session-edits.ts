/**
 * Structural edits of a live session as pure functions: each checks its command against the current
 * patch (a CommandError naming the reason when it cannot be done) and returns the next patch, valid
 * when the patch it was given is (everything an edit changes is checked here, as validatePatch would:
 * the session then checks only the size limits, `withinLimits`, and installs it). No engine, no I/O.
 */
import { checkParam, checkPort, ID_PATTERN, MAX_CABLES, MAX_MODULES, PatchError, type Patch, type PatchModule } from '../plan/patch';
import { findModule, unknownTypeMessage } from '../modules';
import { CommandError } from './command-error';

/** The module with `id`, or a CommandError. */
export function moduleOf(patch: Patch, id: string): PatchModule {
  const m = patch.modules.find((x) => x.id === id);
  if (!m) throw new CommandError(`no module "${id}"`);
  return m;
}

/** Throws a CommandError for the first value that `id`'s type does not take. */
export function checkParams(m: PatchModule, pairs: readonly (readonly [string, number])[]): void {
  const desc = findModule(m.type)!;
  for (const [name, value] of pairs) {
    const why = checkParam(desc, name, value);
    if (why) throw new CommandError(why);
  }
}

/** True when one of `pairs` decides channel counts (changing it rebuilds the plan). */
export function hasStructural(m: PatchModule, pairs: readonly (readonly [string, number])[]): string | undefined {
  const desc = findModule(m.type)!;
  return pairs.find(([name]) => desc.params[name].structural)?.[0];
}

export function withModule(patch: Patch, type: string, id: string, params: readonly (readonly [string, number])[]): Patch {
  const desc = findModule(type);
  if (!desc) throw new CommandError(unknownTypeMessage(type));
  if (!ID_PATTERN.test(id)) throw new CommandError(`bad module id "${id}": a letter, then letters, digits, "_" or "-"`);
  if (patch.modules.some((m) => m.id === id)) throw new CommandError(`module "${id}" already exists`);
  if (desc.sink === true && patch.modules.some((m) => findModule(m.type)?.sink === true)) throw new CommandError('a patch has at most one output module');
  const values: Record<string, number> = {};
  for (const [name, value] of params) {
    const why = checkParam(desc, name, value);
    if (why) throw new CommandError(why);
    values[name] = value;
  }
  const mod: PatchModule = { id, type, params: Object.fromEntries(Object.entries(desc.params).map(([n, p]) => [n, values[n] ?? p.default])) };
  return { ...patch, modules: [...patch.modules, mod] };
}

export function withoutModule(patch: Patch, id: string): Patch {
  moduleOf(patch, id);
  const touches = (ref: string) => ref.startsWith(`${id}.`);
  return {
    ...patch,
    modules: patch.modules.filter((m) => m.id !== id),
    cables: patch.cables.filter((c) => !touches(c.from) && !touches(c.to)),
  };
}

export function withCable(patch: Patch, from: string, to: string): Patch {
  const byId = new Map(patch.modules.map((m) => [m.id, m]));
  const why = checkPort(byId, from, 'output') ?? checkPort(byId, to, 'input');
  if (why) throw new CommandError(why);
  const taken = patch.cables.find((c) => c.to === to);
  if (taken) throw new CommandError(`input "${to}" already has a cable (from "${taken.from}"); disconnect it first or use a mixer`);
  return { ...patch, cables: [...patch.cables, { from, to }] };
}

export function withoutCable(patch: Patch, from: string, to: string): Patch {
  if (!patch.cables.some((c) => c.from === from && c.to === to)) throw new CommandError(`no cable from "${from}" to "${to}"`);
  return { ...patch, cables: patch.cables.filter((c) => !(c.from === from && c.to === to)) };
}

/** `id` with `pairs` set (already checked): for a structural param, which rebuilds the plan. */
export function withParams(patch: Patch, id: string, pairs: readonly (readonly [string, number])[]): Patch {
  return {
    ...patch,
    modules: patch.modules.map((x) => (x.id === id ? { ...x, params: { ...x.params, ...Object.fromEntries(pairs) } } : x)),
  };
}

export function cleared(patch: Patch): Patch {
  return { ...patch, modules: [], cables: [] };
}

/** `patch` when it is within the patch size limits (validatePatch's), else a PatchError. */
export function withinLimits(patch: Patch): Patch {
  if (patch.modules.length > MAX_MODULES) throw new PatchError([{ path: '$.modules', message: `${patch.modules.length} modules: a patch has at most ${MAX_MODULES}` }]);
  if (patch.cables.length > MAX_CABLES) throw new PatchError([{ path: '$.cables', message: `${patch.cables.length} cables: a patch has at most ${MAX_CABLES}` }]);
  return patch;
}
