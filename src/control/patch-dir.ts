/**
 * The patch directory: the one directory `/patch/load` and `/patch/save` may use (`--patch-dir`).
 * Control thread only (synchronous file I/O, never on the audio path).
 *
 * It is a sandbox, not a prefix check: a name is a bare file name (no directories, no `..`); the
 * directory's real path is resolved once; a symbolic link inside it is refused on read and on write,
 * dangling or not (a link is a way out of the directory); only regular files are read, at most
 * MAX_PATCH_BYTES; a save goes to a temp file in the directory, is fsynced and renamed over the final
 * name, so a crash or a full disk never leaves half a patch there.
 *
 * There is no implicit writable directory: without --patch-dir it is a per-user directory outside any
 * working tree (`defaultPatchDir`, `$XDG_DATA_HOME/modsynth/patches`), created private (0700) on the
 * first save.
 */
import { lstatSync, mkdirSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { AtomicFile } from '../io/atomic-file';
import { FileReadError, readRegularFile } from '../io/read-file';
import { MAX_PATCH_BYTES } from '../plan/patch-json';

export { MAX_PATCH_BYTES };

export class PatchDirError extends Error {}

/** The per-user patch directory used without --patch-dir: `$XDG_DATA_HOME/modsynth/patches` (~/.local/share/...). */
export function defaultPatchDir(env: NodeJS.ProcessEnv = process.env): string {
  const data = env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return join(data, 'modsynth', 'patches');
}

/** Why `dir` cannot be a patch directory given with --patch-dir (missing, not a directory), or undefined. */
export function patchDirProblem(dir: string): string | undefined {
  try {
    if (!statSync(dir).isDirectory()) return `--patch-dir ${dir}: not a directory`;
  } catch {
    return `--patch-dir ${dir}: no such directory (create it first)`;
  }
  return undefined;
}

export class PatchDirectory {
  /** The directory's real path (links in the path to it resolved once, at start, or when created). */
  root: string;
  private readonly create: boolean;

  /** `create`: make the directory (0700, with its parents) on the first save when it is missing. */
  constructor(
    private readonly dir: string,
    opts: { create?: boolean } = {},
  ) {
    this.create = opts.create ?? false;
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

  /**
   * The bytes of patch `name`. Refuses links, non-regular files and files over MAX_PATCH_BYTES; the file
   * is opened without following a link (O_NOFOLLOW) and checked again once open, so a link or a FIFO put
   * there between the check and the read is refused too.
   */
  read(name: string): { file: string; bytes: Buffer } {
    const file = this.file(name);
    try {
      return { file, bytes: readRegularFile(file, { maxBytes: MAX_PATCH_BYTES, noFollow: true }) };
    } catch (e) {
      if (!(e instanceof FileReadError)) throw e;
      if (e.code === 'ENOENT') throw new PatchDirError(`no patch "${name}" in the patch directory`);
      if (e.code === 'SYMLINK') throw new PatchDirError(`"${name}" is a symbolic link: the patch directory does not follow links`);
      if (e.code === 'NOTFILE') throw new PatchDirError(`"${name}" is not a regular file (${e.reason})`);
      if (e.code === 'TOOBIG') throw new PatchDirError(`"${name}" is ${e.reason.replace(/^too big: /, 'too big: ')}`);
      throw new PatchDirError(`cannot read "${name}": ${e.reason}`);
    }
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
    if (this.create) {
      try {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        this.root = realpathSync(this.dir);
      } catch (e) {
        throw new PatchDirError(`cannot create the patch directory ${this.dir}: ${(e as Error).message}`);
      }
    }
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
