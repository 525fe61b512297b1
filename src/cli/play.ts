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
import { UsageError } from './errors';

export interface PlayOptions {
  block: number;
  buffer: number;
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
  if (!m || !m[1] || port > 65535) throw new UsageError(`--osc takes HOST:PORT, got "${text}"`);
  return { host: m[1], port };
}

async function liveCommand(path: string | undefined, patch: Patch, opts: PlayOptions): Promise<number | void> {
  const osc = opts.osc === false ? undefined : parseHostPort(opts.osc);
  const rt = await ensureRealtime(process.argv);
  if (rt.state === 'ran') return rt.code;
  const say = (line: string) => {
    if (!opts.quiet) console.log(line);
  };
  if (rt.state === 'denied') console.warn(`warning: no real-time scheduling: ${rt.reason}; underruns are possible under CPU load`);
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
  // The ring must cover one device period plus the block being computed; the default adds one block of
  // margin, which absorbs a late wake-up on a loaded machine (measured: period + 1 block at 256 frames
  // gave 29 underruns a minute on the canonical 64-voice workload; see README, Latency).
  const ringBlocks = opts.ring ?? Math.ceil(opts.buffer / B) + 2;
  const engine = await Engine.start({ workers: opts.workers, spares: opts.spares, faults: { maxFaults: opts.maxFaults, windowS: opts.faultWindow } });
  // Warm the JIT on this very plan for about half a second of audio before the device starts.
  const plan = await engine.load(patch, { sampleRate: sr, blockSize: B, ringBlocks, hangMs: opts.hangMs, warmBlocks: Math.ceil((0.5 * sr) / B) });
  const arena = engine.arena!;
  const tap = opts.record ? new RecordTap(sr * 4) : undefined;
  engine.startStreaming(opts.seconds !== undefined ? opts.seconds * sr : undefined);
  // Everything the main thread has to set up happens before the device starts pulling, so that its
  // start-up work does not compete with the first device periods on a small machine.
  const session = new LiveSession(patch, engine, resolve(opts.patchDir ?? (path ? dirname(path) : '.')), opts.recordSession ? new SessionLog(opts.recordSession) : undefined);
  sessionRef = session;
  let server: OscServer | undefined;
  if (osc) {
    try {
      server = await OscServer.start({
        host: osc.host,
        port: osc.port,
        session,
        status: () => {
          const c = engine.sinkCounters();
          const load = engine.stats().load;
          const f = engine.supervisor!.status();
          return {
            sampleRate: sr, block: B, workers: plan.workers, loadPercent: Math.round(Math.max(0, ...load) * 1000) / 10,
            underruns: c.underruns, paramsDropped: c.paramsDropped, seconds: Math.round((c.framesPlayed / sr) * 100) / 100,
            faults: f.faults, restarts: f.restarts, workersReplaced: f.workersReplaced, down: f.down.length, disabled: f.disabled.length, spares: engine.pool!.spares.length,
            pid: process.pid, threads: threadCount(), rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
          };
        },
      });
      say(`OSC on udp://${server.address.host}:${server.address.port} (patch directory ${session.patchDir})`);
    } catch (e) {
      console.warn(`warning: no OSC server: cannot bind ${osc.host}:${osc.port} (${(e as Error).message})`);
    }
  }
  // Faults are reported as they happen: on stdout (with the engine frame) and to /notify subscribers.
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
  let sink: DeviceSink;
  try {
    sink = await DeviceSink.open({
      sampleRate: sr,
      bufferFrames: opts.buffer,
      device: opts.device,
      sab: arena.sab,
      layout: arena.layout,
      record: tap ? { sab: tap.sab, frames: tap.frames } : undefined,
      onFallback: (reason) => console.warn(`modsynth: ${reason}`),
    });
  } catch (e) {
    await server?.close();
    await engine.stopStreaming();
    await engine.close();
    throw new UsageError((e as Error).message);
  }
  const ringMs = (ringBlocks * B * 1000) / sr;
  const deviceMs = sink.info.reportedLatency > 0 ? sink.info.reportedLatency * 1000 : (opts.buffer * 1000) / sr;
  say(
    `playing ${path ?? '(empty patch)'} — ${sink.info.backend === 'null' ? 'null sink' : 'device'} at ${sink.info.sampleRate} Hz, block ${B}, ` +
      `${plan.workers} of ${opts.workers} workers; latency ${(ringMs + deviceMs).toFixed(1)} ms ` +
      `(ring ${ringMs.toFixed(1)} ms = ${ringBlocks} blocks, device ${deviceMs.toFixed(1)} ms${sink.info.reportedLatency > 0 ? '' : ' requested'})`,
  );

  if (midiIn) say(`MIDI in: ${midiIn.name} → ${session.midiModules().join(', ') || '(no midi-cv module yet)'}`);
  if (midiFile) {
    // Frame 0 of the file is the first frame a change sent now can reach.
    const base = engine.firstReachableFrame();
    session.queueMidi(midiFile.events.map((e) => ({ frame: base + e.frame, data: e.data })), midiFile.targets);
    say(`MIDI file: ${opts.midi} (${midiFile.events.length} events, ${midiFile.seconds.toFixed(1)} s) → ${midiFile.targets.join(', ')}`);
  }

  const live = !opts.quiet && process.stdout.isTTY === true && !process.env.CI;
  const underrunTimes: number[] = [];
  let reachedEnd = false;
  let deviceLost = false;
  let lastUnderruns = 0;
  const t0 = Date.now();
  let lastQuanta = -1, lastQuantumAt = t0;
  const status = () => {
    const c = engine.sinkCounters();
    if (c.underruns > lastUnderruns) {
      underrunTimes.push(c.framesPlayed / sr);
      lastUnderruns = c.underruns;
    }
    return c;
  };
  const done = new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const c = status();
      tap?.drain();
      if (live) {
        const load = engine.stats().load.map((l) => `${(l * 100).toFixed(0)}%`).join('/');
        process.stdout.write(`\r  ${(c.framesPlayed / sr).toFixed(1)} s  underruns ${c.underruns}  load ${load}   `);
      }
      if (opts.seconds !== undefined && c.framesPlayed >= opts.seconds * sr) {
        reachedEnd = true;
        finish();
      } else if (c.deviceQuanta !== lastQuanta || sink.info.backend === 'null') {
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
      process.off('SIGINT', finish);
      process.off('SIGTERM', finish);
      resolve();
    };
    process.on('SIGINT', finish);
    process.on('SIGTERM', finish);
  });
  await done;
  // Shutdown must end: if a step hangs (seen once after 100 injected faults, not understood yet), say
  // which and leave with exit code 4 rather than keep the process alive.
  let step = 'draining the device';
  const guard = setTimeout(() => {
    console.error(`modsynth: shutdown stuck while ${step} for ${SHUTDOWN_LIMIT_MS / 1000} s; exiting`);
    process.exit(4);
  }, SHUTDOWN_LIMIT_MS);
  guard.unref();
  // After --seconds the sink plays only silence; let the device's own buffer drain before closing it,
  // so the last frames are heard (closing at once drops up to a device buffer).
  if (reachedEnd) await new Promise((r) => setTimeout(r, deviceMs + 150));
  session.stopTimed();
  midiIn?.close();
  step = 'closing the OSC server';
  await server?.close();
  step = 'closing the audio device';
  if (!(await sink.close())) console.warn('modsynth: the audio device did not confirm closing within 3 s; going on with the shutdown');
  const final = status();
  tap?.drain();
  const playedFrames = opts.seconds !== undefined ? Math.min(final.framesPlayed, Math.round(opts.seconds * sr)) : final.framesPlayed;
  session.endLog(playedFrames);
  if (opts.recordSession) say(`session recorded to ${opts.recordSession} (replay: modsynth render PATCH --session ${opts.recordSession} --out FILE.wav)`);
  step = 'stopping the workers';
  await engine.stopStreaming();
  const stats = engine.stats();
  const faults = engine.supervisor!.status();
  step = 'closing the engine';
  await engine.close();
  clearTimeout(guard);
  if (live) process.stdout.write('\n');
  const played = final.framesPlayed / sr;
  say(
    `stopped after ${played.toFixed(2)} s (${((Date.now() - t0) / 1000).toFixed(2)} s wall): ${final.underruns} underruns` +
      (underrunTimes.length ? ` (first at ${underrunTimes.slice(0, 5).map((t) => `${t.toFixed(2)} s`).join(', ')})` : '') +
      `, load ${stats.load.map((l) => `${(l * 100).toFixed(1)}%`).join(' / ')}` +
      (faults.faults ? `, ${faults.faults} faults, ${faults.restarts} restarts${faults.disabled.length ? `, disabled: ${faults.disabled.join(' ')}` : ''}` : '') +
      ` [json] ${JSON.stringify({ seconds: played, underruns: final.underruns, ringMs, deviceMs, latencyMs: ringMs + deviceMs, load: stats.load, faults: faults.faults, restarts: faults.restarts, workersReplaced: faults.workersReplaced })}`,
  );
  if (tap && opts.record) {
    const limit = opts.seconds !== undefined ? Math.round(opts.seconds * sr) : Infinity;
    const [left, right] = tap.channels(limit);
    writeWav(opts.record, [left, right], sr, '32f');
    say(`recorded ${left.length} frames (${(left.length / sr).toFixed(2)} s) to ${opts.record} (32-bit float, exactly what the device got)`);
  }
  return deviceLost ? EXIT_DEVICE_LOST : undefined;
}
