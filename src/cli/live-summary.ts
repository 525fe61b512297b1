/**
 * The line `play` ends with: how long it played, the underruns and when they happened, the load per
 * worker, the faults, and the same figures as JSON for scripts. Control thread.
 */
import type { EngineStats } from '../engine/engine';
import type { FaultStatus } from '../engine/supervision';
import type { SinkCounters } from './live-watch';

export interface RunFigures {
  final: SinkCounters;
  stats: EngineStats;
  faults: FaultStatus | undefined;
  underrunTimes: readonly number[];
  sr: number;
  wallS: number;
  signal: string | undefined;
  ringMs: number;
  deviceMs: number;
  recordLostFrames: number;
  /** Epoch ms at which frame 0 reached the device (0: never). */
  firstFrameAt: number;
}

export function summaryLine(r: RunFigures): string {
  const played = r.final.framesPlayed / r.sr;
  const f = r.faults;
  return (
    `stopped after ${played.toFixed(2)} s (${r.wallS.toFixed(2)} s wall)${r.signal ? ` on ${r.signal}` : ''}: ${r.final.underruns} underruns` +
    (r.underrunTimes.length ? ` (first at ${r.underrunTimes.slice(0, 5).map((t) => `${t.toFixed(2)} s`).join(', ')})` : '') +
    `, load ${r.stats.load.map((l) => `${(l * 100).toFixed(1)}%`).join(' / ')}` +
    (f?.faults ? `, ${f.faults} faults, ${f.restarts} restarts${f.disabled.length ? `, disabled: ${f.disabled.join(' ')}` : ''}` : '') +
    (r.recordLostFrames ? `, ${r.recordLostFrames} frames not recorded (record tap lapped: written as silence)` : '') +
    ` [json] ${JSON.stringify({
      seconds: played, underruns: r.final.underruns, ringMs: r.ringMs, deviceMs: r.deviceMs, latencyMs: r.ringMs + r.deviceMs, load: r.stats.load,
      faults: f?.faults ?? 0, restarts: f?.restarts ?? 0, workersReplaced: f?.workersReplaced ?? 0, recordLostFrames: r.recordLostFrames, firstFrameAt: r.firstFrameAt,
    })}`
  );
}
