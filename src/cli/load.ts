/**
 * Reads and validates a patch file named on the command line. Only a regular file of at most
 * MAX_PATCH_BYTES is read (io/read-file.ts: /dev/zero, a FIFO or a directory is refused before a byte is
 * read); every problem becomes a PatchError naming the file (exit code 1).
 */
import { parsePatchBytes, PatchError, type Patch } from '../plan/patch';
import { MAX_PATCH_BYTES } from '../plan/patch-json';
import { FileReadError, readRegularFile } from '../io/read-file';

export function loadPatchFile(path: string): Patch {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(path, { maxBytes: MAX_PATCH_BYTES });
  } catch (e) {
    if (e instanceof FileReadError) throw new PatchError([{ path: '$', message: e.reason }], path);
    throw e;
  }
  return parsePatchBytes(bytes, path);
}
