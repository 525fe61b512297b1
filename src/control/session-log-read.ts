/**
 * Reads a session log (control/session-log.ts) for replay, with the same bounds as a patch file: a
 * regular file only, at most MAX_SESSION_BYTES, each line parsed in linear time with the nesting limit
 * and prototype-key check (engine/patch-json.ts), every event's fields checked (a bad one is named by
 * its line and field). A last line cut off by a crash (no newline, not JSON)
 * in a log without its end line is left out: render then asks for --seconds, as for any log of a
 * session that did not stop cleanly. Not an audio-path API.
 */
import { parseBoundedJson } from '../plan/patch-json';
import { FileReadError, readRegularFile } from '../io/read-file';
import type { SessionEvent } from './session-events';

/** Largest session log read. */
export const MAX_SESSION_BYTES = 256 * 2 ** 20;

export class SessionLogError extends Error {}

type Fields = Record<string, unknown>;

const isFrame = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Why `ev` is not a valid event (naming the field), or undefined. */
function eventProblem(ev: Fields, first: boolean): string | undefined {
  if (first) {
    if (ev.type !== 'start') return 'a session log starts with a "start" line';
    if (typeof ev.sampleRate !== 'number' || !Number.isInteger(ev.sampleRate) || ev.sampleRate < 8000 || ev.sampleRate > 384000) return 'sampleRate: must be a whole number of Hz in [8000, 384000]';
    if (typeof ev.blockSize !== 'number' || !Number.isInteger(ev.blockSize) || ev.blockSize < 1 || ev.blockSize > 4096) return 'blockSize: must be a whole number of frames in [1, 4096]';
    if (typeof ev.patch !== 'object' || ev.patch === null) return 'patch: must be a patch document';
    return undefined;
  }
  if (!isFrame(ev.frame)) return 'frame: must be a whole number ≥ 0';
  switch (ev.type) {
    case 'param':
      if (typeof ev.id !== 'string') return 'id: must be a module id';
      if (typeof ev.param !== 'string') return 'param: must be a param name';
      if (typeof ev.value !== 'number' || !Number.isFinite(ev.value)) return 'value: must be a finite number';
      return undefined;
    case 'midi':
      if (typeof ev.id !== 'string') return 'id: must be a module id';
      if (typeof ev.data !== 'number' || !Number.isInteger(ev.data)) return 'data: must be a packed MIDI message';
      return undefined;
    case 'patch':
      return typeof ev.patch === 'object' && ev.patch !== null ? undefined : 'patch: must be a patch document';
    case 'end':
      return undefined;
    case 'start':
      return 'a second "start" line';
    default:
      return 'type: must be "param", "patch", "midi" or "end"';
  }
}

export function readSessionLog(path: string): SessionEvent[] {
  let text: string;
  try {
    text = readRegularFile(path, { maxBytes: MAX_SESSION_BYTES }).toString('utf8');
  } catch (e) {
    if (e instanceof FileReadError) throw new SessionLogError(`${path}: ${e.reason}`);
    throw e;
  }
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  const events: SessionEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    const json = parseBoundedJson(line);
    if (!json.ok) {
      const cutOff = i === lines.length - 1 && !complete && !events.some((e) => e.type === 'end');
      if (cutOff && events.length > 0) break; // a crash during the last write: left out
      throw new SessionLogError(`${path}: line ${i + 1} is not a session event (${json.problems[0].message})`);
    }
    const ev = json.value;
    if (typeof ev !== 'object' || ev === null || Array.isArray(ev)) throw new SessionLogError(`${path}: line ${i + 1} is not a session event (not a JSON object)`);
    const why = eventProblem(ev as Fields, events.length === 0);
    if (why) throw new SessionLogError(`${path}: line ${i + 1}: ${why}`);
    const e = ev as SessionEvent;
    events.push(e);
    if (e.type === 'end') break;
  }
  if (events.length === 0) throw new SessionLogError(`${path}: empty (a session log starts with a "start" line)`);
  return events;
}
