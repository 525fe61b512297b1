/**
 * JIT warm-up for a fresh worker: builds a patch with one of every module type (all ports patched, so
 * every loop variant runs) and renders it for a while on a private arena. Afterwards the kernels are
 * compiled by the optimizing tier before any real block runs. Not RT; runs once per worker at start.
 */
import { compilePatch, type RenderPlan } from '../plan/compile';
import { validatePatch } from '../plan/patch';
import { MODULES } from '../modules';
import { fillConstants, Runner } from './runner';
import { FAULT_NAMES } from './faults';

/**
 * Warms the JIT on a specific plan: runs the whole plan for `blocks` blocks on a private arena with
 * kernels of its own, then drops it. The real kernels and arena are untouched, so output is unchanged;
 * the point is that the first real blocks run optimized code for exactly these shapes. With `worker`,
 * only the modules of that worker run (their inputs from other workers read the private arena's zeros);
 * `faulted` collects the modules that threw or output NaN/±Inf meanwhile (a hot reload refuses them).
 */
export function warmPlan(plan: RenderPlan, blocks: number, worker?: number, faulted?: string[]): number {
  const t0 = performance.now();
  const arena = new Float32Array(new SharedArrayBuffer(plan.arenaFloats * 4));
  fillConstants(plan, arena);
  // With `worker`: only that worker's modules (a hot reload's thread warms the kernels it will run).
  const positions = plan.modules.map((_, i) => i).filter((i) => worker === undefined || plan.modules[i].worker === worker);
  const runner = new Runner(plan, arena, positions);
  for (let b = 0; b < blocks; b++) runner.runBlock(b, b * plan.blockSize, plan.blockSize);
  if (faulted) positions.forEach((p, m) => {
    if (!runner.isUp(m)) faulted.push(`${plan.modules[p].id} (${FAULT_NAMES[runner.table.kind(p)] ?? 'throw'} in warm-up block ${runner.table.block(p)})`);
  });
  return performance.now() - t0;
}

/**
 * Blocks of the generic warm-up (one of every module type, below): 600 blocks, 350–380 ms of CPU per
 * thread on the loaded 2-core machine, paid by every worker at start. Fewer was tried (issue 16) and
 * not kept: at 100 blocks the first blocks of a new plan cost the same (measured: the canonical 64-voice
 * plan built fresh after 60 and after 600 blocks, 50–56 ms for its first 20 blocks either way), but the
 * PulseAudio test (test/realtime/play.test.ts, 8 s through a null sink at the default buffer) lost
 * audio in the server in 4 of 7 runs against 0 of 6 at 600 (main and this, same hour): the JIT work
 * left for after the device starts (compiles at FIFO 4, code still unoptimized on the FIFO 5 workers)
 * keeps the normal-priority Pulse server off the cores.
 */
export const GENERIC_WARM_BLOCKS = 600;

export function warmUp(blocks = GENERIC_WARM_BLOCKS, blockSize = 128): number {
  const t0 = performance.now();
  const modules = MODULES.map((d) => ({ id: `m_${d.type}`, type: d.type }));
  const cables: { from: string; to: string }[] = [];
  // Feed every input from the previous module's first output (a chain through all types).
  let last: string | undefined;
  for (const d of MODULES) {
    if (last) for (const inp of Object.keys(d.inputs)) cables.push({ from: last, to: `m_${d.type}.${inp}` });
    const outs = Object.keys(d.outputs);
    if (outs.length) last = `m_${d.type}.${outs[0]}`;
  }
  const plan = compilePatch(validatePatch({ format: 'modsynth-patch', version: 1, modules, cables }), { sampleRate: 48000, blockSize });
  const arena = new Float32Array(new SharedArrayBuffer(plan.arenaFloats * 4));
  fillConstants(plan, arena);
  const runner = new Runner(plan, arena, plan.modules.map((_, i) => i));
  for (let b = 0; b < blocks; b++) runner.runBlock(b, b * blockSize, blockSize);
  return performance.now() - t0;
}
