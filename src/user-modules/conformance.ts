/**
 * The conformance suite of `modsynth module-test`: the checks every built-in module passes
 * (test/modules/conformance.test.ts), run on one module's descriptor. Runs in the module-test worker
 * (conformance-entry.ts), with the nondeterminism traps installed; each check returns its verdict.
 */
import { parsePatch, serializePatch, validatePatch } from '../plan/patch';
import type { AnyModule } from '../sdk/module-api';
import { blockRunner, firstDifference, firstNonFinite, makeHarness, normals, render, signalsFor, type Source } from './harness';
import { takeUses } from './traps';
import { GROWTH_LIMIT_BYTES, MEASURED_BLOCKS, probeAllocation } from './alloc-probe';

export interface CheckResult {
  name: string;
  ok: boolean;
  /** Why it failed, or a note (e.g. "not declared" for a skipped check). */
  detail?: string;
  skipped?: boolean;
}

const FRAMES = 4096;

/** The checks, in report order. */
export const CHECKS = ['create', 'no-random-or-clock', 'silence', 'garbage', 'param-range', 'reset', 'determinism', 'block-size', 'serialize', 'no-allocation'] as const;

type Verdict = string | undefined | { skipped: string };

/** The synchronous checks, in order (allocation runs apart: it is asynchronous). */
export function syncChecks(desc: AnyModule): [string, () => Verdict][] {
  const outNames = Object.keys(desc.outputs);
  const lively = signalsFor(desc, FRAMES, 11);
  const run = (inputs: readonly Source[], block = 128, params: Record<string, number> = {}, seed = 5, frames = FRAMES) => render(makeHarness(desc, block, params, seed), inputs, frames);
  return [
    ['create', () => {
      const h = makeHarness(desc, 128);
      if (typeof h.kernel?.process !== 'function') return 'create() returned no kernel with a process(io, start, end, frame) method';
      if (typeof h.kernel.reset !== 'function') return 'the kernel has no reset() method';
      return undefined;
    }],
    ['silence', () => {
      const bad = firstNonFinite(run(normals(desc)), outNames);
      return bad && `silence in (inputs at their normal value) gives ${bad}`;
    }],
    ['garbage', () => {
      const garbage = [NaN, Infinity, -Infinity, 1e9, -1e9, 0, 5, 10];
      for (const value of garbage) {
        const bad = firstNonFinite(run(normals(desc).map(() => value), 64, {}, 5, 2048), outNames);
        if (bad) return `every input at ${value} V gives ${bad}`;
      }
      const mixed = Object.keys(desc.inputs).map((_, k) => Float32Array.from({ length: FRAMES }, (_, n) => garbage[(n + k * 3) % garbage.length]));
      const h = makeHarness(desc, 64);
      const bad = firstNonFinite(render(h, mixed, FRAMES), outNames);
      if (bad) return `mixed garbage (NaN, ±Inf, ±1e9 V) gives ${bad}`;
      const after = firstNonFinite(render(h, lively, FRAMES, FRAMES), outNames);
      return after && `after garbage, clean signals give ${after} (the kernel does not recover)`;
    }],
    ['param-range', () => {
      for (const end of ['min', 'max'] as const) {
        const params = Object.fromEntries(Object.entries(desc.params).map(([n, p]) => [n, p[end]]));
        const bad = firstNonFinite(run(lively, 128, params), outNames);
        if (bad) return `every param at its ${end} gives ${bad}`;
      }
      return undefined;
    }],
    ['reset', () => {
      const h = makeHarness(desc, 128);
      const fresh = render(h, lively, FRAMES);
      h.kernel.reset();
      const again = render(h, lively, FRAMES);
      const diff = firstDifference(fresh, again, outNames);
      return diff && `after reset(): ${diff} (reset must return the kernel to its fresh state)`;
    }],
    ['determinism', () => {
      const diff = firstDifference(run(lively), run(lively), outNames);
      return diff && `two kernels with the same seed and input: ${diff}`;
    }],
    ['block-size', () => {
      if (!desc.blockSizeInvariant) return { skipped: 'not declared (blockSizeInvariant)' };
      const ref = run(lively, 128);
      for (const block of [1, 64, 256]) {
        const diff = firstDifference(ref, run(lively, block), outNames);
        if (diff) return `block ${block} vs 128: ${diff}`;
      }
      return undefined;
    }],
    ['serialize', () => {
      const params: Record<string, number> = {};
      for (const [name, p] of Object.entries(desc.params)) params[name] = p.default === p.max ? p.min : p.max;
      const patch = validatePatch({ format: 'modsynth-patch', version: 1, modules: [{ id: 'm', type: desc.type, params }], cables: [] });
      const again = parsePatch(serializePatch(patch)).modules[0].params;
      for (const [name, v] of Object.entries(params)) if (!Object.is(again[name], v)) return `param ${name} = ${v} comes back from save → load as ${again[name]}`;
      return undefined;
    }],
  ];
}

export function runSyncChecks(desc: AnyModule, onStart: (name: string) => void): CheckResult[] {
  takeUses(); // what evaluating the file used is reported with the kernel's uses
  const results: CheckResult[] = [];
  let broken = false;
  for (const [name, check] of syncChecks(desc)) {
    if (broken) {
      results.push({ name, ok: false, skipped: true, detail: 'not run (the kernel cannot be created)' });
      continue;
    }
    onStart(name);
    let verdict: Verdict;
    try {
      verdict = check();
    } catch (e) {
      verdict = `threw: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}`;
    }
    if (typeof verdict === 'object') results.push({ name, ok: true, skipped: true, detail: verdict.skipped });
    else results.push(verdict ? { name, ok: false, detail: verdict } : { name, ok: true });
    if (name === 'create' && verdict) broken = true;
  }
  // Reported right after `create` (it covers every check's calls): a module that reads Math.random
  // also fails determinism, and this is the reason to give first.
  const uses = takeUses();
  results.splice(1, 0, uses.length
    ? { name: 'no-random-or-clock', ok: false, detail: `uses ${uses.join(', ')} (kernels use the SDK's Random seeded from ctx.seed, and the frame counter for time)` }
    : { name: 'no-random-or-clock', ok: true });
  return results;
}

/**
 * No allocation in the block function: after a warm-up, 20,000 blocks of 64 frames with lively inputs
 * and no scavenge (minor GC) and < 16 KiB heap growth, in up to 3 windows (alloc-probe.ts).
 */
export async function allocationCheck(desc: AnyModule, now: () => number): Promise<CheckResult> {
  const name = 'no-allocation';
  try {
    const { gcs, growth } = await probeAllocation(blockRunner(desc, makeHarness(desc, 64)), now);
    if (gcs > 0) return { name, ok: false, detail: `the block function allocates: ${gcs} scavenge(s) in ${MEASURED_BLOCKS.toLocaleString('en')} blocks, heap grew ${growth} bytes` };
    if (growth >= GROWTH_LIMIT_BYTES) return { name, ok: false, detail: `the block function allocates: heap grew ${growth} bytes in ${MEASURED_BLOCKS.toLocaleString('en')} blocks` };
    return { name, ok: true };
  } catch (e) {
    return { name, ok: false, detail: `threw: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}` };
  }
}
