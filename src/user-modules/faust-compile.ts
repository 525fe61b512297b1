/**
 * Compiles a Faust `.dsp` module file to WebAssembly with @grame/faustwasm (the Faust compiler built
 * to WebAssembly, with the Faust libraries in its in-memory file system: `import("stdfaust.lib");`
 * works). Runs on the control thread, off the audio path; the compiler is instantiated once per
 * process (~0.1–0.7 s) and each file compiles in about 0.1–0.5 s. The result (wasm bytes and Faust's
 * JSON) is plain data the workers instantiate (faust-module.ts). Flags: `-ftz 2` (denormals flushed to
 * zero), 64-bit floats (see FAUST_ARGS), internal memory.
 */
import { basename, extname, join, dirname } from 'node:path';
import { firstLine, ModuleFileError, type FaustSource } from './source';
import { MODULE_NAME } from './validate';
import { readModuleText } from './read-text';

interface FaustFactory {
  code: Uint8Array;
  json: string;
}
interface FaustCompilerLike {
  createMonoDSPFactory(name: string, code: string, args: string): Promise<FaustFactory | null>;
  getErrorMessage(): string;
  version(): string;
}

// faustwasm is an ES module; this file is CommonJS (tsc would turn `import()` into `require`).
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<Record<string, unknown>>;

let compiler: Promise<FaustCompilerLike> | undefined;

/**
 * Double precision (Faust's recursive filters and long reverbs keep their accuracy; the module's math
 * imports are then exactly the Math functions, f64 → f64); -ftz 2: denormals flushed to zero.
 */
export const FAUST_ARGS = '-double -ftz 2';

function faustCompiler(): Promise<FaustCompilerLike> {
  compiler ??= (async () => {
    const pkg = dirname(require.resolve('@grame/faustwasm/package.json'));
    const fw = await importEsm(join(pkg, 'dist/esm/index.js'));
    const instantiate = fw.instantiateFaustModuleFromFile as (path: string) => Promise<unknown>;
    const LibFaust = fw.LibFaust as new (m: unknown) => unknown;
    const FaustCompiler = fw.FaustCompiler as new (l: unknown) => FaustCompilerLike;
    return new FaustCompiler(new LibFaust(await instantiate(join(pkg, 'libfaust-wasm/libfaust-wasm.js'))));
  })();
  return compiler;
}

/** The Faust compiler's version (for reports). */
export async function faustVersion(): Promise<string> {
  return (await faustCompiler()).version();
}

export async function readFaustModule(file: string): Promise<FaustSource> {
  const t0 = performance.now();
  const name = basename(file, extname(file));
  if (!MODULE_NAME.test(name)) throw new ModuleFileError(file, `"${name}" is not a module name (the file's name becomes user/NAME: lower-case letters, digits and "-")`);
  const text = readModuleText(file);
  const c = await faustCompiler();
  let factory: FaustFactory | null;
  try {
    factory = await c.createMonoDSPFactory(name, text, FAUST_ARGS);
  } catch (e) {
    throw new ModuleFileError(file, `Faust: ${firstLine(e)}`);
  }
  if (!factory) throw new ModuleFileError(file, `Faust: ${firstLine(c.getErrorMessage() || 'compilation failed')}`);
  return { kind: 'faust', file, name, wasm: factory.code, json: factory.json, transpileMs: performance.now() - t0 };
}
