/**
 * What an Engine is started and a patch is loaded with. Types only; control thread.
 */
import type { SupervisorOptions } from './supervision';

export interface EngineOptions {
  /** DSP worker threads; 0 runs everything on the calling thread. */
  workers: number;
  /** Warm spare workers kept aside to replace a hung or dead one (default 1). */
  spares?: number;
  /**
   * JIT-warm each worker on a patch of every module type before it is used (default true). Real time
   * needs it (the first blocks must run optimized code); an offline render does not (no deadline: the JIT
   * warms on the real plan's first blocks), and skipping it saves ~0.4 s of CPU per thread at start-up.
   */
  warm?: boolean;
  /** Crash-loop policy (default: disabled after 3 faults within 10 s). */
  faults?: Partial<Pick<SupervisorOptions, 'maxFaults' | 'windowS'>>;
}

export interface LoadOptions {
  sampleRate: number;
  blockSize: number;
  /** Output ring capacity in blocks (default 64). */
  ringBlocks?: number;
  /**
   * Blocks each worker renders of this plan on a private arena before the first real block, so the
   * JIT has optimized code for these exact shapes (real time: avoids underruns at the start). Default 0.
   */
  warmBlocks?: number;
  /** Bytes reserved per plan region (two regions; live edits alternate). Default 16 MiB or the plan's need. */
  regionBytes?: number;
  /**
   * Hang budget in ms: a module stuck in one `process` call this long is declared hung and its worker
   * replaced. Default: half the output ring's duration, at least 3 ms (so a hang is over before the
   * ring runs dry).
   */
  hangMs?: number;
  /**
   * The block the first run starts at (default 0). Offline renders only: tests start the shared block
   * counters (stamps, the output ring's, RunTo, SwapAt) just below their 2³¹ wrap with it.
   */
  firstBlock?: number;
}
