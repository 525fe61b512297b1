/**
 * The local backend (`workers: 0`): runs a plan block by block on the calling thread as fast as the CPU
 * allows and hands each stereo block to a sink (the WAV writer streams it to disk; `render` collects it
 * in memory). Offline only (no streaming); the multi-worker engine gives the same samples. Not an
 * audio-path API.
 */
import type { RenderPlan } from '../plan/compile';
import { EVENT_INDEX, fillConstants, Runner } from '../realtime/runner';
import { BlockCollector, type BlockSink, type OfflineResult, type StreamResult } from './block-sink';
import type { Backend } from './backend';
import { NO_SINK_COUNTERS, type EngineStats, type SinkCounters } from './arena';

export type { OfflineResult, StreamResult } from './block-sink';

export interface OfflineOptions {
  frames: number;
  /** Called every ~0.25 s of rendered audio with the frames done so far. */
  onProgress?: (framesDone: number) => void;
}

/**
 * A single-threaded render session: the whole plan on the calling thread. Successive `render` calls
 * continue where the previous one stopped, exactly as one long render would.
 */
export class OfflineRenderer {
  private readonly runner: Runner;
  /** The plan's buffers (offsets in the plan index it). */
  readonly arena: Float32Array;
  private block = 0;
  private faultsSeen = 0;

  constructor(readonly plan: RenderPlan) {
    const arena = new Float32Array(new SharedArrayBuffer(plan.arenaFloats * 4));
    this.arena = arena;
    fillConstants(plan, arena);
    this.runner = new Runner(plan, arena, plan.modules.map((_, i) => i));
  }

  /** Sets a param by name before the next block (single-threaded path of Engine.setParam). */
  setParam(position: number, param: string, value: number): void {
    const m = this.runner.modules[position];
    if (m && Object.prototype.hasOwnProperty.call(m.params, param)) m.params[param] = value;
  }

  /** Events not yet delivered: [frame, position, data], in the order queued (kept sorted by frame). */
  private events: number[][] = [];

  /**
   * Queues an event for a module at absolute frame `frame` (single-threaded path of Engine.sendEvent):
   * the module's block is split there, exactly as the workers do. A frame already rendered means the
   * start of the next block.
   */
  event(position: number, data: number, frame = this.block * this.plan.blockSize): void {
    if (!this.runner.modules[position]) return;
    let i = this.events.length;
    while (i > 0 && this.events[i - 1][0] > frame) i--;
    this.events.splice(i, 0, [frame, position, data]);
  }

  /** One block with the events due in it delivered at their samples (not the real-time path). */
  private runBlockWithEvents(frame: number, n: number): void {
    const runner = this.runner, end = frame + n;
    let due = 0;
    while (due < this.events.length && this.events[due][0] < end) due++;
    if (due === 0) return runner.runBlock(this.block, frame, n);
    // The workers' record format (Runner.applyDue): offset in block, module, EVENT_INDEX, data.
    const records = Float64Array.from(this.events.splice(0, due).flatMap(([at, position, data]) => [Math.max(0, at - frame), position, EVENT_INDEX, data]));
    for (let m = 0; m < runner.modules.length; m++) {
      runner.runRange(m, this.block, frame, runner.applyDue(m, this.block, frame, records, due), n);
    }
  }

  /**
   * Offline, a module that threw or output NaN/±Inf is silent for the rest of the block it failed in
   * and restarted (fresh state, same params) for the next one: deterministic, so renders repeat.
   */
  private restartFaulted(): void {
    this.faultsSeen = this.runner.faults;
    this.runner.modules.forEach((_, m) => this.runner.isUp(m) || this.runner.restart(m));
  }

  /** Renders the next `opts.frames` frames into memory. */
  render(opts: OfflineOptions): OfflineResult {
    const sink = new BlockCollector(opts.frames);
    const r = this.stream(opts, sink);
    return { left: sink.left, right: sink.right, frames: r.frames, seconds: r.seconds };
  }

  /**
   * Renders the next `opts.frames` frames, handing each block to `sink` as it is done (a patch without
   * an output module gives silent blocks). A sink that throws stops the render there.
   */
  stream(opts: OfflineOptions, sink: BlockSink): StreamResult {
    const { plan, runner } = this;
    const B = plan.blockSize;
    const out = runner.output;
    const silence = new Float32Array(B);
    const block: Float32Array[] = out ? [out.left, out.right] : [silence, silence];
    const progressEvery = Math.max(1, Math.round((0.25 * plan.sampleRate) / B));
    const t0 = process.hrtime.bigint();
    for (let frame = 0; frame < opts.frames; this.block++, frame += B) {
      const n = Math.min(B, opts.frames - frame);
      this.runBlockWithEvents(this.block * B, n);
      if (runner.faults !== this.faultsSeen) this.restartFaulted();
      if (out) {
        block[0] = out.left;
        block[1] = out.right;
      }
      sink.write(block, n);
      if (opts.onProgress && this.block % progressEvery === 0) opts.onProgress(frame + n);
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    opts.onProgress?.(opts.frames);
    return { frames: opts.frames, seconds };
  }
}

/** Renders a plan from its start (a fresh session). */
export function renderOffline(plan: RenderPlan, opts: OfflineOptions): OfflineResult {
  return new OfflineRenderer(plan).render(opts);
}

/** The Engine's backend for `workers: 0`: an OfflineRenderer per loaded plan. Control thread. */
export class LocalBackend implements Backend {
  private session: OfflineRenderer | undefined;
  nextBlock = 0;
  readonly streaming = false;
  readonly lastSwapBlock = 0;
  readonly arena = undefined;

  get plan(): RenderPlan | undefined {
    return this.session?.plan;
  }

  install(plan: RenderPlan): Promise<void> {
    this.session = new OfflineRenderer(plan);
    this.nextBlock = 0;
    return Promise.resolve();
  }

  canSwap(): boolean {
    return false;
  }

  swap(): Promise<void> {
    return Promise.reject(new Error('the local backend has no live swap (load the plan instead)'));
  }

  settle(): Promise<void> {
    return Promise.resolve();
  }

  stream(frames: number, sink: BlockSink, onProgress?: (framesDone: number) => void): StreamResult {
    const session = this.session;
    if (!session) throw new Error('no patch loaded');
    this.nextBlock += Math.ceil(frames / session.plan.blockSize);
    return session.stream({ frames, onProgress }, sink);
  }

  async streamInPieces(frames: number, sink: BlockSink, pieceFrames: number, between: () => Promise<void>, onProgress?: (framesDone: number) => void): Promise<StreamResult> {
    const B = this.session?.plan.blockSize ?? 1, piece = Math.max(1, Math.round(pieceFrames / B)) * B;
    let done = 0, seconds = 0;
    while (done < frames) {
      const n = Math.min(piece, frames - done), at = done;
      seconds += this.stream(n, sink, onProgress ? (p) => onProgress(at + p) : undefined).seconds;
      done += n;
      if (done < frames) await between();
    }
    return { frames, seconds };
  }

  startStreaming(): void {
    throw new Error('streaming needs at least one worker and a loaded patch');
  }

  stopStreaming(): Promise<void> {
    return Promise.resolve();
  }

  setParam(position: number, param: string, value: number): boolean {
    this.session?.setParam(position, param, value);
    return true;
  }

  sendEvent(position: number, data: number, atFrame: number): boolean {
    this.session?.event(position, data, atFrame);
    return true;
  }

  canQueue(): boolean {
    return true;
  }

  drained(): Promise<void> {
    return Promise.resolve();
  }

  buffers(): Float32Array | undefined {
    return this.session?.arena;
  }

  firstReachableFrame(): number {
    return 0;
  }

  frameAt(): number | undefined {
    return undefined;
  }

  sinkCounters(): SinkCounters {
    return { ...NO_SINK_COUNTERS };
  }

  stats(): EngineStats {
    return { blocks: 0, workersUsed: 0, perWorker: [], moduleCpuMs: {}, load: [], blockUs: [] };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
