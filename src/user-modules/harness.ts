/**
 * Runs one module's kernel on its own the way the engine calls it (one call per block, absolute frame
 * counter), for the conformance suite. Not RT-safe (allocates per render); the allocation check uses
 * `blockRunner`, whose per-block function allocates nothing.
 */
import { makeBlockIO, makeParams } from '../sdk/block-io';
import type { AnyModule, BlockIO, Kernel } from '../sdk/module-api';
import { Random } from '../sdk';

export type Source = number | Float32Array;

export interface Harness {
  kernel: Kernel;
  io: BlockIO;
  /** Input views (one block each), in declaration order. */
  inViews: Float32Array[];
  outViews: Float32Array[];
  block: number;
}

export const SR = 48000;

export function makeHarness(desc: AnyModule, block: number, params: Record<string, number> = {}, seed = 5): Harness {
  const inNames = Object.keys(desc.inputs), outNames = Object.keys(desc.outputs);
  const p = makeParams(desc, params);
  const inChannels = inNames.map(() => 1);
  const outChannels = desc.channels ? [...desc.channels(inChannels, p)] : outNames.map(() => 1);
  const inViews = inNames.map(() => new Float32Array(block));
  const outViews = outChannels.map((c) => new Float32Array(c * block));
  const io = makeBlockIO(desc, inViews, outViews, p, inNames.map(() => true), outNames.map(() => true), { inChannels, outChannels, blockSize: block });
  const kernel = desc.create({ sampleRate: SR, seed, maxBlock: block });
  return { kernel, io, inViews, outViews, block };
}

/** Renders `frames` samples of every output (channel 0) with each input reading its source. */
export function render(h: Harness, inputs: readonly Source[], frames: number, startFrame = 0): Float32Array[] {
  const out = h.outViews.map(() => new Float32Array(frames));
  for (let f = 0; f < frames; f += h.block) {
    const n = Math.min(h.block, frames - f);
    h.inViews.forEach((v, k) => {
      const s = inputs[k];
      for (let i = 0; i < n; i++) v[i] = typeof s === 'number' ? s : s[f + i];
    });
    h.kernel.process(h.io, 0, n, startFrame + f);
    h.outViews.forEach((v, k) => out[k].set(v.subarray(0, n), f));
  }
  return out;
}

/** Lively deterministic test signals per input kind: gates toggle, audio is noisy, CV wanders. */
export function signalsFor(desc: AnyModule, frames: number, seed: number): Float32Array[] {
  const rng = new Random(seed);
  return Object.values(desc.inputs).map((spec) => {
    const x = new Float32Array(frames);
    for (let i = 0; i < frames; i++) {
      if (spec.signal === 'gate' || spec.signal === 'trigger') x[i] = (i >> 8) % 3 === 0 ? 10 : 0;
      else if (spec.signal === 'audio') x[i] = 5 * rng.nextBipolar();
      else x[i] = 2 * Math.sin(i / 300) + 0.5 * rng.nextBipolar();
    }
    return x;
  });
}

/** Each input at its unpatched value. */
export function normals(desc: AnyModule): number[] {
  return Object.values(desc.inputs).map((s) => s.normal ?? 0);
}

export function firstNonFinite(outs: readonly Float32Array[], names: readonly string[]): string | undefined {
  for (let k = 0; k < outs.length; k++) {
    const x = outs[k];
    for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return `${names[k]}[${i}] = ${x[i]}`;
  }
  return undefined;
}

/** Where two renders first differ (bit for bit), or undefined. */
export function firstDifference(a: readonly Float32Array[], b: readonly Float32Array[], names: readonly string[]): string | undefined {
  for (let k = 0; k < a.length; k++) {
    for (let i = 0; i < a[k].length; i++) {
      if (!Object.is(a[k][i], b[k][i])) return `${names[k]} differs at sample ${i} (${a[k][i]} vs ${b[k][i]})`;
    }
  }
  return undefined;
}

/**
 * A per-block function for the allocation check: copies lively inputs into the views (plain loops:
 * subarray would make a view per block) and runs the kernel. Allocates nothing itself.
 */
export function blockRunner(desc: AnyModule, h: Harness, frames = 4096): (from: number, blocks: number) => void {
  const sources = signalsFor(desc, frames, 21);
  const B = h.block, kernel = h.kernel, io = h.io, views = h.inViews;
  return (from: number, blocks: number) => {
    for (let b = from; b < from + blocks; b++) {
      const at = (b * B) % (frames - B);
      for (let k = 0; k < sources.length; k++) {
        const src = sources[k], dst = views[k];
        for (let i = 0; i < B; i++) dst[i] = src[at + i];
      }
      kernel.process(io, 0, B, b * B);
    }
  };
}
