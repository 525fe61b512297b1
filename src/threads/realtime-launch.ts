/**
 * Real-time scheduling for `play` and `serve`: the engine's threads run under SCHED_FIFO 5 while audio
 * plays, so they are not preempted for milliseconds by normal-priority work (measured on the 2-core
 * machine kind: 0 underruns under load with SCHED_FIFO, 15–70 without). Where that is not allowed, the
 * caller keeps running normally and prints a warning.
 *
 * The start-up runs at SCHED_OTHER and the process is raised in place just before the device starts
 * (no second Node start, --module-dir's modules module-tested once):
 * `checkRealtime` (at start: may this process use SCHED_FIFO?) then `raiseToRealtime` (after the engine
 * is warm: every thread that exists goes to FIFO 5 through the priority helper, and threads created
 * afterwards, the device's among them, inherit it). Why not from the start:
 *   - `play` used to re-run itself under `chrt -f 5`: a second Node start, the CLI loaded and the patch
 *     read twice, --module-dir's modules module-tested twice;
 *   - raising in place at the very start (`chrt -f -a -p 5 PID`, the warm-up then at FIFO) was measured
 *     much slower: time to the first frame 4.9–5.0 s median against 2.1 s for the re-run (6 starts each,
 *     alternating, the same minutes; two of the three workers' warm-ups took 3.2–3.7 s instead of ~1 s:
 *     V8's compiles seem to wait behind the FIFO workers; why a process born under chrt does not show
 *     it is not known). Starting at SCHED_OTHER and raising here costs the same as the re-run
 *     (examples/demo.json on JACK, median of 5–10 starts, the same hour: quiet machine 2.26 s against
 *     2.15 s; a normal-priority busy loop on the other core 2.77 s against 2.54 s, the warm-up then
 *     sharing the cores with it; two SCHED_FIFO processes busy 3 of every 5 ms 5.2 s against 5.1 s).
 * After the raise every thread is where the re-run put it (FIFO 5; the watchdog at 6, set through the
 * helper when it starts), and thread-policy.ts lowers the control thread and V8's helpers to 4 once the
 * device plays. Other orderings were measured and were worse (canonical workload, 64 voices, JACK dummy
 * driver 256 frames, 5 s runs, underruns): all at FIFO 5: 5–7; DSP workers at 4: 26–135; DSP workers at
 * 6: 0, but the device thread starved (12.6 s of wall time for 5 s of audio); device threads raised to
 * 6: 77–359 (they seem to busy-wait); V8/libuv helper threads moved to SCHED_OTHER: 9–42 (background
 * JIT compiles starve, load rises). Control thread, at start.
 */
import { spawnSync } from 'node:child_process';
import { expectRealtime, processIsRealtime, raiseProcessThreads, WORKER_PRIORITY } from './thread-policy';

/** `MODSYNTH_RT=0` keeps the process at normal priority. */
export const RT_ENV = 'MODSYNTH_RT';

export type RealtimeCheck =
  | { state: 'allowed' }
  | { state: 'denied'; reason: string }
  /** Not taken: the audio server that plays us moves the audio at normal priority (declineRealtimeForPulse). */
  | { state: 'declined'; reason: string };

/**
 * Whether this process may run under SCHED_FIFO (a `chrt -f 5 true` probe: one fork, at start, before
 * any engine thread exists); when it may, engines started from now on prepare for the raise
 * (thread-policy.ts expectRealtime). Already under a real-time policy (started with `chrt`): allowed.
 */
export function checkRealtime(): RealtimeCheck {
  if (process.env[RT_ENV] === '0') return { state: 'denied', reason: 'disabled by MODSYNTH_RT=0' };
  if (!processIsRealtime()) {
    const probe = spawnSync('chrt', ['-f', String(WORKER_PRIORITY), 'true'], { stdio: 'ignore' });
    if (probe.error) return { state: 'denied', reason: 'chrt not found (Debian package util-linux)' };
    if (probe.status !== 0) return { state: 'denied', reason: 'SCHED_FIFO not permitted (run as root, or grant rtprio in /etc/security/limits.conf)' };
  }
  expectRealtime();
  return { state: 'allowed' };
}

/**
 * `checkRealtime` for output through a PulseAudio server (or PipeWire's Pulse interface) behind ALSA:
 * declined, always. Part of such a server runs at normal priority even where its sink thread runs
 * real-time (the test servers: the null sink's thread at SCHED_RR 5, the main thread at nice −11, as
 * with rtkit on a desktop); while SCHED_FIFO threads of ours hold every core it does not run, and when
 * that lasts longer than the buffer the sink plays silence and our audio comes late.
 * Measured on the 2-core machine kind, idle, the canonical 64-voice patch on two workers into a
 * PulseAudio null sink for 8 s (4096-frame buffer, load 10 %): under FIFO, 2–4 silences of 21–128 ms
 * inserted in each of 3 of 3 runs (0 underruns counted); at normal priority none in 3 of 3; CI lost
 * 85 ms of the 8 s sine test that way. At normal priority the sine test lost nothing with 0–3 busy
 * loops beside it (14 of 14 runs, 0 underruns). JACK and PipeWire's JACK interface are not concerned:
 * their servers move the audio on real-time threads above their clients.
 */
export function declineRealtimeForPulse(): RealtimeCheck {
  return { state: 'declined', reason: 'playing through PulseAudio, whose server takes our audio at normal priority; SCHED_FIFO threads of ours would starve it' };
}

/**
 * Raises this process's threads to SCHED_FIFO (those at SCHED_OTHER; see raiseProcessThreads). Call
 * once the engine is started and warm, before the device starts. Resolves with a problem to warn
 * about, or undefined. Control thread.
 */
export async function raiseToRealtime(): Promise<string | undefined> {
  const failed = await raiseProcessThreads();
  if (!processIsRealtime()) return 'the process could not be raised to SCHED_FIFO; underruns are possible under CPU load';
  return failed > 0 ? `${failed} thread(s) could not be raised to SCHED_FIFO` : undefined;
}
