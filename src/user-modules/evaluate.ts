/**
 * Runs a user module's code and returns its descriptor, validated and namespaced (`user/NAME`). The
 * same function runs on the control thread (load, module-test) and in each DSP worker at start-up, on
 * the code the control thread read, so every thread has the same module. Never on the audio path.
 *
 * The code runs in this realm (a kernel's typed arrays and the engine's must be the same classes) with
 * a `require` that gives only the SDK (`modsynth/sdk`): a module file imports nothing else, so what it
 * does is in the one file that was tested. Its top level runs under a time limit (vm's timeout), so a
 * file that loops at load is refused instead of hanging the engine.
 */
import { Script } from 'node:vm';
import * as sdk from '../sdk';
import type { AnyModule } from '../sdk/module-api';
import { descriptorProblem } from './validate';
import { firstLine, ModuleFileError, USER_PREFIX, type ScriptSource } from './source';

/** How long a module file's top level may run (ms). */
export const LOAD_TIMEOUT_MS = 5000;

/** What a module file may import. */
export const SDK_SPECIFIERS = ['modsynth/sdk', 'modsynth'];

const GLOBAL_SLOT = '__modsynthModuleLoad';

export function evaluateScript(src: ScriptSource, timeoutMs = LOAD_TIMEOUT_MS): AnyModule {
  const { file } = src;
  let wrapper: Script;
  try {
    wrapper = new Script(`globalThis.${GLOBAL_SLOT}((function (exports, require, module, __filename, __dirname) {${src.code}\n}))`, { filename: file });
  } catch (e) {
    throw new ModuleFileError(file, `syntax error: ${firstLine(e)}`);
  }
  const module = { exports: {} as Record<string, unknown> };
  const require = (id: string): unknown => {
    if (SDK_SPECIFIERS.includes(id)) return sdk;
    throw new ModuleFileError(file, `imports "${id}": a module file may import only "modsynth/sdk"`);
  };
  const g = globalThis as unknown as Record<string, unknown>;
  g[GLOBAL_SLOT] = (fn: (...a: unknown[]) => void) => fn.call(module.exports, module.exports, require, module, file, '');
  const t0 = performance.now();
  try {
    wrapper.runInThisContext({ timeout: timeoutMs });
  } catch (e) {
    if (e instanceof ModuleFileError) throw e;
    if ((e as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new ModuleFileError(file, `took more than ${timeoutMs} ms to load`);
    throw new ModuleFileError(file, `threw at load: ${firstLine(e)}`);
  } finally {
    delete g[GLOBAL_SLOT];
  }
  const loadMs = performance.now() - t0;
  if (loadMs > timeoutMs) throw new ModuleFileError(file, `took ${Math.round(loadMs)} ms to load (at most ${timeoutMs})`);
  return namespaced(file, pickDescriptor(file, module.exports));
}

/** The module a file exports: its default export, or its one export that looks like a descriptor. */
function pickDescriptor(file: string, exports: unknown): unknown {
  const looksLike = (x: unknown) => typeof x === 'object' && x !== null && typeof (x as { create?: unknown }).create === 'function';
  if (looksLike(exports)) return exports; // module.exports = defineModule(...)
  const ex = (exports ?? {}) as Record<string, unknown>;
  if ('default' in ex && ex.default !== undefined) return ex.default;
  const found = Object.entries(ex).filter(([, v]) => looksLike(v));
  if (found.length === 1) return found[0][1];
  if (found.length === 0) throw new ModuleFileError(file, 'exports no module (export default defineModule(...))');
  throw new ModuleFileError(file, `exports ${found.length} modules (${found.map(([k]) => k).join(', ')}): a module file exports one, as its default export`);
}

/** Validates the descriptor and returns it as `user/NAME`, isolated by kind unless it says otherwise. */
export function namespaced(file: string, d: unknown): AnyModule {
  const problem = descriptorProblem(d);
  if (problem) throw new ModuleFileError(file, `wrong descriptor: ${problem}`);
  const desc = d as AnyModule;
  const type = desc.type.startsWith(USER_PREFIX) ? desc.type : USER_PREFIX + desc.type;
  return { ...desc, type, isolated: desc.isolated ?? 'kind' };
}
