/**
 * Reads a module file's text, for every kind of module file (script or Faust): a regular file of at
 * most MAX_MODULE_BYTES, as UTF-8. Any problem is a ModuleFileError naming the file. Control thread.
 */
import { readFileSync, statSync } from 'node:fs';
import { firstLine, ModuleFileError } from './source';

/** Larger module files are refused (a module is one descriptor and one kernel). */
export const MAX_MODULE_BYTES = 1 << 20;

export function readModuleText(file: string): string {
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new ModuleFileError(file, 'not a regular file');
    if (st.size > MAX_MODULE_BYTES) throw new ModuleFileError(file, `${st.size} bytes: a module file has at most ${MAX_MODULE_BYTES}`);
    return readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ModuleFileError) throw e;
    throw new ModuleFileError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? firstLine(e)}`);
  }
}
