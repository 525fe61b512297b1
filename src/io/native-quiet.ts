/**
 * Captures what native code writes to the process's stdout and stderr while a call runs.
 *
 * Opening an audio context makes node-web-audio-api's native backends probe the machine: libjack and
 * its Rust binding print `Failed to open client because of error: ClientError(...)` on stdout when no
 * JACK server runs, and libasound prints a dozen `ALSA lib ...` lines on stderr when there is no sound
 * card. They write to file descriptors 1 and 2 directly, below Node's streams, so the only place to
 * catch them is the descriptors themselves. Node has no dup2, so this does the same with close and
 * open (POSIX gives the lowest free descriptor to the next open): it reopens the current targets of
 * fd 1 and 2 through /proc/self/fd (to restore them afterwards), closes fd 1 and 2 and opens a private
 * temp file in their place, runs the call, then puts the original targets back the same way. What was
 * written meanwhile is returned; the caller prints it when asked to be verbose.
 *
 * Limits, by design: only synchronous work is captured (a native thread that prints later is not);
 * and between each close and its open another thread opening a file would take the free descriptor.
 * Call it on the control thread at a moment when no other thread of the process opens files (the
 * device is opened at start-up, before the OSC server and the engine's workers do any I/O), and it
 * checks every descriptor it gets: anything unexpected ends the capture and restores what it can.
 * Where fd 1 or 2 cannot be reopened (a socket, or no /proc) nothing is captured and the call runs
 * as is. Not for the audio path (it blocks on file system calls).
 */
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Captured<T> {
  /** The call's result (undefined when it threw). */
  value?: T;
  /** What the call threw, if it did. */
  error?: unknown;
  /** Everything written to fd 1 and fd 2 during the call, in order; '' when nothing was captured. */
  output: string;
  /** False when the descriptors could not be redirected and the call's output went where it always goes. */
  captured: boolean;
}

/** Opens `path` expecting the lowest free descriptor to be `fd`; returns the descriptor it got. */
function openAt(path: string, fd: number): number {
  const got = openSync(path, 'a');
  if (got !== fd) throw new Error(`expected descriptor ${fd}, got ${got}`);
  return got;
}

const O_APPEND = 0o2000;

/**
 * True when `fd` can be put back by reopening its target: a terminal, a pipe, a character device
 * (/dev/null), or a file opened for appending. A regular file written at an offset it shares with
 * other processes (`> log`, the shell's own) cannot: a reopened one has its own offset, and the others
 * would write over what this process wrote after it. Those keep their descriptor (and the noise).
 */
function reopenable(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (st.isCharacterDevice() || st.isFIFO()) return true;
    if (!st.isFile()) return false;
    const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return !!flags && (parseInt(flags[1], 8) & O_APPEND) !== 0;
  } catch {
    return false;
  }
}

/** Runs `fn` with fd 1 and 2 pointed at a temp file and returns what was written there. Control thread only. */
export function captureNativeOutput<T>(fn: () => T): Captured<T> {
  const call = (): { value?: T; error?: unknown } => {
    try {
      return { value: fn() };
    } catch (error) {
      return { error };
    }
  };
  // Node's own writes on these streams are synchronous on Linux (files, pipes, terminals); a stream
  // with writes still queued keeps its descriptor.
  const fds = process.platform !== 'linux' ? [] : ([[1, process.stdout], [2, process.stderr]] as const).filter(([fd, s]) => s.writableLength === 0 && reopenable(fd)).map(([fd]) => fd);
  const saved = new Map<number, number>(); // fd → a reopened descriptor of its original target
  try {
    for (const fd of fds) saved.set(fd, openSync(`/proc/self/fd/${fd}`, 'a'));
  } catch {
    for (const s of saved.values()) closeSync(s);
    return { ...call(), output: '', captured: false };
  }
  if (saved.size === 0) return { ...call(), output: '', captured: false };
  const dir = mkdtempSync(join(tmpdir(), 'modsynth-native-'));
  const file = join(dir, 'output');
  closeSync(openSync(file, 'w', 0o600));
  const moved: number[] = [];
  let result: { value?: T; error?: unknown };
  try {
    for (const fd of saved.keys()) {
      closeSync(fd);
      moved.push(fd); // closed: from here on it must be put back whatever happens
      openAt(file, fd);
    }
    result = call();
  } finally {
    // Put the original targets back the same way (close, then the open lands on the freed number).
    for (const fd of moved) {
      try {
        closeSync(fd);
      } catch {
        // it was not reopened (the redirect failed at this descriptor)
      }
      openAt(`/proc/self/fd/${saved.get(fd)}`, fd);
    }
    for (const s of saved.values()) closeSync(s);
  }
  let output = '';
  try {
    output = readFileSync(file, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { ...result, output, captured: true };
}
