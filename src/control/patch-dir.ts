/**
 * The patch directory: the one directory `/patch/load` and `/patch/save` may use (`--patch-dir`).
 * Control thread only (synchronous file I/O, never on the audio path).
 *
 * It is a sandbox, not a prefix check: a name is a bare file name (no directories, no `..`); the
 * directory's real path is resolved once; a symbolic link inside it is refused on read and on write,
 * dangling or not (a link is a way out of the directory); only regular files are read, at most
 * MAX_PATCH_BYTES; a save goes to a temp file in the directory, is fsynced and renamed over the final
 * name, so a crash or a full disk never leaves half a patch there.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { AtomicFile } from '../io/atomic-file';

/** Largest patch file read (a 3,700-module patch is about 400 KB). */
export const MAX_PATCH_BYTES = 16 * 2 ** 20;

export class PatchDirError extends Error {}

export class PatchDirectory {
  /** The directory's real path (links in the path to it resolved once, at start). */
  readonly root: string;

  constructor(dir: string) {
    try {
      this.root = realpathSync(dir);
    } catch {
      this.root = dir;
    }
  }

  /** The file a name stands for (`NAME` or `NAME.json`); refuses anything that is not a bare name. */
  file(name: string): string {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(name) || name.includes('..')) {
      throw new PatchDirError(`bad patch name "${name}": letters, digits, "_", "-" and "." only, no directories`);
    }
    return join(this.root, name.endsWith('.json') ? name : `${name}.json`);
  }

  /** The text of patch `name`. Refuses links, non-regular files and files over MAX_PATCH_BYTES. */
  read(name: string): { file: string; text: string } {
    const file = this.file(name);
    let st;
    try {
      st = lstatSync(file);
    } catch {
      throw new PatchDirError(`no patch "${name}" in the patch directory`);
    }
    if (st.isSymbolicLink()) throw new PatchDirError(`"${name}" is a symbolic link: the patch directory does not follow links`);
    if (!st.isFile()) throw new PatchDirError(`"${name}" is not a regular file`);
    if (st.size > MAX_PATCH_BYTES) throw new PatchDirError(`"${name}" is ${st.size} bytes: a patch file holds at most ${MAX_PATCH_BYTES}`);
    return { file, text: readFileSync(file, 'utf8') };
  }

  /** Names (without `.json`) of the regular patch files a load would accept, sorted; links left out. */
  list(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return [];
    }
    const ok = (n: string) => {
      try {
        const st = lstatSync(this.file(n));
        return st.isFile() && st.size <= MAX_PATCH_BYTES;
      } catch {
        return false;
      }
    };
    return names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).map((n) => n.slice(0, -5)).filter(ok).sort();
  }

  /** Writes patch `name` atomically (temp file, fsync, rename). Refuses to replace a link or a non-file. */
  write(name: string, text: string): string {
    const file = this.file(name);
    let st;
    try {
      st = lstatSync(file);
    } catch {
      st = undefined; // a new file
    }
    if (st?.isSymbolicLink()) throw new PatchDirError(`"${name}" is a symbolic link: the patch directory does not follow links`);
    if (st && !st.isFile()) throw new PatchDirError(`"${name}" is not a regular file`);
    // The link check above matters: AtomicFile would replace the file a link points to.
    let out: AtomicFile | undefined;
    try {
      out = AtomicFile.create(file);
      const data = Buffer.from(text, 'utf8');
      out.write(data, data.length, 0);
      out.commit();
    } catch (e) {
      out?.discard();
      throw new PatchDirError(`cannot save "${name}": ${(e as Error).message}`);
    }
    return file;
  }
}
