/**
 * The device output: node-web-audio-api's AudioContext with one AudioWorkletNode that copies the
 * engine's output ring to the device (see ring-worklet.ts). JACK is used when a JACK server runs, else
 * ALSA (and through it PulseAudio). With no device or server it falls back to a null sink that still
 * runs at the device's pace, so the engine and its control keep working. Control thread only.
 */
import { join } from 'node:path';
import type { ArenaLayout } from '../memory/layout';
import { captureNativeOutput } from './native-quiet';
import { probeBackend, type Backend } from './backend-probe';

/**
 * Silence the device plays before the engine's first frame. Its first periods come irregularly: on
 * JACK's dummy driver several render quanta at once in the first ~60 ms, while the device library's
 * threads (and its worklet's JavaScript) start on the same cores as ours; about one start in 12 ran the
 * ring dry there. Frame 0 of the stream goes out after this, at the device's steady pace.
 */
export const PREROLL_MS = 100;

export interface DeviceOptions {
  sampleRate: number;
  /** Requested device buffer in frames (sets the latency hint). */
  bufferFrames: number;
  /** Substring of a device label or id, from `modsynth devices`. */
  device?: string;
  sab: SharedArrayBuffer;
  layout: ArenaLayout;
  record?: { sab: SharedArrayBuffer; frames: number };
  /** Called once with a one-line explanation when the null sink is used (by `open`, when it attaches). */
  onFallback?: (reason: string) => void;
  /**
   * What the native audio backends print while they probe the machine (ALSA's and JACK's complaints
   * about what is not there) is captured (see native-quiet.ts) and dropped, unless `verbose`: then it
   * is written to stderr after the device opened, each line prefixed with `native: `.
   */
  verbose?: boolean;
  /** The backend the library will pick, when the caller probed it already (see backend-probe.ts). */
  backend?: Backend;
}

export interface DeviceInfo {
  backend: 'device' | 'null';
  /** What plays it, for people: `JACK`, `PulseAudio (through ALSA)`, `ALSA`, `null sink`. */
  label: string;
  sampleRate: number;
  /**
   * Device-side latency in seconds as reported by the audio backend (0 when it reports none): the
   * median of readings over the first ~100 ms (see `settledLatency`).
   */
  reportedLatency: number;
  /** Render quantum of the context, frames. */
  quantum: number;
}

/** What opening the context needs (no engine yet): everything but the arena and the record tap. */
export type ContextOptions = Omit<DeviceOptions, 'sab' | 'layout' | 'record'>;

type WebAudio = {
  AudioContext: new (o: Record<string, unknown>) => Ctx;
  AudioWorkletNode: new (ctx: Ctx, name: string, o: Record<string, unknown>) => { connect(dest: unknown): void };
  mediaDevices: { enumerateDevices(): Promise<{ deviceId: string; label: string; kind: string }[]> };
};

/**
 * An audio context opened ahead of the engine (`DeviceSink.openContext`): the device starts (and plays
 * silence) while the engine's workers start and warm up, and the native probing runs before any
 * worker thread exists (so nothing else opens files while native-quiet moves fd 1 and 2). Pass it to
 * `DeviceSink.open`; close it yourself if the engine never gets that far. Control thread.
 */
export class OpenedContext {
  /** @internal */
  constructor(
    readonly ctx: Ctx,
    readonly wa: WebAudio,
    readonly backend: DeviceInfo['backend'],
    readonly label: string,
    /** Why the null sink is used (told through `onFallback` by `DeviceSink.open`, when it attaches). */
    readonly fallback: string | undefined,
  ) {}

  /** Closes the context, waiting at most `limitMs` (false: it did not confirm; see DeviceSink.close). */
  close(limitMs = 3000): Promise<boolean> {
    return closeWithin(this.ctx, limitMs);
  }
}

type Ctx = {
  sampleRate: number;
  baseLatency: number;
  outputLatency: number;
  renderQuantumSize?: number;
  destination: unknown;
  audioWorklet: { addModule(url: string): Promise<void> };
  resume(): Promise<void>;
  close(limitMs?: number): Promise<boolean>;
};

export class DeviceSink {
  private constructor(
    private readonly ctx: Ctx,
    readonly info: DeviceInfo,
  ) {}

  /**
   * Opens the audio context (the device starts, playing silence): JACK when a JACK server answers (or
   * under pw-jack), else ALSA; the null sink when neither works (`onFallback` says why). The native
   * libraries' probing output is captured (shown with `verbose`). Throws for a `device` that matches
   * nothing.
   */
  static async openContext(opts: ContextOptions): Promise<OpenedContext> {
    const wa = (await import('node-web-audio-api')) as unknown as WebAudio;
    const base = { sampleRate: opts.sampleRate, latencyHint: opts.bufferFrames / opts.sampleRate };
    const probed = opts.backend ?? (await probeBackend());
    const native: string[] = [];
    /** Runs a native call with its stdout/stderr noise captured (kept for --verbose). */
    const quietly = <T>(fn: () => T): T => {
      const r = captureNativeOutput(fn);
      if (r.output) native.push(r.output);
      if ('error' in r && r.error !== undefined) throw r.error;
      return r.value as T;
    };
    let ctx: Ctx;
    let backend: DeviceInfo['backend'] = 'device';
    let fallback: string | undefined;
    try {
      let sinkId: string | undefined;
      if (opts.device) {
        const outs = (await quietly(() => wa.mediaDevices.enumerateDevices())).filter((d) => d.kind === 'audiooutput');
        const hit = outs.find((d) => d.deviceId === opts.device || d.label.includes(opts.device!));
        if (!hit) throw new Error(`no output device matches "${opts.device}" (devices: ${outs.map((d) => d.label).join(', ') || 'none'})`);
        sinkId = hit.deviceId;
      }
      ctx = quietly(() => new wa.AudioContext({ ...base, ...(sinkId ? { sinkId } : {}) }));
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      if (opts.device && msg.startsWith('no output device')) throw e;
      printNative(native, opts.verbose);
      fallback = `no audio device or server available (${msg.replace(/^.*: /, '')}); playing in real time into a null sink`;
      ctx = quietly(() => new wa.AudioContext({ ...base, sinkId: { type: 'none' } }));
      backend = 'null';
    }
    printNative(native, opts.verbose);
    return new OpenedContext(ctx, wa, backend, backend === 'null' ? 'null sink' : probed === 'jack' ? 'JACK' : probed === 'pulse' ? 'PulseAudio (through ALSA)' : 'ALSA', fallback);
  }

  /**
   * Starts pulling the engine's output ring: on `opts.context` when the context was opened ahead
   * (`openContext`), else on a context opened now.
   */
  static async open(opts: DeviceOptions & { context?: OpenedContext }): Promise<DeviceSink> {
    const { ctx, wa, backend, label, fallback } = opts.context ?? (await DeviceSink.openContext(opts));
    // Said when the engine is there to play into it (as before the context was opened ahead).
    if (fallback) opts.onFallback?.(fallback);
    await ctx.audioWorklet.addModule(join(__dirname, 'ring-worklet.js'));
    const quantum = ctx.renderQuantumSize ?? 128;
    const node = new wa.AudioWorkletNode(ctx, 'modsynth-ring-reader', {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [2],
      processorOptions: {
        sab: opts.sab,
        ctrlOffset: opts.layout.ctrlOffset,
        ringOffset: opts.layout.ringOffset,
        ringBlocks: opts.layout.ringBlocks,
        blockSize: opts.layout.blockSize,
        recordSab: opts.record?.sab,
        recordFrames: opts.record?.frames,
        prerollQuanta: Math.ceil(((PREROLL_MS / 1000) * ctx.sampleRate) / quantum),
      },
    });
    node.connect(ctx.destination);
    await ctx.resume();
    return new DeviceSink(ctx, {
      backend,
      label,
      sampleRate: ctx.sampleRate,
      reportedLatency: await settledLatency(ctx),
      quantum,
    });
  }

  /**
   * Closes the audio context, waiting at most `limitMs`. Resolves false when the context did not
   * confirm in time: closing has been seen to stall inside the audio library (rarely, under load, after
   * many faults), and a stalled device must not keep the process alive; the caller warns and exits.
   */
  close(limitMs = 3000): Promise<boolean> {
    return closeWithin(this.ctx, limitMs);
  }
}

/** Closes `ctx`, resolving false when it did not confirm within `limitMs`. */
async function closeWithin(ctx: Ctx, limitMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((r) => (timer = setTimeout(() => r(false), limitMs)));
  try {
    return await Promise.race([ctx.close().then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** With `verbose`, writes the captured native output to stderr (each line marked), then forgets it. */
function printNative(native: string[], verbose: boolean | undefined): void {
  if (verbose) {
    for (const text of native) for (const line of text.split('\n')) if (line.trim()) console.error(`native: ${line}`);
  }
  native.length = 0;
}

/**
 * The backend's output latency, read 11 times 10 ms apart; the median. One reading is the time from
 * the device callback to the moment its audio plays, so it is short by however late the callback ran
 * in its cycle: on JACK's dummy driver with a 256-frame (5.33 ms) period the readings are mostly
 * 5.0–5.3 ms, with the odd one anywhere down to 0.4 ms under load.
 */
async function settledLatency(ctx: Ctx): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 11; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 10));
    readings.push((ctx.baseLatency || 0) + (ctx.outputLatency || 0));
  }
  readings.sort((a, b) => a - b);
  return readings[5];
}

/**
 * Stereo record ring written by the worklet and drained by the control thread: every frame the device
 * took from the engine's ring, in order (an underrun's silence is not recorded). `drain` is not RT-safe (allocates); call it from the control thread. It never throws:
 * when the control thread was kept away so long that the worklet lapped the ring (a structural edit
 * blocking it for seconds, say), the frames it overwrote are counted in `lostFrames` and kept as
 * silence, so the recording stays aligned with the stream.
 */
export class RecordTap {
  readonly sab: SharedArrayBuffer;
  private readonly count: Int32Array;
  private readonly data: Float32Array;
  private read = 0;
  private readonly chunks: Float32Array[] = [];
  /** Frames the worklet overwrote before they were drained (recorded as silence). */
  lostFrames = 0;

  constructor(readonly frames: number) {
    this.sab = new SharedArrayBuffer(8 + frames * 2 * 4);
    this.count = new Int32Array(this.sab, 0, 2);
    this.data = new Float32Array(this.sab, 8, frames * 2);
  }

  /** Copies out everything written since the last call. */
  drain(): void {
    const w = Atomics.load(this.count, 0);
    if (w - this.read > this.frames) {
      // Lapped: the oldest frames are gone. Keep the newest half ring (the worklet may be writing just
      // past `w` while we copy, so the far end of the ring is not safe to read either).
      const keepFrom = w - Math.floor(this.frames / 2);
      const lost = keepFrom - this.read;
      this.lostFrames += lost;
      this.chunks.push(new Float32Array(lost * 2));
      this.read = keepFrom;
    }
    for (; this.read < w; ) {
      const at = this.read % this.frames;
      const n = Math.min(w - this.read, this.frames - at);
      this.chunks.push(this.data.slice(at * 2, (at + n) * 2));
      this.read += n;
    }
  }

  /** Deinterleaved channels of the first `limit` frames recorded. */
  channels(limit = Infinity): [Float32Array, Float32Array] {
    const total = Math.min(limit, this.chunks.reduce((s, c) => s + c.length / 2, 0));
    const left = new Float32Array(total), right = new Float32Array(total);
    let f = 0;
    for (const c of this.chunks) {
      for (let i = 0; i < c.length && f < total; i += 2, f++) {
        left[f] = c[i];
        right[f] = c[i + 1];
      }
    }
    return [left, right];
  }
}
