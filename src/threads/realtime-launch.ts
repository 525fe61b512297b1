/**
 * Real-time scheduling for `play`: re-runs the command under `chrt -f 5` (SCHED_FIFO, priority 5) so the
 * engine's threads (which inherit the policy) are not preempted for milliseconds by normal-priority
 * work. Measured on the 2-core machine kind: 0 underruns under load with SCHED_FIFO, 15–70 without.
 * Where that is not allowed, the caller keeps running normally and prints a warning.
 *
 * All threads keep the inherited FIFO 5. Other orderings were measured and were worse (canonical
 * workload, 64 voices, JACK dummy driver 256 frames, 5 s runs, underruns): all at FIFO 5: 5–7;
 * DSP workers at 4: 26–135; DSP workers at 6: 0, but the device thread starved (12.6 s of wall time
 * for 5 s of audio); device threads raised to 6: 77–359 (they seem to busy-wait); V8/libuv helper
 * threads moved to SCHED_OTHER: 9–42 (background JIT compiles starve, load rises).
 */
import { spawn, spawnSync } from 'node:child_process';

export const RT_ENV = 'MODSYNTH_RT';

/** How the caller stops: the signals the launcher forwards to the child, and the exit status a signal means. */
export interface StopSignals {
  readonly signals: readonly NodeJS.Signals[];
  exitCode(signal: NodeJS.Signals): number;
}

/** 'child' when this process is the re-run under chrt; 'denied' with a reason; or the child's exit code. */
export async function ensureRealtime(argv: string[], stop: StopSignals): Promise<{ state: 'child' } | { state: 'denied'; reason: string } | { state: 'ran'; code: number }> {
  if (process.env[RT_ENV] === '1') {
    watchParent();
    return { state: 'child' };
  }
  if (process.env[RT_ENV] === '0') return { state: 'denied', reason: 'disabled by MODSYNTH_RT=0' };
  const probe = spawnSync('chrt', ['-f', '5', 'true'], { stdio: 'ignore' });
  if (probe.error) return { state: 'denied', reason: 'chrt not found (Debian package util-linux)' };
  if (probe.status !== 0) return { state: 'denied', reason: 'SCHED_FIFO not permitted (run as root, or grant rtprio in /etc/security/limits.conf)' };
  const child = spawn('chrt', ['-f', '5', process.execPath, ...argv.slice(1)], { stdio: 'inherit', env: { ...process.env, [RT_ENV]: '1' } });
  // Every stop signal is forwarded (a signal to this process alone must reach the engine). A signal to
  // the whole group (Ctrl-C in a terminal) reaches the child twice then; it takes the repeat for the
  // same request (see cli/stop-signals.ts). This process never dies of a stop signal itself: it waits for
  // the child, whose shutdown saves the recording, and exits with the child's status.
  const forwards = stop.signals.map((sig) => [sig, () => child.kill(sig)] as const);
  for (const [sig, h] of forwards) process.on(sig, h);
  const code = await new Promise<number>((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? stop.exitCode(sig) : 1))));
  for (const [sig, h] of forwards) process.off(sig, h);
  return { state: 'ran', code };
}

/**
 * The re-run child ends when the process that started it is gone (killed with SIGKILL, say, which it
 * cannot forward): an orphan would keep playing, and keep its parent's pipes open, forever. A SIGTERM
 * goes through the normal, bounded shutdown. Polls twice a second, on an unref'd timer.
 */
function watchParent(): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    console.error('modsynth: the parent process is gone; stopping');
    process.kill(process.pid, 'SIGTERM');
  }, 500);
  timer.unref();
}
