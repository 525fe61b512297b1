/** The events of a session log, one JSON line each (control/session-log.ts describes the format). */

/** Patches are stored as their file documents (validated again on replay). */
export type SessionEvent =
  | { type: 'start'; sampleRate: number; blockSize: number; patch: unknown }
  | { type: 'param'; frame: number; id: string; param: string; value: number }
  | { type: 'patch'; frame: number; patch: unknown }
  | { type: 'midi'; frame: number; id: string; data: number }
  | { type: 'end'; frame: number };
