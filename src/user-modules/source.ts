/**
 * What one user module file is, once read: plain data that can be posted to a worker thread, so every
 * thread runs exactly the code the control thread loaded and tested (a worker never reads the file).
 */

/** A user module type's name: `user/` + the name its descriptor declares. */
export const USER_PREFIX = 'user/';

/** Extensions a --module-dir file may have (other files in the directory are ignored). */
export const MODULE_EXTENSIONS = ['.ts', '.js', '.mjs', '.dsp'] as const;

export interface ScriptSource {
  kind: 'script';
  /** Absolute path of the file. */
  file: string;
  /** The file transpiled to CommonJS (sucrase), ready to evaluate. */
  code: string;
  /** Time spent reading and transpiling, ms. */
  transpileMs: number;
}

export interface FaustSource {
  kind: 'faust';
  file: string;
  /** The module name (the file's base name), becomes `user/NAME`. */
  name: string;
  /** The compiled WebAssembly module (Faust's wasm backend, 64-bit floats). */
  wasm: Uint8Array;
  /** Faust's JSON description of the DSP (inputs, outputs, UI items with their metadata). */
  json: string;
  /** Compile time, ms. */
  transpileMs: number;
}

export type UserModuleSource = ScriptSource | FaustSource;

/** A problem with a module file: its message is one line naming the file and the reason. */
export class ModuleFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'ModuleFileError';
  }
}

/** The first line of an error's message, for one-line reports. */
export function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0].trim() || (e instanceof Error ? e.name : 'error');
}
