/**
 * The messages between the control thread and a DSP worker (realtime/worker-entry.ts), with the
 * worker's start-up data. Control plane only: plans, layouts, restarts, reports; no audio and nothing
 * per block travels by message (that is the arena's job, memory/). Types only. Names are append-only.
 *
 * protocol/ is a leaf, so the types a message carries that are defined above it are parameters
 * (`Carried`): realtime/messages.ts binds them to the real ones (RenderPlan, ArenaLayout,
 * UserModuleSource), and every sender and receiver names the bound types.
 */
import type { MessagePort } from 'node:worker_threads';

/** What messages carry that this leaf cannot name: the compiled plan, the arena layout, a user module's source. */
export interface Carried {
  plan: unknown;
  layout: unknown;
  userModule: unknown;
}

export interface WorkerInit<C extends Carried> {
  /** Pool mailbox: Int32Array [wake generation]. */
  mailbox: SharedArrayBuffer;
  port: MessagePort;
  index: number;
  /** Run the JIT warm-up before reporting ready (false for offline renders). */
  warm: boolean;
  /** User module sources (--module-dir) to install before warming up: the control thread's code. */
  userModules?: C['userModule'][];
}

export type ToWorker<C extends Carried> =
  /** `warmOwn`: warm only this worker's modules (a hot reload's thread, spawned without the generic warm-up). */
  | { type: 'load'; sab: SharedArrayBuffer; layout: C['layout']; plan: C['plan']; worker: number; warmBlocks: number; owner?: number; firstBlock?: number; warmOwn?: boolean }
  | { type: 'swap'; layout: C['layout']; plan: C['plan']; worker: number; atBlock: number }
  /** Restart these modules if they are down (fault recovery on a healthy worker). */
  | { type: 'restart'; ids: string[]; atBlock: number }
  /** A replacement worker (loaded with `load`) joins the running stream at `atBlock` or later (BlockLoop.join); `started` says where. */
  | { type: 'start'; atBlock: number; keepDown: string[] }
  /**
   * Hot reload, to the thread that plays worker index w now: run up to `atBlock` (or the block it is at,
   * if later; `handing` says which), then give the index to its successor (bump WorkerWord.Owner and
   * notify it) and idle until terminated.
   */
  | { type: 'handover'; atBlock: number }
  /**
   * Hot reload, to the successor (loaded with `load` and the next `owner`): wait until the thread
   * before it has handed the index over at `atBlock`, then run from there, with no block skipped and
   * none silent; `started` when it runs. An `error` when the hand-over has not come within `waitMs`.
   * `params`: the modules' params now (changed since the load, while the old thread played on).
   */
  | { type: 'takeover'; atBlock: number; waitMs: number; params: Record<string, Record<string, number>> }
  | { type: 'unload' }
  | { type: 'describe'; module: string }
  | { type: 'heap' }
  | { type: 'quit' };

export type FromWorker =
  | { type: 'ready'; threadId: number; tid: number; warmMs: number }
  /** warmFaults: modules that faulted while warming (`warmOwn`), as "id (kind in warm-up block N)". */
  | { type: 'loaded'; modules: number; buildMs: number; warmFaults?: string[] }
  | { type: 'swapped'; atBlock: number; kept: number; created: number }
  | { type: 'restarted'; ids: string[]; atBlock: number }
  | { type: 'started'; atBlock: number }
  | { type: 'handing'; atBlock: number }
  | { type: 'described'; inputs: { name: string; byteOffset: number; isShared: boolean; first: number }[]; outputs: { name: string; byteOffset: number; isShared: boolean }[] }
  | { type: 'heap'; usedHeap: number; totalHeap: number }
  | { type: 'error'; message: string };
