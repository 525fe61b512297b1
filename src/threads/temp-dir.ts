/**
 * A private temporary directory for the engine's own files (the priority helper's named pipe). It is
 * made in $TMPDIR when that is a writable directory; otherwise — $TMPDIR missing, not a directory, not
 * writable — one warning line names TMPDIR and why, and /tmp is used. Throws TempDirError (one line)
 * when neither works. Control thread (synchronous file system calls).
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';

export class TempDirError extends Error {}

const REASONS: Record<string, string> = {
  ENOENT: 'no such directory',
  ENOTDIR: 'not a directory',
  EACCES: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
};

const reason = (e: unknown) => REASONS[(e as { code?: string }).code ?? ''] ?? (e as Error).message;

let warned = false;

export function makeTempDir(prefix: string, env: NodeJS.ProcessEnv = process.env, warn: (line: string) => void = (l) => console.warn(l)): string {
  const asked = env.TMPDIR;
  if (asked) {
    try {
      return mkdtempSync(join(asked, prefix));
    } catch (e) {
      if (!warned) warn(`warning: TMPDIR=${asked} cannot be used (${reason(e)}); using /tmp`);
      warned = true;
    }
  }
  try {
    return mkdtempSync(join('/tmp', prefix));
  } catch (e) {
    throw new TempDirError(`cannot create a temporary directory in /tmp${asked ? ` (nor in TMPDIR=${asked})` : ''}: ${reason(e)}`);
  }
}
