/**
 * Child processes in their own process group, so a test can end a command together with whatever it
 * started (`play`'s priority helper; a `pw-jack` or shell wrapper's command): killing only the direct
 * child could leave the rest orphaned, holding the test's pipes open, and the test file would never finish.
 */
import { spawn, type ChildProcessWithoutNullStreams, type SpawnOptionsWithoutStdio } from 'node:child_process';

/** spawn() in a new process group (stdio piped). */
export function spawnGroup(cmd: string, args: string[], opts: SpawnOptionsWithoutStdio): ChildProcessWithoutNullStreams {
  return spawn(cmd, args, { ...opts, detached: true });
}

/**
 * SIGKILL goes to the whole group at once. Other signals go to the leader only (the engine, or a wrapper
 * that execs it; the priority helper ends by itself when the engine is gone); the group is
 * SIGKILLed 15 s later if anything of it is still there (more than `play` needs to shut down).
 */
export function killGroup(p: ChildProcessWithoutNullStreams, signal: NodeJS.Signals = 'SIGTERM'): void {
  const group = (sig: NodeJS.Signals) => {
    try {
      process.kill(-p.pid!, sig);
    } catch {
      // the group is gone already
    }
  };
  if (signal === 'SIGKILL') return group(signal);
  p.kill(signal);
  setTimeout(() => group('SIGKILL'), 15_000).unref();
}

/** SIGKILLs the whole group of a process that is still running and waits (at most 5 s) for it to exit. */
export async function killGroupAndWait(p: ChildProcessWithoutNullStreams): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  killGroup(p, 'SIGKILL');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
}
