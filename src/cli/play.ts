/**
 * `modsynth play`: streams a patch to the audio device in real time, through the multi-worker engine.
 * Control thread: starts the engine, opens the device, prints what a musician needs (latency,
 * underruns, load) at the start, live on a terminal and at the end, drains the record tap, and stops
 * cleanly on Ctrl-C, SIGTERM or after --seconds.
 */
import { readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Engine } from '../engine/engine';
import type { Patch } from '../engine/patch';
import { LiveSession } from '../control/session';
import { OscServer } from '../control/osc-server';
import { SessionLog } from '../control/session-log';
import { loadMidiFor } from './midi';
import { openLiveMidi, type LiveMidiInput } from '../midi/live-input';
import { DeviceSink, RecordTap } from '../io/device';
import { writeWav } from '../io/wav';
import { loadPatchFile } from './load';
import { ensureRealtime } from './realtime-priority';
import { signalExitCode, StopRequest } from './stop-signals';
import { defaultBufferFrames, probeBackend } from '../io/backend-probe';
import type { RenderPlan } from '../engine/compile';
import { UsageError } from './errors';

export interface PlayOptions {
  block: number;
  /** Device buffer in frames; default: the backend's (io/backend-probe.ts). */
  buffer?: number;
  workers: number;
  seconds?: number;
  record?: string;
  device?: string;
  sampleRate: number;
  /** Output ring capacity in blocks (default: enough for one device buffer plus one block). */
  ring?: number;
  /** OSC server address HOST:PORT, or false (--no-osc). */
  osc: string | false;
  /** Directory /patch/load and /patch/save may use. */
  patchDir?: string;
  /** Log every applied command with its sample time (replay with render --session). */
  recordSession?: string;
  hangMs?: number;
  maxFaults: number;
  faultWindow: number;
  spares: number;
  /** A MIDI file to play into the patch's midi-cv modules. */
  midi?: string;
  /** Live MIDI input: true for the first port, or a substring of the port's name. */
  midiIn?: string | boolean;
  quiet?: boolean;
  /** Show the native audio libraries' own output while they probe (dropped otherwise). */
  verbose?: boolean;
}

/** `modsynth serve [PATCH]`: like play, starting empty when no patch is given. */
export async function serveCommand(path: string | undefined, opts: PlayOptions): Promise<number | void> {
  return liveCommand(path, path ? loadPatchFile(path) : LiveSession.emptyPatch(), opts);
}

export async function playCommand(path: string, opts: PlayOptions): Promise<number | void> {
  return liveCommand(path, loadPatchFile(path), opts); // validated before anything else (and before chrt)
}

/** Longest a clean shutdown may take before `play` gives up on it (exit code 4). */
const SHUTDOWN_LIMIT_MS = 10_000;

/**
 * The device asking for no audio at all for this long (no render quantum, silent ones included; a
 * stalled engine only makes underruns) means it has stopped: a JACK server that went away leaves the
 * audio library spinning, and the stream would never end. `play` stops with exit code 5. Not checked
 * on the null sink, which cannot go away (its thread can be starved for seconds by other real-time
 * processes on a loaded machine: seen in CI with several engines running at once).
 */
const DEVICE_SILENT_MS = 2_000;

/** Exit code when the device stopped asking for audio. */
export const EXIT_DEVICE_LOST = 5;

/** OS threads of this process (Linux /proc; -1 elsewhere). */
function threadCount(): number {
  try {
    return readdirSync('/proc/self/task').length;
  } catch {
    return -1;
  }
}

function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port > 65535) throw new UsageError(`--osc takes HOST:PORT (IPv6 as [ADDR]:PORT), got "${text}"`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

async function liveCommand(path: string | undefined, patch: Patch, opts: PlayOptions): Promise<number | void> {
  const osc = opts.osc === false ? undefined : parseHostPort(opts.osc);
  const rt = await ensureRealtime(process.argv);
  if (rt.state === 'ran') return rt.code;
  // From here on a stop signal never kills the process: it asks for the shutdown below, which keeps the
  // recording and the session log. A repeat after the grace time saves them synchronously and exits.
  let saveNow: (() => void) | undefined;
  const stop = new StopRequest((sig) => {
    console.error(`modsynth: ${sig} again during the shutdown; saving the recording and exiting now`);
    try {
      saveNow?.();
    } finally {
      process.exit(signalExitCode(sig));
    }
  });
  try {
    return await runLive(path, patch, opts, osc, rt.state === 'denied' ? rt.reason : undefined, stop, (f) => (saveNow = f));
  } finally {
    stop.dispose();
  }
}

async function runLive(
  path: string | undefined,
  patch: Patch,
  opts: PlayOptions,
  osc: { host: string; port: number } | undefined,
  rtDenied: string | undefined,
  stop: StopRequest,
  onSaveNow: (save: () => void) => void,
): Promise<number | void> {
  const say = (line: string) => {
    if (!opts.quiet) console.log(line);
  };
  if (rtDenied) console.warn(`warning: no real-time scheduling: ${rtDenied}; underruns are possible under CPU load`);
  if (opts.workers < 1) throw new UsageError('play needs at least one worker (--workers ≥ 1)');

  const sr = opts.sampleRate, B = opts.block;
  // MIDI sources are checked before anything starts, so a bad file or a machine without MIDI is a
  // one-line error.
  const midiFile = opts.midi ? loadMidiFor(opts.midi, patch, path ?? '(empty patch)', sr) : undefined;
  if (midiFile && opts.seconds === undefined) opts = { ...opts, seconds: Math.ceil((midiFile.seconds + 2) * 10) / 10 };
  let sessionRef: LiveSession | undefined;
  const toModules = (status: number, d1: number, d2: number) => {
    const s = sessionRef;
    if (!s) return;
    for (const id of s.midiModules()) {
      try {
        s.sendMidi(id, status, d1, d2);
      } catch {
        // A full queue drops the message (counted by the engine as a dropped command).
      }
    }
  };
  let midiIn: LiveMidiInput | undefined;
  if (opts.midiIn !== undefined && opts.midiIn !== false) {
    try {
      midiIn = openLiveMidi(opts.midiIn === true ? '' : opts.midiIn, toModules);
    } catch (e) {
      throw new UsageError(`--midi-in: ${(e as Error).message}`);
    }
  }
  // The device buffer: as asked, or the backend's safe default (defaults never lose audio: see
  // io/backend-probe.ts). The ring must cover one device period plus the block being computed; the
  // default adds one block of margin, which absorbs a late wake-up on a loaded machine (measured:
  // period + 1 block at 256 frames gave 29 underruns a minute on the canonical 64-voice workload).
  const backend = await probeBackend();
  const buffer = opts.buffer ?? defaultBufferFrames(backend);
  const ringBlocks = opts.ring ?? Math.ceil(buffer / B) + 2;

  // Everything below is undone by `shutdown`, whichever step a stop signal or an error interrupts.
  let engine: Engine | undefined;
  let session: LiveSession | undefined;
  let server: OscServer | undefined;
  let sink: DeviceSink | undefined;
  let tap: RecordTap | undefined;
  let plan: RenderPlan | undefined;
  let reachedEnd = false, deviceLost = false;
  let firstFrameAt = 0;
  const t0 = Date.now();
  const underrunTimes: number[] = [];
  let lastUnderruns = 0;
  const status = () => {
    const c = engine!.sinkCounters();
    if (c.underruns > lastUnderruns) {
      underrunTimes.push(c.framesPlayed / sr);
      lastUnderruns = c.underruns;
    }
    return c;
  };
  const playedFrames = () => {
    const f = engine?.arena ? engine.sinkCounters().framesPlayed : 0;
    return opts.seconds !== undefined ? Math.min(f, Math.round(opts.seconds * sr)) : f;
  };
  // What a forced exit (a late repeated signal) still saves, synchronously.
  onSaveNow(() => {
    session?.endLog(playedFrames());
    if (tap && opts.record) saveRecording(tap, opts.record, sr, opts.seconds, () => undefined);
  });

  const live = !opts.quiet && process.stdout.isTTY === true && !process.env.CI;
  let deviceMs = (buffer * 1000) / sr;
  const ringMs = (ringBlocks * B * 1000) / sr;
  try {
    // The device is opened only once the engine is warm. Opening it first (so that its start overlaps
    // the workers' warm-up) was tried: on JACK the device then stopped asking for audio about 1 s in
    // (exit 5), its client starved while the warm-up held both cores at the same priority.
    engine = await Engine.start({ workers: opts.workers, spares: opts.spares, faults: { maxFaults: opts.maxFaults, windowS: opts.faultWindow } });
    if (stop.signal) return await shutdown();
    // Warm the JIT on this very plan for about half a second of audio before the device starts.
    plan = await engine.load(patch, { sampleRate: sr, blockSize: B, ringBlocks, hangMs: opts.hangMs, warmBlocks: Math.ceil((0.5 * sr) / B) });
    if (stop.signal) return await shutdown();
    const arena = engine.arena!;
    tap = opts.record ? new RecordTap(sr * 4) : undefined;
    engine.startStreaming(opts.seconds !== undefined ? opts.seconds * sr : undefined);
    // Everything the main thread has to set up happens before the device starts pulling, so that its
    // start-up work does not compete with the first device periods on a small machine.
    session = new LiveSession(patch, engine, resolve(opts.patchDir ?? (path ? dirname(path) : '.')), opts.recordSession ? new SessionLog(opts.recordSession) : undefined);
    sessionRef = session;
    if (osc) {
      try {
        server = await OscServer.start({ host: osc.host, port: osc.port, session, status: statusFields(engine, plan, sr, B) });
      } catch (e) {
        throw new UsageError(`cannot start the OSC server on ${osc.host}:${osc.port}: ${(e as Error).message} (another engine on this port? --osc HOST:PORT picks another, --no-osc runs without)`);
      }
      say(`OSC on udp://${server.address.host}:${server.address.port}${server.tcp ? ` and tcp://${server.address.host}:${server.tcp.port}` : ''} (patch directory ${session.patchDir})`);
    }
    reportFaults(engine, server, say, B, sr);
    try {
      sink = await DeviceSink.open({
        sampleRate: sr,
        bufferFrames: buffer,
        device: opts.device,
        sab: arena.sab,
        layout: arena.layout,
        record: tap ? { sab: tap.sab, frames: tap.frames } : undefined,
        verbose: opts.verbose,
        backend,
        onFallback: (reason) => console.warn(`modsynth: ${reason}`),
      });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (sink.info.reportedLatency > 0) deviceMs = sink.info.reportedLatency * 1000;
    say(
      `playing ${path ?? '(empty patch)'} — ${sink.info.label} at ${sink.info.sampleRate} Hz, block ${B}, ` +
        `${plan.workers} of ${opts.workers} workers; latency ${(ringMs + deviceMs).toFixed(1)} ms ` +
        `(ring ${ringMs.toFixed(1)} ms = ${ringBlocks} blocks, device ${deviceMs.toFixed(1)} ms${sink.info.reportedLatency > 0 ? '' : ' requested'})`,
    );
    if (stop.signal) return await shutdown();

    if (midiIn) say(`MIDI in: ${midiIn.name} → ${session.midiModules().join(', ') || '(no midi-cv module yet)'}`);
    if (midiFile) {
      // Frame 0 of the file is the first frame a change sent now can reach.
      const base = engine.firstReachableFrame();
      session.queueMidi(midiFile.events.map((e) => ({ frame: base + e.frame, data: e.data })), midiFile.targets);
      say(`MIDI file: ${opts.midi} (${midiFile.events.length} events, ${midiFile.seconds.toFixed(1)} s) → ${midiFile.targets.join(', ')}`);
    }

    let lastQuanta = -1, lastQuantumAt = t0;
    const theSink = sink, theEngine = engine;
    await new Promise<void>((resolveDone) => {
      const timer = setInterval(() => {
        const c = status();
        // When the engine's frame 0 went to the device (epoch ms; the benchmark's time to first sound).
        if (!firstFrameAt && c.framesPlayed > 0) firstFrameAt = Date.now() - (c.framesPlayed * 1000) / sr;
        tap?.drain();
        if (live) {
          const load = theEngine.stats().load.map((l) => `${(l * 100).toFixed(0)}%`).join('/');
          process.stdout.write(`\r  ${(c.framesPlayed / sr).toFixed(1)} s  underruns ${c.underruns}  load ${load}   `);
        }
        if (opts.seconds !== undefined && c.framesPlayed >= opts.seconds * sr) {
          reachedEnd = true;
          finish();
        } else if (c.deviceQuanta !== lastQuanta || theSink.info.backend === 'null') {
          lastQuanta = c.deviceQuanta;
          lastQuantumAt = Date.now();
        } else if (Date.now() - lastQuantumAt > DEVICE_SILENT_MS) {
          deviceLost = true;
          console.error(
            `modsynth: the audio device stopped asking for audio at ${(c.framesPlayed / sr).toFixed(2)} s ` +
              `(nothing for ${DEVICE_SILENT_MS / 1000} s: has the audio server gone?); stopping`,
          );
          finish();
        }
      }, 50);
      const finish = () => {
        clearInterval(timer);
        resolveDone();
      };
      void stop.received.then(finish);
    });
    return await shutdown();
  } catch (e) {
    await shutdown().catch(() => undefined);
    throw e;
  }

  /**
   * Stops whatever has started, in order, and saves the recording and the session log. Bounded: a
   * step that hangs for SHUTDOWN_LIMIT_MS is named, what can be saved is saved, and the process exits
   * with code 4.
   */
  async function shutdown(): Promise<number | void> {
    let step = 'draining the device';
    const guard = setTimeout(() => {
      console.error(`modsynth: shutdown stuck while ${step} for ${SHUTDOWN_LIMIT_MS / 1000} s; saving the recording and exiting`);
      try {
        session?.endLog(playedFrames());
        if (tap && opts.record) saveRecording(tap, opts.record, sr, opts.seconds, say);
      } finally {
        process.exit(4);
      }
    }, SHUTDOWN_LIMIT_MS);
    guard.unref();
    // After --seconds the sink plays only silence; let the device's own buffer drain before closing it,
    // so the last frames are heard (closing at once drops up to a device buffer).
    if (reachedEnd) await new Promise((r) => setTimeout(r, deviceMs + 150));
    session?.stopTimed();
    midiIn?.close();
    step = 'closing the OSC server';
    await server?.close();
    step = 'closing the audio device';
    if (sink && !(await sink.close())) console.warn('modsynth: the audio device did not confirm closing within 3 s; going on with the shutdown');
    const final = engine?.arena ? status() : undefined;
    tap?.drain();
    session?.endLog(playedFrames());
    if (opts.recordSession && session) say(`session recorded to ${opts.recordSession} (replay: modsynth render PATCH --session ${opts.recordSession} --out FILE.wav)`);
    step = 'stopping the workers';
    if (engine?.arena) await engine.stopStreaming();
    const stats = engine?.arena ? engine.stats() : undefined;
    const faults = engine?.supervisor?.status();
    step = 'closing the engine';
    await engine?.close();
    if (live) process.stdout.write('\n');
    if (final && stats) {
      const played = final.framesPlayed / sr;
      say(
        `stopped after ${played.toFixed(2)} s (${((Date.now() - t0) / 1000).toFixed(2)} s wall)${stop.signal ? ` on ${stop.signal}` : ''}: ${final.underruns} underruns` +
          (underrunTimes.length ? ` (first at ${underrunTimes.slice(0, 5).map((t) => `${t.toFixed(2)} s`).join(', ')})` : '') +
          `, load ${stats.load.map((l) => `${(l * 100).toFixed(1)}%`).join(' / ')}` +
          (faults?.faults ? `, ${faults.faults} faults, ${faults.restarts} restarts${faults.disabled.length ? `, disabled: ${faults.disabled.join(' ')}` : ''}` : '') +
          (tap?.lostFrames ? `, ${tap.lostFrames} frames not recorded (record tap lapped: written as silence)` : '') +
          ` [json] ${JSON.stringify({ seconds: played, underruns: final.underruns, ringMs, deviceMs, latencyMs: ringMs + deviceMs, load: stats.load, faults: faults?.faults ?? 0, restarts: faults?.restarts ?? 0, workersReplaced: faults?.workersReplaced ?? 0, recordLostFrames: tap?.lostFrames ?? 0, firstFrameAt })}`,
      );
    } else say(`stopped${stop.signal ? ` on ${stop.signal}` : ''} before the device started`);
    if (tap && opts.record) saveRecording(tap, opts.record, sr, opts.seconds, say);
    else if (opts.record && !tap) saveEmptyRecording(opts.record, sr, say);
    clearTimeout(guard);
    return deviceLost ? EXIT_DEVICE_LOST : undefined;
  }
}

/** The /status fields of a live engine. Control thread. */
function statusFields(engine: Engine, plan: RenderPlan, sr: number, B: number) {
  void B;
  return () => {
    const c = engine.sinkCounters();
    const load = engine.stats().load;
    const f = engine.supervisor!.status();
    return {
      sampleRate: sr, block: plan.blockSize, workers: plan.workers, loadPercent: Math.round(Math.max(0, ...load) * 1000) / 10,
      underruns: c.underruns, paramsDropped: c.paramsDropped, seconds: Math.round((c.framesPlayed / sr) * 100) / 100,
      faults: f.faults, restarts: f.restarts, workersReplaced: f.workersReplaced, down: f.down.length, disabled: f.disabled.length, spares: engine.pool!.spares.length,
      pid: process.pid, threads: threadCount(), rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
    };
  };
}

/** Faults are reported as they happen: on stdout (with the engine frame) and to /notify subscribers. */
function reportFaults(engine: Engine, server: OscServer | undefined, say: (line: string) => void, B: number, sr: number): void {
  engine.supervisor!.onEvent((e) => {
    const at = (block: number) => `frame ${block * B} (${((block * B) / sr).toFixed(3)} s)`;
    if (e.type === 'fault') {
      say(`fault: ${e.id} (${e.kind}) at ${at(e.block)}; its outputs read 0 V${e.detail ? ` [watchdog: ${e.detail}]` : ''}`);
      server?.event('/fault', [e.id, e.kind, e.block * B]);
    } else if (e.type === 'restarted') {
      say(`restarted: ${e.id} at ${at(e.block)}${e.replacedWorker ? ' on a replacement worker' : ''}; down ${((e.downBlocks * B * 1000) / sr).toFixed(1)} ms of audio`);
      server?.event('/restarted', [e.id, e.block * B, e.downBlocks * B]);
    } else if (e.type === 'disabled') {
      say(`disabled: ${e.id} after ${e.faults} faults within ${e.windowS} s (last: ${e.kind}); enable with /module/enable ${e.id}`);
      server?.event('/disabled', [e.id, e.kind]);
    } else if (e.type === 'enabled') {
      say(`enabled: ${e.id}`);
      server?.event('/enabled', [e.id]);
    } else console.warn(`modsynth: ${e.message}`);
  });
}

/** Writes what the tap holds (at most --seconds of it) to `path`, atomically. Control thread. */
function saveRecording(tap: RecordTap, path: string, sr: number, seconds: number | undefined, say: (line: string) => void): void {
  tap.drain();
  const limit = seconds !== undefined ? Math.round(seconds * sr) : Infinity;
  const [left, right] = tap.channels(limit);
  writeWav(path, [left, right], sr, '32f'); // temp file, fsync, rename (io/wav-writer.ts)
  say(`recorded ${left.length} frames (${(left.length / sr).toFixed(2)} s) to ${path} (32-bit float, the engine's stream as the device took it)`);
}

function saveEmptyRecording(path: string, sr: number, say: (line: string) => void): void {
  writeWav(path, [new Float32Array(0), new Float32Array(0)], sr, '32f');
  say(`recorded 0 frames to ${path} (stopped before the device started)`);
}
