/**
 * One run of `play` or `serve`: starts the engine, the live session, the OSC server and the device in
 * that order, watches the run, and undoes whatever has started in `shutdown` (saving the recording and
 * the session log), whichever step a stop signal or an error interrupts. Control thread.
 */
import { resolve } from 'node:path';
import { Engine } from '../engine/engine';
import type { Patch } from '../plan/patch';
import { LiveSession } from '../control/session';
import { OscServer } from '../control/osc-server';
import { SessionLog } from '../control/session-log';
import { defaultPatchDir, patchDirProblem } from '../control/patch-dir';
import { EXIT_FILE_ERROR } from '../io/file-error';
import { RecordTap, type DeviceSink } from '../io/device';
import type { StopRequest } from './stop-signals';
import { UsageError } from './errors';
import { deviceSettings, type DeviceSettings, type PlayOptions } from './live-options';
import { LiveMidi } from './live-midi';
import { openDevice, ringMs } from './live-device';
import { statusFields } from './live-status';
import { reportFaults } from './fault-events';
import { ModuleReloader } from './module-reload';
import { UnderrunLog, watchPlayback, type WatchEnd } from './live-watch';
import { summaryLine } from './live-summary';
import { saveEmptyRecording, saveRecording } from './recording';
import { RackUsageError, startRack } from '../ui/start-rack';
import { DEVICE_NICE, favourDeviceThreads, lowerControlThreads, processThreads } from '../threads/thread-policy';
import { raiseToRealtime } from '../threads/realtime-launch';
import type { RackServer } from '../ui/rack-server';
import { StartTrace } from './start-trace';
import type { Backend } from '../io/backend-probe';

/** Longest a clean shutdown may take before `play` gives up on it (exit code 4). */
const SHUTDOWN_LIMIT_MS = 10_000;

/** Exit code when the device stopped asking for audio. */
export const EXIT_DEVICE_LOST = 5;

export class LiveRun {
  private engine: Engine | undefined;
  private session: LiveSession | undefined;
  private server: OscServer | undefined;
  private rack: RackServer | undefined;
  private reloader: ModuleReloader | undefined;
  private sink: DeviceSink | undefined;
  private tap: RecordTap | undefined;
  private underruns: UnderrunLog | undefined;
  private midi: LiveMidi | undefined;
  private ended: WatchEnd | undefined;
  private settings: DeviceSettings | undefined;
  private deviceMs = 0;
  private readonly firstFrame = { at: 0 };
  private readonly t0 = Date.now();
  private readonly say: (line: string) => void;
  private readonly trace: StartTrace;

  constructor(
    private readonly path: string | undefined,
    private readonly patch: Patch,
    private opts: PlayOptions,
    private readonly osc: { host: string; port: number } | undefined,
    private readonly stop: StopRequest,
    /** Raise the process to SCHED_FIFO once the engine is warm (threads/realtime-launch.ts). */
    private readonly realtime: boolean,
    /** The backend the caller probed (it decided `realtime`). */
    private readonly backend: Backend,
  ) {
    this.say = (line) => {
      if (!opts.quiet) console.log(line);
    };
    this.trace = new StartTrace(opts.verbose);
  }

  /** Runs until the end, a stop signal or an error; resolves with the exit code (undefined: 0). */
  async run(): Promise<number | void> {
    const { stop } = this;
    if (this.opts.workers < 1) throw new UsageError('play needs at least one worker (--workers ≥ 1)');
    const badDir = this.opts.patchDir !== undefined ? patchDirProblem(this.opts.patchDir) : undefined;
    if (badDir) throw new UsageError(badDir);
    // MIDI sources are checked before anything starts.
    this.midi = LiveMidi.open(this.opts, this.patch, this.path ?? '(empty patch)');
    this.opts = { ...this.opts, seconds: this.midi.seconds(this.opts.seconds) };
    const settings = (this.settings = deviceSettings(this.opts, this.backend));
    this.deviceMs = (settings.buffer * 1000) / this.opts.sampleRate;
    try {
      await this.start(settings);
      if (stop.signal) return await this.shutdown();
      this.ended = await watchPlayback({
        engine: this.engine!, sink: this.sink!, underruns: this.underruns!, tap: this.tap, seconds: this.opts.seconds,
        sr: this.opts.sampleRate, liveLine: this.liveLine, stop, firstFrame: this.firstFrame,
        onFirstFrame: () => this.trace.mark(`first frame at the device (${(this.firstFrame.at - performance.timeOrigin).toFixed(0)} ms after the process started)`),
      });
      return await this.shutdown();
    } catch (e) {
      await this.shutdown().catch(() => undefined);
      throw e;
    }
  }

  /** What a forced exit (a late repeated signal) still saves, synchronously. */
  saveNow(): void {
    this.session?.endLog(this.playedFrames());
    if (this.tap && this.opts.record) saveRecording(this.tap, this.opts.record, this.opts.sampleRate, this.opts.seconds, () => undefined);
  }

  private get liveLine(): boolean {
    return !this.opts.quiet && process.stdout.isTTY === true && !process.env.CI;
  }

  private async start(settings: DeviceSettings): Promise<void> {
    const { opts, stop, say } = this, sr = opts.sampleRate, B = opts.block;
    const controlThreads = processThreads(); // before the engine's threads exist (see lowerControlThreads)
    const { trace } = this;
    trace.mark('engine starting');
    const engine = (this.engine = await Engine.start({ workers: opts.workers, spares: opts.spares, faults: { maxFaults: opts.maxFaults, windowS: opts.faultWindow } }));
    const pool = engine.pool;
    if (pool) trace.mark(`workers ready (${pool.workers.length} + ${pool.spares.length} spare; start ${[...pool.workers, ...pool.spares].map((w) => `${w.startMs.toFixed(0)}/${w.warmMs.toFixed(0)}`).join(', ')} ms total/warm-up)`);
    this.underruns = new UnderrunLog(engine, sr);
    if (stop.signal) return;
    // Warm the JIT on this very plan for about half a second of audio before the device starts.
    const plan = await engine.load(this.patch, { sampleRate: sr, blockSize: B, ringBlocks: settings.ringBlocks, hangMs: opts.hangMs, warmBlocks: Math.ceil((0.5 * sr) / B) });
    trace.mark('plan loaded and warmed');
    if (this.realtime) {
      const problem = await raiseToRealtime();
      if (problem) console.warn(`warning: ${problem}`);
      trace.mark('raised to SCHED_FIFO');
    }
    if (stop.signal) return;
    this.tap = opts.record ? new RecordTap(sr * 4) : undefined;
    engine.startStreaming(opts.seconds !== undefined ? opts.seconds * sr : undefined);
    // Everything the main thread has to set up happens before the device starts pulling, so that its
    // start-up work does not compete with the first device periods on a small machine.
    // No implicit writable directory: --patch-dir, else the per-user one (created 0700 on the first save).
    const patchDir = resolve(opts.patchDir ?? defaultPatchDir());
    const session = (this.session = new LiveSession(this.patch, engine, patchDir, opts.recordSession ? new SessionLog(opts.recordSession) : undefined, opts.patchDir === undefined));
    if (this.osc) {
      const { host, port } = this.osc;
      try {
        this.server = await OscServer.start({ host, port, session, status: statusFields(engine, plan, sr, () => ringMs(settings, opts) + this.deviceMs) });
      } catch (e) {
        throw new UsageError(`cannot start the OSC server on ${host}:${port}: ${(e as Error).message} (another engine on this port? --osc HOST:PORT picks another, --no-osc runs without)`);
      }
      const a = this.server.address;
      const h = a.host.includes(':') ? `[${a.host}]` : a.host; // an IPv6 address in brackets, as in a URL
      say(`OSC on udp://${h}:${a.port}${this.server.tcp ? ` and tcp://${h}:${this.server.tcp.port}` : ''} (patch directory ${session.patchDir})`);
    }
    if (this.server) this.rack = await startRack(opts.http, this.server, say).catch((e) => Promise.reject(e instanceof RackUsageError ? new UsageError(e.message) : e));
    reportFaults(engine, this.server, say, B, sr);
    const moduleDirs = (opts as { moduleDir?: string[] }).moduleDir;
    if (moduleDirs?.length) this.reloader = new ModuleReloader(engine, this.server, moduleDirs, say);
    trace.mark('opening the device');
    const beforeDevice = new Set(processThreads());
    const device = await openDevice(engine.arena!, this.tap, settings, opts, plan, this.path, say);
    this.sink = device.sink;
    this.deviceMs = device.deviceMs;
    trace.mark('device playing (latency read)');
    if (!this.realtime) {
      const deviceThreads = processThreads().filter((t) => !beforeDevice.has(t));
      trace.mark(`${favourDeviceThreads(deviceThreads)} of the device's ${deviceThreads.length} threads at nice ${DEVICE_NICE}`);
    }
    // The audio threads exist now; the control thread (OSC, the browser rack) and V8's helpers go below them.
    await lowerControlThreads(controlThreads);
    if (stop.signal) return;
    this.midi!.attach(session, engine.firstReachableFrame(), say);
  }

  private playedFrames(): number {
    const f = this.engine?.arena ? this.engine.sinkCounters().framesPlayed : 0;
    return this.opts.seconds !== undefined ? Math.min(f, Math.round(this.opts.seconds * this.opts.sampleRate)) : f;
  }

  /**
   * Stops whatever has started, in order, and saves the recording and the session log. Bounded: a
   * step that hangs for SHUTDOWN_LIMIT_MS is named, what can be saved is saved, and the process exits
   * with code 4.
   */
  private async shutdown(): Promise<number | void> {
    const { opts, say, engine, session, tap } = this, sr = opts.sampleRate;
    let step = 'draining the device';
    const guard = setTimeout(() => {
      console.error(`modsynth: shutdown stuck while ${step} for ${SHUTDOWN_LIMIT_MS / 1000} s; saving the recording and exiting`);
      try {
        session?.endLog(this.playedFrames());
        if (tap && opts.record) saveRecording(tap, opts.record, sr, opts.seconds, say);
      } finally {
        process.exit(4);
      }
    }, SHUTDOWN_LIMIT_MS);
    guard.unref();
    // After --seconds the sink plays only silence; let the device's own buffer drain before closing it,
    // so the last frames are heard (closing at once drops up to a device buffer).
    if (this.ended === 'end') await new Promise((r) => setTimeout(r, this.deviceMs + 150));
    session?.stopTimed();
    this.midi?.close();
    step = 'finishing a module reload';
    await this.reloader?.close();
    step = 'closing the OSC server';
    await this.rack?.close();
    await this.server?.close();
    step = 'closing the audio device';
    if (this.sink && !(await this.sink.close())) console.warn('modsynth: the audio device did not confirm closing within 3 s; going on with the shutdown');
    const final = engine?.arena && this.underruns ? this.underruns.read() : undefined;
    tap?.drain();
    const logProblem = session?.endLog(this.playedFrames());
    if (logProblem) console.error(`modsynth: ${logProblem}`);
    else if (opts.recordSession && session) say(`session recorded to ${opts.recordSession} (replay: modsynth render PATCH --session ${opts.recordSession} --out FILE.wav)`);
    step = 'stopping the workers';
    if (engine?.arena) await engine.stopStreaming();
    const stats = engine?.arena ? engine.stats() : undefined;
    const faults = engine?.supervisor?.status();
    step = 'closing the engine';
    await engine?.close();
    if (this.liveLine) process.stdout.write('\n');
    if (final && stats) {
      say(summaryLine({
        final, stats, faults, underrunTimes: this.underruns!.times, sr, wallS: (Date.now() - this.t0) / 1000, signal: this.stop.signal,
        ringMs: ringMs(this.settings!, opts), deviceMs: this.deviceMs, recordLostFrames: tap?.lostFrames ?? 0, firstFrameAt: this.firstFrame.at,
      }));
    } else say(`stopped${this.stop.signal ? ` on ${this.stop.signal}` : ''} before the device started`);
    if (tap && opts.record) saveRecording(tap, opts.record, sr, opts.seconds, say);
    else if (opts.record && !tap) saveEmptyRecording(opts.record, sr, say);
    clearTimeout(guard);
    return this.ended === 'device-lost' ? EXIT_DEVICE_LOST : logProblem ? EXIT_FILE_ERROR : undefined;
  }
}
