/**
 * Offline replay of a recorded session (see control/session-log.ts): loads the start patch, then applies
 * each event at its frame, param changes through the workers' command rings (exact sample), structural
 * edits as plan swaps at their block, exactly as the live engine did. Not an audio-path API.
 */
import { Engine } from '../engine/engine';
import { FADE_BLOCKS } from '../realtime/block-loop';
import { validatePatch } from '../engine/patch';
import type { SessionEvent } from '../control/session-log';
import type { OfflineResult } from './offline';

export async function replaySession(events: SessionEvent[], opts: { workers: number; frames?: number }): Promise<OfflineResult & { sampleRate: number }> {
  const start = events[0];
  if (start.type !== 'start') throw new Error('a session starts with a "start" event');
  const B = start.blockSize, sr = start.sampleRate;
  const engine = await Engine.start({ workers: Math.max(1, opts.workers) });
  const t0 = performance.now();
  try {
    await engine.load(validatePatch(start.patch), { sampleRate: sr, blockSize: B });
    const end = events.find((e) => e.type === 'end');
    const total = opts.frames ?? (end && end.type === 'end' ? end.frame : 0);
    const chunks: OfflineResult[] = [];
    let rendered = 0;
    const renderTo = (frame: number) => {
      const upto = Math.min(frame, total);
      if (upto > rendered) {
        chunks.push(engine.render(upto - rendered));
        rendered = upto;
      }
    };
    for (const ev of events.slice(1)) {
      if (ev.type === 'param') {
        renderTo(Math.floor(ev.frame / B) * B); // the record must be queued before its block starts
        engine.setParam(ev.id, ev.param, ev.value, ev.frame);
      } else if (ev.type === 'midi') {
        renderTo(Math.floor(ev.frame / B) * B);
        engine.sendEvent(ev.id, ev.data, ev.frame);
      } else if (ev.type === 'patch') {
        // Arm the swap before the fade-out blocks, as the live engine did, then let the render reach it.
        await engine.settle();
        renderTo(ev.frame - FADE_BLOCKS * B);
        await engine.applyPatch(validatePatch(ev.patch), ev.frame / B);
      }
      await engine.settle();
    }
    renderTo(total);
    await engine.settle();
    const left = new Float32Array(total), right = new Float32Array(total);
    let at = 0;
    for (const c of chunks) {
      left.set(c.left, at);
      right.set(c.right, at);
      at += c.frames;
    }
    return { left, right, frames: total, seconds: (performance.now() - t0) / 1000, sampleRate: sr };
  } finally {
    await engine.close();
  }
}
