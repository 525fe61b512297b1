/**
 * Session recording: every change applied to a live session, with the frame it took effect at, as JSON
 * lines. `modsynth render PATCH --session FILE` replays it offline through the same engine and gives the
 * samples that were played, bit for bit.
 *
 *   {"type":"start","sampleRate":48000,"blockSize":128,"patch":{...}}
 *   {"type":"param","frame":12800,"id":"osc","param":"coarse","value":21}
 *   {"type":"patch","frame":25600,"patch":{...}}        (a structural edit, swapped in at that block)
 *   {"type":"midi","frame":30000,"id":"keys","data":4538768}   (a MIDI message, packed by packMidi)
 *   {"type":"end","frame":144000}
 *
 * Control thread only (small synchronous appends).
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
/** Patches are stored as their file documents (validated again on replay). */
export type SessionEvent =
  | { type: 'start'; sampleRate: number; blockSize: number; patch: unknown }
  | { type: 'param'; frame: number; id: string; param: string; value: number }
  | { type: 'patch'; frame: number; patch: unknown }
  | { type: 'midi'; frame: number; id: string; data: number }
  | { type: 'end'; frame: number };

export class SessionLog {
  private fd: number | undefined;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(ev: SessionEvent): void {
    if (this.fd !== undefined) writeSync(this.fd, JSON.stringify(ev) + '\n');
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export function readSessionLog(path: string): SessionEvent[] {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim());
  const events = lines.map((l, i) => {
    try {
      return JSON.parse(l) as SessionEvent;
    } catch {
      throw new Error(`${path}: line ${i + 1} is not JSON`);
    }
  });
  if (events[0]?.type !== 'start') throw new Error(`${path}: a session log starts with a "start" line`);
  return events;
}
