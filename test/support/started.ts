/**
 * Waiting for a child process to say it has started, without ever waiting forever: the promise
 * settles in exactly one of three ways, each saying why.
 * - The child prints a line matching `ready` on stdout: resolves with the match.
 * - The child exits (or cannot be spawned) before that: rejects with its exit code or signal and what
 *   it printed on stderr (e.g. a user module refused at load).
 * - Nothing matched within `ms`: rejects with everything it printed so far; the child is left running
 *   (the caller's cleanup, e.g. `stopServers`, ends it).
 * The timer is a normal (ref'd) one, cleared when the promise settles: an unref'd timer lets the test
 * file's event loop empty when the child dies, and the test is cancelled with "Promise resolution is
 * still pending" and no reason.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';

export interface Output {
  stdout: () => string;
  stderr: () => string;
}

/** Collects a child's stdout and stderr from now on. */
export function collect(proc: ChildProcessWithoutNullStreams): Output {
  let out = '', err = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (err += d));
  return { stdout: () => out, stderr: () => err };
}

/** Resolves with the first match of `ready` in the child's stdout; see the header for the rejections. */
export function waitForStart(proc: ChildProcessWithoutNullStreams, output: Output, ready: RegExp, what: string, ms: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const printed = () => `stdout: ${JSON.stringify(output.stdout())}, stderr: ${JSON.stringify(output.stderr())}`;
    const settle = (fn: () => void) => {
      clearTimeout(timer);
      proc.stdout.off('data', onData);
      proc.off('exit', onExit);
      proc.off('error', onError);
      fn();
    };
    const onData = () => {
      const m = ready.exec(output.stdout());
      if (m) settle(() => resolve(m));
    };
    // 'exit' may come before the last of stdout and stderr is read: wait for the pipes to end (at
    // most 500 ms: a grandchild may hold them open) and look once more.
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      const drained = (s: NodeJS.ReadableStream & { readableEnded: boolean }) => (s.readableEnded ? Promise.resolve() : new Promise<void>((r) => s.once('end', () => r())));
      const grace = new Promise<void>((r) => setTimeout(r, 500));
      void Promise.race([Promise.all([drained(proc.stdout), drained(proc.stderr)]), grace]).then(() => {
        const m = ready.exec(output.stdout());
        if (m) return settle(() => resolve(m));
        settle(() => reject(new Error(`${what} exited (${code !== null ? `code ${code}` : `signal ${signal}`}) before it started: ${printed()}`)));
      });
    };
    const onError = (e: Error) => settle(() => reject(new Error(`${what} could not be started: ${e.message}`)));
    const timer = setTimeout(() => settle(() => reject(new Error(`${what} did not start within ${ms / 1000} s: ${printed()}`))), ms);
    proc.stdout.on('data', onData);
    proc.on('exit', onExit);
    proc.on('error', onError);
    onData();
    if (proc.exitCode !== null || proc.signalCode !== null) onExit(proc.exitCode, proc.signalCode);
  });
}
