/**
 * Reads a script module file (.ts, .js, .mjs) and turns it into CommonJS with sucrase (pure
 * JavaScript, in-process: no child process is spawned, so a hot reload may run while audio plays).
 * Types are stripped, not checked: `tsc` on the module file checks them (docs/sdk.md). Control thread.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { transform } from 'sucrase';
import { firstLine, ModuleFileError, type ScriptSource } from './source';

/** Larger module files are refused (a module is one descriptor and one kernel). */
export const MAX_MODULE_BYTES = 1 << 20;

export function readScriptModule(file: string): ScriptSource {
  const t0 = performance.now();
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new ModuleFileError(file, 'not a regular file');
    if (st.size > MAX_MODULE_BYTES) throw new ModuleFileError(file, `${st.size} bytes: a module file has at most ${MAX_MODULE_BYTES}`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ModuleFileError) throw e;
    throw new ModuleFileError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? firstLine(e)}`);
  }
  const ext = extname(file);
  let code: string;
  try {
    code = transform(text, {
      transforms: ext === '.ts' ? ['typescript', 'imports'] : ['imports'],
      filePath: file,
      production: true,
    }).code;
  } catch (e) {
    throw new ModuleFileError(file, `syntax error: ${firstLine(e)}`);
  }
  return { kind: 'script', file, code, transpileMs: performance.now() - t0 };
}
