/**
 * The messages between the control thread and the watchdog thread (realtime/watchdog-entry.ts), with
 * its start-up data. Control plane only; the watchdog reads the workers' heartbeats in the arena
 * (memory/), never by message. Types only; generic over what this leaf cannot name (`Carried`, bound
 * in realtime/messages.ts). Names are append-only.
 */
import type { Carried } from './worker-messages';

export interface WatchdogInit {
  /** Wake word: bumped by the control thread when it posts a message. */
  mailbox: SharedArrayBuffer;
  /** The priority helper's request pipe (under SCHED_FIFO), through which a hung thread is demoted. */
  priorityPipe?: string;
}

export type ToWatchdog<C extends Carried> =
  | { type: 'watch'; sab: SharedArrayBuffer; layout: C['layout']; plan: C['plan']; tids: number[] }
  | { type: 'quit' };

export type FromWatchdog =
  | { type: 'ready'; tid: number }
  /** `why`: what the watchdog saw (how long in one call, the thread's state), for the fault report. */
  | { type: 'hung'; worker: number; block: number; demoted: boolean; why: string };
