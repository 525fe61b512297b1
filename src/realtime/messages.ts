/**
 * The worker and watchdog messages (declared in protocol/worker-messages.ts and
 * protocol/watchdog-messages.ts) bound to the types they carry: the compiled plan (plan/), the arena
 * layout (memory/) and a user module's source (user-modules/). protocol/ is a leaf and cannot import
 * them; this folder is the lowest that sees all three, and both ends (the entries here, engine/ above)
 * import the bound types from here. Types only.
 */
import type { RenderPlan } from '../plan/compile';
import type { ArenaLayout } from '../memory/layout';
import type { UserModuleSource } from '../user-modules/source';
import type * as W from '../protocol/worker-messages';
import type * as D from '../protocol/watchdog-messages';

/** What the messages carry, for the generic declarations of protocol/. */
export interface EngineCarried {
  plan: RenderPlan;
  layout: ArenaLayout;
  userModule: UserModuleSource;
}

export type WorkerInit = W.WorkerInit<EngineCarried>;
export type ToWorker = W.ToWorker<EngineCarried>;
export type FromWorker = W.FromWorker;
export type WatchdogInit = D.WatchdogInit;
export type ToWatchdog = D.ToWatchdog<EngineCarried>;
export type FromWatchdog = D.FromWatchdog;
