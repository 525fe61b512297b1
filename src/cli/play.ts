/**
 * `modsynth play` and `modsynth serve`: stream a patch to the audio device in real time, through the
 * multi-worker engine, with OSC control. This file holds the commands' entry: real-time scheduling
 * (the process raised to SCHED_FIFO in place where allowed) and the stop signals; one run is `LiveRun`
 * (live-run.ts).
 * Control thread.
 */
import type { Patch } from '../plan/patch';
import { LiveSession } from '../control/session';
import { loadPatchFile } from './load';
import { checkRealtime, declineRealtimeForPulse } from '../threads/realtime-launch';
import { probeBackend } from '../io/backend-probe';
import { signalExitCode, StopRequest } from './stop-signals';
import { parseHostPort, type PlayOptions } from './live-options';
import { LiveRun } from './live-run';

export type { PlayOptions } from './live-options';

/** `modsynth serve [PATCH]`: like play, starting empty when no patch is given. */
export async function serveCommand(path: string | undefined, opts: PlayOptions): Promise<number | void> {
  return liveCommand(path, path ? loadPatchFile(path) : LiveSession.emptyPatch(), opts);
}

export async function playCommand(path: string, opts: PlayOptions): Promise<number | void> {
  return liveCommand(path, loadPatchFile(path), opts); // validated before anything else
}

async function liveCommand(path: string | undefined, patch: Patch, opts: PlayOptions): Promise<number | void> {
  const osc = opts.osc === false ? undefined : parseHostPort(opts.osc);
  // The raise itself comes once the engine is warm (LiveRun.start); never through a Pulse server
  // (threads/realtime-launch.ts declineRealtimeForPulse).
  const backend = await probeBackend();
  const rt = backend === 'pulse' ? declineRealtimeForPulse() : checkRealtime();
  if (rt.state === 'denied') console.warn(`warning: no real-time scheduling: ${rt.reason}; underruns are possible under CPU load`);
  if (rt.state === 'declined' && opts.verbose) console.error(`modsynth: no real-time scheduling: ${rt.reason}`);
  // From here on a stop signal never kills the process: it asks for the run's shutdown, which keeps the
  // recording and the session log. A repeat after the grace time saves them synchronously and exits.
  let run: LiveRun | undefined;
  const stop = new StopRequest((sig) => {
    console.error(`modsynth: ${sig} again during the shutdown; saving the recording and exiting now`);
    try {
      run?.saveNow();
    } finally {
      process.exit(signalExitCode(sig));
    }
  });
  try {
    run = new LiveRun(path, patch, opts, osc, stop, rt.state === 'allowed', backend);
    return await run.run();
  } finally {
    stop.dispose();
  }
}
