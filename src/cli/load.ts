import { readFileSync } from 'node:fs';
import { parsePatch, PatchError, type Patch } from '../plan/patch';

/** Reads and validates a patch file; file-system errors become a PatchError naming the file. */
export function loadPatchFile(path: string): Patch {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PatchError([{ path: '$', message: code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(e)})` }], path);
  }
  return parsePatch(text, path);
}
