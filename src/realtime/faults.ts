/**
 * A plan's health record (memory/health.ts, which holds the protocol and its thread rules): the
 * shape the record needs, read from the plan. `FaultTable` is the health table of one plan.
 */
import type { RenderPlan } from '../plan/compile';
import { HealthTable, type HealthShape } from '../memory/health';
import type { Stamps } from '../memory/stamps';

export { FAULT_NAMES, FaultKind, HealthState, type FaultName } from '../memory/health';

/** The output ranges and workers of a plan's positions, as the health record takes them. Not RT. */
export function healthShape(plan: RenderPlan): HealthShape {
  const B = plan.blockSize;
  return {
    outputRanges: plan.modules.map((m) =>
      m.outputs
        .filter((o) => o.used) // unused outputs write the worker's scratch, which nothing reads
        .flatMap((o) => [...new Set(o.offsets)].flatMap((off) => [off, off + B * o.channels])),
    ),
    workerOf: plan.modules.map((m) => m.worker),
    workers: plan.workers,
  };
}

/** The health table of one plan (see memory/health.ts for who may call what). Not RT to construct. */
export class FaultTable extends HealthTable {
  constructor(plan: RenderPlan, buffers: Float32Array, health: Int32Array, ctrl?: Int32Array, workerWords?: Int32Array, stamps?: Stamps) {
    super(healthShape(plan), buffers, health, ctrl, workerWords, stamps);
  }
}
