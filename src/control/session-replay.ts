/**
 * Offline replay of a recorded session (see control/session-log.ts): loads the start patch, then applies
 * each event at its frame, param changes through the workers' command rings (exact sample), structural
 * edits as plan swaps at their block, exactly as the live engine did. Not an audio-path API.
 */
import { Engine } from '../engine/engine';
import { FADE_BLOCKS } from '../realtime/swap-fade';
import { validatePatch } from '../plan/patch';
import type { SessionEvent } from './session-log';
import type { StreamResult } from '../engine/local-backend';
import type { BlockSink } from '../engine/block-sink';

/** Replays `events` into `opts.sink` (stereo blocks at the session's sample rate, in order). */
export async function replaySession(events: SessionEvent[], opts: { workers: number; frames?: number; sink: BlockSink }): Promise<StreamResult & { sampleRate: number }> {
  const start = events[0];
  if (start.type !== 'start') throw new Error('a session starts with a "start" event');
  const B = start.blockSize, sr = start.sampleRate;
  const engine = await Engine.start({ workers: Math.max(1, opts.workers), warm: false }); // offline: no warm-up needed
  const t0 = performance.now();
  try {
    await engine.load(validatePatch(start.patch, 'session log, start patch'), { sampleRate: sr, blockSize: B });
    const end = events.find((e) => e.type === 'end');
    const total = opts.frames ?? (end && end.type === 'end' ? end.frame : 0);
    let rendered = 0;
    const renderTo = (frame: number) => {
      const upto = Math.min(frame, total);
      if (upto > rendered) {
        engine.stream(upto - rendered, opts.sink);
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
        await engine.applyPatch(validatePatch(ev.patch, `session log, patch at frame ${ev.frame}`), ev.frame / B);
      }
      await engine.settle();
    }
    renderTo(total);
    await engine.settle();
    return { frames: total, seconds: (performance.now() - t0) / 1000, sampleRate: sr };
  } finally {
    await engine.close();
  }
}
