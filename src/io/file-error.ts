/**
 * A file the program was asked to write could not be written (full disk, no permission, missing or
 * read-only directory...). The command line prints its message as one line and exits with
 * EXIT_FILE_ERROR. Not an audio-path API.
 */

/** Exit code of a command that could not write one of its output files. */
export const EXIT_FILE_ERROR = 6;

/** What the common errno codes mean, in the words `strerror` uses. */
const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENXIO: 'no such device or address',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'is a directory',
  EROFS: 'read-only file system',
  EEXIST: 'file exists',
  EFBIG: 'file too large',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  EXDEV: 'the temporary file is on another file system',
  ESPIPE: 'a pipe cannot be written out of order (the WAV length must be known before the data)',
};

export class FileWriteError extends Error {
  constructor(
    readonly path: string,
    /** The errno code (ENOSPC, EACCES, ...), or a code of ours such as EFBIG for a format limit. */
    readonly code: string,
    reason: string,
  ) {
    super(`cannot write ${path}: ${reason}`);
    this.name = 'FileWriteError';
  }
}

/** Wraps an error thrown by node:fs while writing `path` (a FileWriteError passes through unchanged). */
export function fileWriteError(path: string, e: unknown): FileWriteError {
  if (e instanceof FileWriteError) return e;
  const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : 'EIO';
  const reason = REASONS[code] ?? ((e as Error)?.message ?? String(e)).replace(/^[A-Z]+: /, '');
  return new FileWriteError(path, code, reason);
}
