/**
 * CPU time of one thread of this process (Linux: the first field of /proc/self/task/TID/schedstat,
 * nanoseconds on the CPU). The watchdog reads it to tell a worker that spins (a hang: it keeps its core)
 * from one kept off the CPU (waiting in the kernel, or preempted): only the first is the module's fault.
 *
 * Not RT-safe (a system call per read); the watchdog reads it only for a worker already suspect, twice
 * per suspicion. The file stays open; reads go to a buffer made once.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export class ThreadCpu {
  private readonly buf = Buffer.alloc(64);

  private constructor(private fd: number) {}

  /** undefined where the kernel does not give it (no such thread, no schedstat). */
  static open(tid: number): ThreadCpu | undefined {
    if (!(tid > 0)) return undefined;
    try {
      const t = new ThreadCpu(openSync(`/proc/self/task/${tid}/schedstat`, 'r'));
      return t.nanos() === t.nanos() ? t : (t.close(), undefined);
    } catch {
      return undefined;
    }
  }

  /** Nanoseconds this thread has run on a CPU so far; NaN when it cannot be read (thread gone). */
  nanos(): number {
    let n: number;
    try {
      n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
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
