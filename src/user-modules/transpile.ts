/**
 * Reads a script module file (.ts, .js, .mjs) and turns it into CommonJS with sucrase (pure
 * JavaScript, in-process: no child process is spawned, so a hot reload may run while audio plays).
 * Types are stripped, not checked: `tsc` on the module file checks them (docs/sdk.md). Control thread.
 */
import { extname } from 'node:path';
import { firstLine, ModuleFileError, type ScriptSource } from './source';
import { readModuleText } from './read-text';

// sucrase is loaded on the first module file, not with the CLI: `play` and `serve` without
// --module-dir never need it (55 ms of their start-up on the loaded 2-core machine).
type Sucrase = typeof import('sucrase');
let sucrase: Sucrase | undefined;

export function readScriptModule(file: string): ScriptSource {
  sucrase ??= require('sucrase') as Sucrase;
  const t0 = performance.now();
  const text = readModuleText(file);
  const ext = extname(file);
  let code: string;
  try {
    code = sucrase.transform(text, {
      transforms: ext === '.ts' ? ['typescript', 'imports'] : ['imports'],
      filePath: file,
      production: true,
    }).code;
  } catch (e) {
    throw new ModuleFileError(file, `syntax error: ${firstLine(e)}`);
  }
  return { kind: 'script', file, code, transpileMs: performance.now() - t0 };
}
