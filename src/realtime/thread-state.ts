/**
 * Scheduler state of one thread of this process (Linux: the state letter of
 * /proc/self/task/TID/stat). The watchdog reads it to tell a worker that spins (a hang: running or
 * runnable, R) from one waiting in the kernel (S: sleeping, D: uninterruptible, e.g. on a lock or a page
 * fault while another thread maps or frees memory): only the first is the module's fault.
 *
 * Why the state and not CPU time (schedstat, tried first): CPU time needs a reading when a call is
 * first seen and a window to measure over; the state needs one reading, at the moment of decision.
 *
 * Not RT-safe (a system call per read); the watchdog reads it only for a worker already stuck in one
 * call past the hang budget. The file stays open; reads go to a buffer made once.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const CLOSE_PAREN = 0x29, SPACE = 0x20;

export class ThreadState {
  private readonly buf = Buffer.alloc(256);

  private constructor(private fd: number) {}

  /** undefined where the kernel does not give it (no such thread, no procfs). */
  static open(tid: number): ThreadState | undefined {
    if (!(tid > 0)) return undefined;
    try {
      const t = new ThreadState(openSync(`/proc/self/task/${tid}/stat`, 'r'));
      return t.state() !== '' ? t : (t.close(), undefined);
    } catch {
      return undefined;
    }
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
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = -1;
  }
}
