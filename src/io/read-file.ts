/**
 * Reads an input file (a patch, a session log) with bounds: only a regular file is read (a device such
 * as /dev/zero, a FIFO, a socket or a directory is refused before a byte is read, and a FIFO never
 * blocks the open), at most `maxBytes` of it (a file that grows past that while read is refused too),
 * and with `noFollow` a symbolic link at the path is refused instead of followed. Every refusal is a
 * FileReadError whose reason never quotes the file. Synchronous; not an audio-path API.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

export class FileReadError extends Error {
  constructor(
    readonly path: string,
    /** The errno code, or NOTFILE / TOOBIG / SYMLINK for our own refusals. */
    readonly code: string,
    /** Why, in words (no file content). */
    readonly reason: string,
  ) {
    super(`cannot read ${path}: ${reason}`);
    this.name = 'FileReadError';
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'file not found',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a component of the path is not a directory',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
};

function kind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function notRegular(path: string, st: Stats): FileReadError {
  return new FileReadError(path, 'NOTFILE', `${kind(st)}, not a regular file`);
}

function tooBig(path: string, size: number | string, maxBytes: number): FileReadError {
  return new FileReadError(path, 'TOOBIG', `too big: ${size} bytes (at most ${maxBytes}, ${+(maxBytes / 2 ** 20).toFixed(2)} MiB, are read)`);
}

function osError(path: string, e: unknown): FileReadError {
  const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : 'EIO';
  return new FileReadError(path, code, REASONS[code] ?? code);
}

/** The bytes of regular file `path`, at most `maxBytes`. Throws FileReadError. */
export function readRegularFile(path: string, opts: { maxBytes: number; noFollow?: boolean }): Buffer {
  let pre: Stats;
  try {
    pre = opts.noFollow ? lstatSync(path) : statSync(path);
  } catch (e) {
    throw osError(path, e);
  }
  if (pre.isSymbolicLink()) throw new FileReadError(path, 'SYMLINK', 'a symbolic link (links are not followed here)');
  if (!pre.isFile()) throw notRegular(path, pre); // not even opened: opening a device can have effects
  if (pre.size > opts.maxBytes) throw tooBig(path, pre.size, opts.maxBytes);
  let fd: number;
  try {
    // O_NONBLOCK: if a FIFO was put at the path since the stat, the open does not wait for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (opts.noFollow ? constants.O_NOFOLLOW : 0));
  } catch (e) {
    if ((e as { code?: string }).code === 'ELOOP' && opts.noFollow) throw new FileReadError(path, 'SYMLINK', 'a symbolic link (links are not followed here)');
    throw osError(path, e);
  }
  try {
    const st = fstatSync(fd); // what was opened, whatever the path held at the stat above
    if (!st.isFile()) throw notRegular(path, st);
    if (st.size > opts.maxBytes) throw tooBig(path, st.size, opts.maxBytes);
    let buf = Buffer.allocUnsafe(Math.min(opts.maxBytes + 1, st.size + 4096));
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > opts.maxBytes) throw tooBig(path, `more than ${opts.maxBytes}`, opts.maxBytes); // it grew
        const bigger = Buffer.allocUnsafe(Math.min(opts.maxBytes + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      let got: number;
      try {
        got = readSync(fd, buf, n, buf.length - n, null);
      } catch (e) {
        throw osError(path, e);
      }
      if (got === 0) break;
      n += got;
    }
    if (n > opts.maxBytes) throw tooBig(path, `more than ${opts.maxBytes}`, opts.maxBytes);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
