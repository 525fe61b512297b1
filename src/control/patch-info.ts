/**
 * `/patch/info`: what the engine makes of the live patch, for user interfaces and OSC clients alike
 * (the browser rack shows exactly these figures). Per module: its worker, its voices and its CPU share;
 * per cable: its channels and whether it closes a cycle (one block of delay).
 *
 * CPU share is the percent of one core the module's kernels used over the last window (at least
 * WINDOW_MS of audio): the difference of the engine's sampled per-module CPU counters
 * (Engine.stats().moduleCpuMs, one block in 16 timed and scaled) divided by the audio time played in
 * between. A plan swap restarts the window (the counters are per plan position). Control thread only;
 * reads the arena's counters without locks, never touches the audio path.
 */
import type { Engine } from '../engine/engine';
import type { RenderPlan } from '../plan/compile';
import { findModule } from '../modules';
import type { Patch } from '../plan/patch';

/** Shortest window a CPU figure is computed over (shorter asks return the previous figure). */
export const WINDOW_MS = 500;

export interface PatchInfo {
  /** Audio seconds played. */
  seconds: number;
  /** Share of the block period each DSP worker spends processing (0..1), mean since the plan started. */
  load: number[];
  modules: Record<string, { worker: number; voices: number; cpuPercent: number }>;
  cables: { from: string; to: string; channels: number; feedback: boolean }[];
}

export class PatchInfoSampler {
  private plan: RenderPlan | undefined;
  private lastCpu: Record<string, number> = {};
  private lastFrames = 0;
  private shares: Record<string, number> = {};

  constructor(private readonly engine: Engine) {}

  /** The info for `patch` (the session's current patch) now. */
  info(patch: Patch): PatchInfo {
    const plan = this.engine.currentPlan;
    const frames = this.engine.arena ? this.engine.sinkCounters().framesPlayed : 0;
    const sr = plan?.sampleRate ?? 48000;
    const stats = this.engine.stats();
    const cpu = stats.moduleCpuMs;
    if (plan !== this.plan) {
      this.plan = plan;
      this.lastCpu = cpu;
      this.lastFrames = frames;
      this.shares = {};
    } else if (((frames - this.lastFrames) * 1000) / sr >= WINDOW_MS) {
      const audioMs = ((frames - this.lastFrames) * 1000) / sr;
      this.shares = {};
      for (const [id, ms] of Object.entries(cpu)) this.shares[id] = Math.max(0, (100 * (ms - (this.lastCpu[id] ?? 0))) / audioMs);
      this.lastCpu = cpu;
      this.lastFrames = frames;
    }
    const modules: PatchInfo['modules'] = {};
    const outChannels = new Map<string, number>();
    for (const m of plan?.modules ?? []) {
      modules[m.id] = { worker: m.worker, voices: m.voices, cpuPercent: Math.round((this.shares[m.id] ?? 0) * 1000) / 1000 };
      const names = Object.keys(findModule(m.type)?.outputs ?? {});
      m.outputs.forEach((o, k) => outChannels.set(`${m.id}.${names[k]}`, o.channels));
    }
    const feedback = new Set((plan?.feedback ?? []).map((c) => `${c.from}>${c.to}`));
    return {
      seconds: Math.round((frames / sr) * 100) / 100,
      load: stats.load.map((l) => Math.round(l * 1e4) / 1e4),
      modules,
      cables: patch.cables.map((c) => ({ from: c.from, to: c.to, channels: outChannels.get(c.from) ?? 1, feedback: feedback.has(`${c.from}>${c.to}`) })),
    };
  }
}
