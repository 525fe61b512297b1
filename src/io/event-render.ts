/**
 * Offline render of a patch with timed events (MIDI from a file): each event is queued just before
 * the block it falls in is rendered, through Engine.sendEvent, so it lands on its exact sample (the
 * module's block is split there) and the command rings never hold more than one block's events.
 * Not an audio-path API.
 */
import type { Engine } from '../engine/engine';
import type { OfflineResult } from './offline';

export interface ModuleEvent {
  frame: number;
  /** Module id. */
  id: string;
  /** packMidi(...) for a midi-cv module. */
  data: number;
}

/** Renders `frames` frames from the engine's current position, delivering `events` (sorted by frame). */
export function renderWithEvents(engine: Engine, frames: number, events: readonly ModuleEvent[], onProgress?: (framesDone: number) => void): OfflineResult {
  const B = engine.blockSize();
  const start = engine.nextParamFrame();
  const left = new Float32Array(frames), right = new Float32Array(frames);
  let rendered = 0, seconds = 0;
  const renderTo = (upto: number) => {
    if (upto <= rendered) return;
    const r = engine.render(upto - rendered);
    left.set(r.left, rendered);
    right.set(r.right, rendered);
    seconds += r.seconds;
    rendered = upto;
    onProgress?.(rendered);
  };
  for (let k = 0; k < events.length && events[k].frame < frames; ) {
    const blockStart = Math.floor(events[k].frame / B) * B;
    renderTo(blockStart);
    for (; k < events.length && events[k].frame < blockStart + B && events[k].frame < frames; k++) {
      const ev = events[k];
      if (!engine.sendEvent(ev.id, ev.data, start + ev.frame)) throw new Error(`event queue full at frame ${ev.frame} (more than the ring holds in one block)`);
    }
  }
  renderTo(frames);
  return { left, right, frames, seconds };
}
