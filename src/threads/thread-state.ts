/**
 * Scheduler state of one thread of this process (Linux: the state letter of
 * /proc/self/task/TID/stat). The watchdog reads it to tell a worker that spins (a hang: running or
 * runnable, R) from one waiting in the kernel (S: sleeping, D: uninterruptible, e.g. on a lock or a page
 * fault while another thread maps or frees memory): only the first is the module's fault.
 *
 * A thread that is runnable (R) but kept off its core is not spinning either: its CPU time (schedstat)
 * tells, over the time it has not been seen waiting.
 *
 * Not RT-safe (a system call per read); the watchdog reads it only for a worker already stuck in one
 * call for half the hang budget. The file stays open; reads go to a buffer made once.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const CLOSE_PAREN = 0x29, SPACE = 0x20;

export class ThreadState {
  private readonly buf = Buffer.alloc(256);

  private constructor(
    private fd: number,
    /** /proc/self/task/TID/schedstat (-1: not available). */
    private cpuFd: number,
  ) {}

  /** undefined where the kernel does not give it (no such thread, no procfs). */
  static open(tid: number): ThreadState | undefined {
    if (!(tid > 0)) return undefined;
    try {
      let cpuFd = -1;
      try {
        cpuFd = openSync(`/proc/self/task/${tid}/schedstat`, 'r');
      } catch {
        // no schedstat: the state alone decides
      }
      const t = new ThreadState(openSync(`/proc/self/task/${tid}/stat`, 'r'), cpuFd);
      return t.state() !== '' ? t : (t.close(), undefined);
    } catch {
      return undefined;
    }
  }

  /** Nanoseconds the thread has run on a CPU (first field of schedstat); NaN when unknown. */
  cpuNanos(): number {
    if (this.cpuFd < 0) return NaN;
    let n: number;
    try {
      n = readSync(this.cpuFd, this.buf, 0, this.buf.length, 0);
    } catch {
      return NaN;
    }
    let v = 0, digits = 0;
    for (let i = 0; i < n; i++) {
      const c = this.buf[i];
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      digits++;
    }
    return digits > 0 ? v : NaN;
  }

  /** The state letter (R, S, D, …), or '' when it cannot be read (the thread is gone). */
  state(): string {
    let n: number;
    try {
      n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
    } catch {
      return '';
    }
    // "tid (comm) S …": comm may hold spaces and parentheses, so the state follows the last ')'.
    for (let i = n - 1; i > 0; i--) {
      if (this.buf[i] === CLOSE_PAREN) return i + 2 < n && this.buf[i + 1] === SPACE ? String.fromCharCode(this.buf[i + 2]) : '';
    }
    return '';
  }

  /** True when the thread is waiting in the kernel (S or D), not running or runnable. */
  waiting(): boolean {
    const s = this.state();
    return s === 'S' || s === 'D';
  }

  close(): void {
    for (const fd of [this.fd, this.cpuFd]) {
      if (fd < 0) continue;
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
    this.fd = this.cpuFd = -1;
  }
}
