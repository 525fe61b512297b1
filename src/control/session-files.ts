/**
 * A live session's use of the patch directory: `/patch/load NAME` reads and validates a patch from it,
 * `/patch/save NAME` writes the current patch to it (control/patch-dir.ts is the sandbox). Every
 * refusal is a CommandError naming the reason. Control thread (synchronous file I/O).
 */
import { basename } from 'node:path';
import { parsePatchBytes, PatchError, serializePatch, type Patch } from '../plan/patch';
import { CommandError } from './command-error';
import { PatchDirectory, PatchDirError } from './patch-dir';

function refused<T>(op: () => T): T {
  try {
    return op();
  } catch (e) {
    if (e instanceof PatchDirError) throw new CommandError(e.message);
    if (e instanceof PatchError) throw new CommandError(e.message.replace(/\n/g, '; '));
    throw e;
  }
}

/** Patch `name` from the directory, validated. */
export function loadNamed(dir: PatchDirectory, name: string): Patch {
  return refused(() => {
    const { file, bytes } = dir.read(name);
    return parsePatchBytes(bytes, basename(file));
  });
}

/** Writes `patch` as `name` in the directory, atomically. */
export function saveNamed(dir: PatchDirectory, name: string, patch: Patch): void {
  refused(() => dir.write(name, serializePatch(patch)));
}
