/**
 * Offline render of a patch with timed events (MIDI from a file): each event is queued just before
 * the block it falls in is rendered, through Engine.sendEvent, so it lands on its exact sample (the
 * module's block is split there) and the command rings never hold more than one block's events.
 * Not an audio-path API.
 */
import type { Engine } from '../engine/engine';
import type { OfflineResult, StreamResult } from '../engine/local-backend';
import { BlockCollector, type BlockSink } from '../engine/block-sink';

export interface ModuleEvent {
  frame: number;
  /** Module id. */
  id: string;
  /** packMidi(...) for a midi-cv module. */
  data: number;
}

/** Renders `frames` frames from the engine's current position into memory (see streamWithEvents). */
export function renderWithEvents(engine: Engine, frames: number, events: readonly ModuleEvent[], onProgress?: (framesDone: number) => void): OfflineResult {
  const sink = new BlockCollector(frames);
  const r = streamWithEvents(engine, frames, events, sink, onProgress);
  return { left: sink.left, right: sink.right, frames: r.frames, seconds: r.seconds };
}

/** Renders `frames` frames from the engine's current position into `sink`, delivering `events` (sorted by frame). */
export function streamWithEvents(engine: Engine, frames: number, events: readonly ModuleEvent[], sink: BlockSink, onProgress?: (framesDone: number) => void): StreamResult {
  const B = engine.blockSize();
  const start = engine.nextParamFrame();
  let rendered = 0, seconds = 0;
  const renderTo = (upto: number) => {
    if (upto <= rendered) return;
    seconds += engine.stream(upto - rendered, sink).seconds;
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
  return { frames, seconds };
}
