/**
 * A file written under a temporary name and renamed into place when complete, so the final path
 * holds either nothing (or its previous content) or the whole new file, never a part of it: the data
 * goes to `<final>.<random>.tmp` in the final directory, and `commit` fsyncs it, renames it over the
 * final path and fsyncs the directory. A process killed before `commit` leaves only the temp file.
 * Every failure is a FileWriteError naming the final path, and removes the temp file. Not an
 * audio-path API (synchronous I/O).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { fileWriteError } from './file-error';

export class AtomicFile {
  private fd: number | undefined;

  private constructor(
    /** The final path. */
    readonly path: string,
    /** Where the data is until `commit`. */
    readonly tempPath: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Creates the temp file (and the final directory when missing). */
  static create(path: string): AtomicFile {
    const dir = dirname(path);
    const tempPath = join(dir, `${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      // EEXIST from mkdir: a part of the directory path is a file.
      throw fileWriteError(path, (e as { code?: string }).code === 'EEXIST' ? Object.assign(new Error(), { code: 'ENOTDIR' }) : e);
    }
    try {
      return new AtomicFile(path, tempPath, openSync(tempPath, 'wx', 0o666));
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
    try {
      for (let done = 0; done < length; ) done += writeSync(fd, data, done, length - done, position + done);
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
      fsyncSync(fd);
      this.fd = undefined;
      closeSync(fd);
      renameSync(this.tempPath, this.path);
    } catch (e) {
      this.discard();
      throw fileWriteError(this.path, e);
    }
    syncDirectory(dirname(this.path));
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
    try {
      unlinkSync(this.tempPath);
    } catch {
      // already gone (committed, or never created)
    }
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
