/**
 * Changes thread priorities without forking the engine's process while audio plays.
 *
 * `chrt` is a separate program, and Node starts programs with fork(): the whole address space is
 * marked copy-on-write until the child execs, and every thread then takes a page fault on each page it
 * writes, the audio workers' heaps and the shared arena included (measured here: a 10 ms spawnSync, then
 * 7,800 page faults to touch 32 MB). A hang declared by the watchdog (which demotes the hung thread)
 * was followed by a healthy worker stuck past the hang budget: a false hang, and replacements cascaded.
 *
 * So a small shell process is started once, before audio, at SCHED_OTHER: it reads requests from a
 * named pipe and runs `chrt` itself (it forks, not us). It ends, removing its pipe, when the engine
 * closes it or when the engine's process is gone (its stdin, a pipe from us, reaches EOF). A request is
 * one line, `ID CHRT-ARGS` (under PIPE_BUF, so writes from several threads never interleave); it answers
 * `ID STATUS` on its stdout. The control thread awaits answers; the watchdog thread writes to the pipe and goes on.
 *
 * Control thread only, except `PriorityPipe` (any thread: one write system call per request).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { closeSync, constants, openSync, rmSync, writeSync } from 'node:fs';
import { makeTempDir } from './temp-dir';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

const SCRIPT = [
  'mkfifo "$1" || exit 1',
  'trap \'rm -f "$1"; rmdir "${1%/*}" 2>/dev/null; exit 0\' TERM INT HUP',
  'exec 3<>"$1"', // read-write: never sees EOF when a writer closes, never blocks a writer's open
  // stdin is a pipe from the engine that nobody writes: EOF when the engine is gone, even killed. (An
  // asynchronous list's stdin is /dev/null unless redirected explicitly, hence fd 4.)
  'exec 4<&0',
  '(cat <&4 >/dev/null; kill -TERM $$) &',
  'echo ready',
  'while read -r id args <&3; do',
  '  chrt $args >/dev/null 2>&1', // args: flags and numbers only (chrtArgs), split on purpose
  '  echo "$id $?"',
  'done',
].join('\n');

/** chrt arguments that set thread `tid` to SCHED_FIFO at `priority`, or SCHED_OTHER for 0. */
export function chrtArgs(tid: number, priority: number): string[] {
  return priority > 0 ? ['-f', '-p', String(priority), String(tid)] : ['-o', '-p', '0', String(tid)];
}

/** The request pipe, as opened by any thread (the watchdog's own copy). Not RT-safe: a write(2). */
export class PriorityPipe {
  private fd: number;

  /** Opens without blocking: throws (ENXIO) at once if the helper is gone, instead of waiting for it. */
  constructor(readonly path: string) {
    this.fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  }

  /** Asks for `tid` at `priority` (0: SCHED_OTHER) and does not wait; false if the pipe is gone. */
  send(tid: number, priority: number, id = 0): boolean {
    if (tid <= 0 || this.fd < 0) return false;
    try {
      writeSync(this.fd, `${id} ${chrtArgs(tid, priority).join(' ')}\n`);
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

export class PriorityHelper {
  private nextId = 1;
  private readonly waiting = new Map<number, (ok: boolean) => void>();
  private pipe: PriorityPipe;

  private constructor(
    private readonly child: ChildProcessByStdio<Writable, Readable, null>,
    private readonly dir: string,
    readonly path: string,
  ) {
    this.pipe = new PriorityPipe(path);
    let buffered = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const [id, status] = buffered.slice(0, nl).split(' ').map(Number);
        buffered = buffered.slice(nl + 1);
        this.waiting.get(id)?.(status === 0);
        this.waiting.delete(id);
      }
    });
    child.on('exit', () => {
      for (const done of this.waiting.values()) done(false);
      this.waiting.clear();
    });
  }

  /** Starts the helper (SCHED_OTHER); undefined when it cannot run (no sh, chrt or mkfifo). */
  static async start(): Promise<PriorityHelper | undefined> {
    let dir: string;
    try {
      dir = makeTempDir('modsynth-prio-'); // $TMPDIR, else /tmp with a warning
    } catch (e) {
      console.warn(`warning: no priority helper: ${(e as Error).message}`);
      return undefined;
    }
    const path = join(dir, 'requests');
    const child = spawn('chrt', ['-o', '0', 'sh', '-c', SCRIPT, 'sh', path], { stdio: ['pipe', 'pipe', 'ignore'] });
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 3000);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        resolve(ok);
      };
      child.once('error', () => done(false));
      child.once('exit', () => done(false));
      child.stdout.once('data', (d: Buffer) => done(d.toString().startsWith('ready')));
    });
    if (ready) {
      child.removeAllListeners('exit');
      child.unref();
      for (const stream of [child.stdout, child.stdin]) (stream as unknown as { unref?: () => void }).unref?.();
      try {
        return new PriorityHelper(child, dir, path);
      } catch {
        // the pipe could not be opened: give up on the helper
      }
    }
    child.kill();
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }

  /** Sets `tid` to SCHED_FIFO at `priority` (0: SCHED_OTHER); resolves with chrt's success. */
  set(tid: number, priority: number): Promise<boolean> {
    if (tid <= 0) return Promise.resolve(false);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      if (!this.pipe.send(tid, priority, id)) {
        this.waiting.delete(id);
        resolve(false);
      }
    });
  }

  close(): void {
    this.pipe.close();
    this.child.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
