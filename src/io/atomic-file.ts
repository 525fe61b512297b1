/**
 * A file written under a temporary name and renamed into place when complete, so the final path
 * holds either nothing (or its previous content) or the whole new file, never a part of it: the data
 * goes to `<final>.<random>.tmp` in the final directory, and `commit` fsyncs it, renames it over the
 * final path and fsyncs the directory. A process killed before `commit` leaves only the temp file.
 * A final path that is a symlink to a file replaces the file it points to (the link stays). A final
 * path that exists and is not a regular file (a pipe, /dev/stdout, a device) cannot be replaced: it is
 * written in place, sequentially (`seekable` is false for a pipe).
 * Every failure is a FileWriteError naming the final path, and removes the temp file. Not an
 * audio-path API (synchronous I/O).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { fileWriteError } from './file-error';

export class AtomicFile {
  private fd: number | undefined;
  /** Next byte of a file written in place without seeking (a pipe). */
  private sequential = 0;

  private constructor(
    /** The final path. */
    readonly path: string,
    /** Where the data is until `commit` (the final path itself for a pipe or a device). */
    readonly tempPath: string,
    /** What `commit` renames the temp file to: the final path, or the file a symlink there points to. */
    private readonly target: string,
    fd: number,
    /** False when writing in place into something that is not a regular file. */
    readonly atomic: boolean,
    /** False for a pipe: only sequential writes (`write` at the position already reached). */
    readonly seekable: boolean,
  ) {
    this.fd = fd;
  }

  /** Creates the temp file (and the final directory when missing). */
  static create(path: string): AtomicFile {
    const existing = statOrUndefined(path);
    if (existing && !existing.isFile() && !existing.isDirectory()) {
      try {
        return new AtomicFile(path, path, path, openSync(path, 'w'), false, !existing.isFIFO() && !existing.isSocket() && !existing.isCharacterDevice());
      } catch (e) {
        throw fileWriteError(path, e);
      }
    }
    const target = existing?.isFile() ? realpathSync(path) : path;
    const dir = dirname(target);
    const tempPath = join(dir, `${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      // EEXIST from mkdir: a part of the directory path is a file.
      throw fileWriteError(path, (e as { code?: string }).code === 'EEXIST' ? Object.assign(new Error(), { code: 'ENOTDIR' }) : e);
    }
    try {
      return new AtomicFile(path, tempPath, target, openSync(tempPath, 'wx', 0o666), true, true);
    } catch (e) {
      throw fileWriteError(path, e);
    }
  }

  get open(): boolean {
    return this.fd !== undefined;
  }

  /** Writes `length` bytes of `data` at byte `position` (all of them: short writes are continued). */
  write(data: Uint8Array, length: number, position: number): void {
    const fd = this.fd;
    if (fd === undefined) throw new Error(`${this.path}: the file is already closed`);
    if (!this.seekable && position !== this.sequential) {
      this.discard();
      throw fileWriteError(this.path, Object.assign(new Error(), { code: 'ESPIPE' }));
    }
    try {
      for (let done = 0; done < length; ) done += writeSync(fd, data, done, length - done, this.seekable ? position + done : null);
      this.sequential = position + length;
    } catch (e) {
      this.discard();
      throw fileWriteError(this.path, e);
    }
  }

  /** Makes the file durable and moves it to the final path (replacing what was there). */
  commit(): void {
    const fd = this.fd;
    if (fd === undefined) throw new Error(`${this.path}: the file is already closed`);
    try {
      if (this.atomic) fsyncSync(fd);
      this.fd = undefined;
      closeSync(fd);
      if (this.atomic) renameSync(this.tempPath, this.target);
    } catch (e) {
      this.discard();
      throw fileWriteError(this.path, e);
    }
    if (this.atomic) syncDirectory(dirname(this.tempPath));
  }

  /** Closes and removes the temp file; never throws (for error paths). Does nothing after `commit`. */
  discard(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // closing failed: the unlink below still removes the name
      }
    }
    if (!this.atomic) return;
    try {
      unlinkSync(this.tempPath);
    } catch {
      // already gone (committed, or never created)
    }
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined; // missing (or unreadable: opening the temp file reports why)
  }
}

/**
 * Makes a rename in `dir` durable. Some file systems cannot fsync a directory (EINVAL, ENOTSUP):
 * the rename is done then, just not forced to disk.
 */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR' && code !== 'EACCES') throw fileWriteError(dir, e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
