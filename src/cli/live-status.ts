/** The /status fields of a live engine (declared in protocol/status.ts). Control thread. */
import { readdirSync } from 'node:fs';
import type { Engine } from '../engine/engine';
import type { RenderPlan } from '../plan/compile';
import type { EngineStatus } from '../protocol/status';

/** OS threads of this process (Linux /proc; -1 elsewhere). */
function threadCount(): number {
  try {
    return readdirSync('/proc/self/task').length;
  } catch {
    return -1;
  }
}

/** The engine's /status fields (protocol/status.ts), read on request. */
export function statusFields(engine: Engine, plan: RenderPlan, sr: number): () => EngineStatus {
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
