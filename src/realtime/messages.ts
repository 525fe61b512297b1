/**
 * Every message between the control thread and the audio side's threads, in one place: the DSP
 * workers' (realtime/worker-entry.ts) and the watchdog's (realtime/watchdog-entry.ts), each with its
 * start-up data. Control plane only: plans, layouts, restarts, reports. No audio and nothing per block
 * travels by message (that is the arena's job, memory/). Types only.
 *
 * They live beside the entries rather than in protocol/ because they carry a RenderPlan (plan/) and an
 * ArenaLayout (memory/), and protocol/ is a leaf: the engine (control side) imports them downward.
 */
import type { MessagePort } from 'node:worker_threads';
import type { RenderPlan } from '../plan/compile';
import type { ArenaLayout } from '../memory/layout';
import type { UserModuleSource } from '../user-modules/source';

export interface WorkerInit {
  /** Pool mailbox: Int32Array [wake generation]. */
  mailbox: SharedArrayBuffer;
  port: MessagePort;
  index: number;
  /** Run the JIT warm-up before reporting ready (false for offline renders). */
  warm: boolean;
  /** User module sources (--module-dir) to install before warming up: the control thread's code. */
  userModules?: UserModuleSource[];
}

export type ToWorker =
  | { type: 'load'; sab: SharedArrayBuffer; layout: ArenaLayout; plan: RenderPlan; worker: number; warmBlocks: number; owner?: number; firstBlock?: number }
  | { type: 'swap'; layout: ArenaLayout; plan: RenderPlan; worker: number; atBlock: number }
  /** Restart these modules if they are down (fault recovery on a healthy worker). */
  | { type: 'restart'; ids: string[]; atBlock: number }
  /** A replacement worker (loaded with `load`) joins the running stream at `atBlock` or later (BlockLoop.join); `started` says where. */
  | { type: 'start'; atBlock: number; keepDown: string[] }
  | { type: 'unload' }
  | { type: 'describe'; module: string }
  | { type: 'heap' }
  | { type: 'quit' };

export type FromWorker =
  | { type: 'ready'; threadId: number; tid: number; warmMs: number }
  | { type: 'loaded'; modules: number; buildMs: number }
  | { type: 'swapped'; atBlock: number; kept: number; created: number }
  | { type: 'restarted'; ids: string[]; atBlock: number }
  | { type: 'started'; atBlock: number }
  | { type: 'described'; inputs: { name: string; byteOffset: number; isShared: boolean; first: number }[]; outputs: { name: string; byteOffset: number; isShared: boolean }[] }
  | { type: 'heap'; usedHeap: number; totalHeap: number }
  | { type: 'error'; message: string };

export interface WatchdogInit {
  /** Wake word: bumped by the control thread when it posts a message. */
  mailbox: SharedArrayBuffer;
  /** The priority helper's request pipe (under SCHED_FIFO), through which a hung thread is demoted. */
  priorityPipe?: string;
}

export type ToWatchdog =
  | { type: 'watch'; sab: SharedArrayBuffer; layout: ArenaLayout; plan: RenderPlan; tids: number[] }
  | { type: 'quit' };

export type FromWatchdog =
  | { type: 'ready'; tid: number }
  /** `why`: what the watchdog saw (how long in one call, the thread's state), for the fault report. */
  | { type: 'hung'; worker: number; block: number; demoted: boolean; why: string };
