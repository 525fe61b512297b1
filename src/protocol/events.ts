/**
 * The events the OSC server sends to /notify subscribers: one table, as the command table is for
 * requests. Each event has its argument kinds (as in protocol/commands.ts), their names and a line of
 * docs; docs/osc.md's events section is generated from it, and the server can send no address that
 * is not here (`EventAddress` types every sender). Names are append-only.
 */
import type { ArgKind } from './commands';

export interface EventSpec {
  readonly args: readonly ArgKind[];
  /** One name per argument, for the reference. */
  readonly names: readonly string[];
  readonly doc: string;
}

export const EVENTS = {
  '/module/added': { args: ['s', 's'], names: ['id', 'type'], doc: 'A client added a module (sent to the other subscribers as well as the sender).' },
  '/module/removed': { args: ['s'], names: ['id'], doc: 'A client removed a module.' },
  '/module/moved': { args: ['s', 'i', 'i'], names: ['id', 'x', 'y'], doc: "A client placed a module's panel (/module/move; pixels)." },
  '/cable/connected': { args: ['s', 's'], names: ['from', 'to'], doc: 'A client connected a cable.' },
  '/cable/disconnected': { args: ['s', 's'], names: ['from', 'to'], doc: 'A client removed a cable.' },
  '/param/changed': { args: ['s', 's', 'f'], names: ['id', 'param', 'value'], doc: 'A client set params (/param/set or the short form); one param/value pair per param set, repeated. Not sent for params in timed bundles.' },
  '/patch/loaded': { args: ['s'], names: ['name'], doc: 'A client loaded a patch from the patch directory.' },
  '/patch/cleared': { args: [], names: [], doc: 'A client cleared the patch.' },
  '/fault': {
    args: ['s', 's', 'i'],
    names: ['id', 'kind', 'frame'],
    doc: 'A module faulted at that engine frame and its outputs read 0 V from then on. kind: throw, nan (NaN or ±Inf output), hang (spun past --hang-ms), heap (its worker ran out of heap), lost (collateral: its worker was replaced because another module on it hung or ran out of heap).',
  },
  '/restarted': { args: ['s', 'i', 'i'], names: ['id', 'frame', 'downFrames'], doc: 'A faulted module plays again from that frame, with its params, after downFrames of silence.' },
  '/disabled': { args: ['s', 's'], names: ['id', 'kind'], doc: 'A module faulted --max-faults times within --fault-window and stays silent (kind: its last fault) until /module/enable.' },
  '/enabled': { args: ['s'], names: ['id'], doc: 'A disabled module was enabled again (/module/enable) and restarted.' },
  '/module/reloaded': {
    args: ['s', 's', 'i'],
    names: ['type', 'file', 'frame'],
    doc: 'A user module file changed (--module-dir), passed module-test and was swapped in: the modules of that type play the new code, with their params, from that frame (their workers were handed over to new threads at that block edge: no block is silent).',
  },
  '/module/reload-failed': {
    args: ['s', 's', 's'],
    names: ['file', 'reason', 'type'],
    doc: "A changed user module file was refused (load error, module-test failure, a fault in its warm-up, or its ports or params changed) and the old version keeps playing; or it was swapped in and faulted within its first 2 s of audio, and the previous version was restored (reason says which). type: the file's module type ('' when unknown).",
  },
} as const satisfies Record<string, EventSpec>;

export type EventAddress = keyof typeof EVENTS;
