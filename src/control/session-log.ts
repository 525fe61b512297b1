/**
 * Session recording: every change applied to a live session, with the frame it took effect at, as JSON
 * lines. `modsynth render PATCH --session FILE` replays it offline through the same engine and gives the
 * samples that were played, bit for bit.
 *
 *   {"type":"start","sampleRate":48000,"blockSize":128,"patch":{...}}
 *   {"type":"param","frame":12800,"id":"osc","param":"coarse","value":21}
 *   {"type":"patch","frame":25600,"patch":{...}}        (a structural edit, swapped in at that block)
 *   {"type":"midi","frame":30000,"id":"keys","data":4538768}   (a MIDI message, packed by packMidi)
 *   {"type":"end","frame":144000}
 *
 * How it is written, so that what was heard is what the log replays:
 * - A change is logged before it is applied (the session calls `write` first), and a change whose line
 *   cannot be written is refused: a full disk never leaves a change heard but not logged, or logged but
 *   not applied. A line that could only be written in part is cut off again (the file is truncated back
 *   to the last whole line), so the log stays whole lines.
 * - The lines go to `FILE.<random>.tmp` in FILE's directory; `end` writes the end line, fsyncs, renames
 *   the temp file to FILE and fsyncs the directory. A crash never leaves half a log at FILE: what was
 *   logged until then is in the temp file, which `render --session TMP --seconds S` replays. The temp
 *   file is also fdatasynced at most once a second while lines come in.
 * - FILE that exists and is not a regular file (a pipe, /dev/stdout) is written in place.
 *
 * Control thread only (small synchronous writes, never on the audio path).
 */
import { closeSync, constants, fdatasyncSync, fsyncSync, ftruncateSync, openSync, realpathSync, renameSync, statSync, writeSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { fileWriteError, FileWriteError } from '../io/file-error';
import type { SessionEvent } from './session-events';
export type { SessionEvent } from './session-events';
export { readSessionLog } from './session-log-read';

/** Longest time lines stay in the page cache only (a crash of the machine loses at most this). */
const SYNC_EVERY_MS = 1000;

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

export class SessionLog {
  private fd: number | undefined;
  /** Bytes of whole lines written so far (the truncation point after a failed write). */
  private length = 0;
  private lastSync = Date.now();
  private dirty = false;
  /** Where the lines are until `end` (the final path itself when written in place). */
  readonly tempPath: string;
  private readonly target: string;
  private readonly atomic: boolean;

  /** Opens the temp file (FileWriteError naming `path` when it cannot). */
  constructor(readonly path: string) {
    const existing = statOrUndefined(path);
    this.atomic = !existing || existing.isFile() || existing.isDirectory();
    this.target = existing?.isFile() ? realpathSync(path) : path;
    this.tempPath = this.atomic ? join(dirname(this.target), `${basename(this.target)}.${randomBytes(6).toString('hex')}.tmp`) : path;
    try {
      this.fd = this.atomic ? openSync(this.tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o666) : openSync(path, 'w');
    } catch (e) {
      throw fileWriteError(path, e);
    }
  }

  /**
   * Appends one event as a line. Throws FileWriteError (the file is left ending with its last whole
   * line) when it cannot be written: the caller must then not apply the change.
   */
  write(ev: SessionEvent): void {
    this.writeLine(JSON.stringify(ev) + '\n');
  }

  /** Appends several events at once: all their lines are written, or none (FileWriteError). */
  writeAll(evs: readonly SessionEvent[]): void {
    this.writeLine(evs.map((ev) => JSON.stringify(ev) + '\n').join(''));
  }

  /** A structural edit at `frame`, with the patch document already serialised (`patchJson`). */
  writePatch(frame: number, patchJson: string): void {
    this.writeLine(`{"type":"patch","frame":${frame},"patch":${patchJson}}\n`);
  }

  private writeLine(line: string): void {
    const fd = this.fd;
    if (fd === undefined) throw new FileWriteError(this.path, 'EBADF', 'the session log is already closed');
    const data = Buffer.from(line, 'utf8');
    try {
      for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done, this.atomic ? this.length + done : null);
    } catch (e) {
      if (this.atomic) {
        try {
          ftruncateSync(fd, this.length);
        } catch {
          // nothing more can be done: the reader refuses a cut-off last line
        }
      }
      throw fileWriteError(this.path, e);
    }
    this.length += data.length;
    this.dirty = true;
    const now = Date.now();
    if (this.atomic && now - this.lastSync >= SYNC_EVERY_MS) {
      this.lastSync = now;
      this.dirty = false;
      try {
        fdatasyncSync(fd);
      } catch {
        // durability against a machine crash only; the commit at the end reports a real problem
      }
    }
  }

  /**
   * Writes the end line, makes the log durable and moves it to its final path. Throws FileWriteError
   * when that fails: the temp file is then kept (it holds every change; `tempPath` names it).
   */
  end(frame: number): void {
    if (this.fd === undefined) return;
    this.write({ type: 'end', frame });
    const fd = this.fd;
    try {
      if (this.atomic && this.dirty) fsyncSync(fd);
      this.fd = undefined;
      closeSync(fd);
      if (this.atomic) renameSync(this.tempPath, this.target);
    } catch (e) {
      throw fileWriteError(this.path, e);
    }
    if (this.atomic) syncDirectory(dirname(this.target));
  }

  /** Closes without the end line (the temp file stays for recovery). Never throws. */
  abandon(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {
      // already unusable
    }
  }
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some file systems cannot fsync a directory: the rename is done, just not forced to disk
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
