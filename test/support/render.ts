import { makeBlockIO, makeParams } from '../../src/sdk/block-io';
import type { AnyModule, Kernel } from '../../src/sdk/module-api';

export type InputSource = number | Float32Array | ((frame: number) => number);

export interface RenderOptions {
  params?: Record<string, number>;
  /** Input signals: a constant, a buffer (as long as the render) or a function of the frame index. */
  inputs?: Record<string, InputSource>;
  frames: number;
  block?: number;
  sampleRate?: number;
  seed?: number;
  /** The module's readout area (meter, scope), written by the kernel. */
  readout?: Float32Array;
}

export interface RenderResult {
  out: Record<string, Float32Array>;
  kernel: Kernel;
}

/**
 * Runs one module's kernel on its own, the way the engine calls it (one call per block, absolute frame
 * counter), with the given input signals. Unspecified inputs read their normal value.
 */
export function renderModule(desc: AnyModule, opts: RenderOptions): RenderResult {
  const sampleRate = opts.sampleRate ?? 48000;
  const block = opts.block ?? 128;
  const kernel = desc.create({ sampleRate, seed: opts.seed ?? 1, maxBlock: block });
  return { out: runKernel(desc, kernel, opts), kernel };
}

export function runKernel(desc: AnyModule, kernel: Kernel, opts: RenderOptions): Record<string, Float32Array> {
  const block = opts.block ?? 128;
  const inNames = Object.keys(desc.inputs);
  const outNames = Object.keys(desc.outputs);
  const inViews = inNames.map(() => new Float32Array(block));
  const outViews = outNames.map(() => new Float32Array(block));
  const sources = inNames.map((n) => opts.inputs?.[n]);
  const connected = sources.map((s) => s !== undefined);
  const io = makeBlockIO(desc, inViews, outViews, makeParams(desc, opts.params), connected, outNames.map(() => true), {
    inChannels: connected.map((c) => (c ? 1 : 0)),
    outChannels: outNames.map(() => 1),
    blockSize: block,
    readout: opts.readout,
  });
  const out: Record<string, Float32Array> = {};
  for (const n of outNames) out[n] = new Float32Array(opts.frames);
  for (let frame = 0; frame < opts.frames; frame += block) {
    const n = Math.min(block, opts.frames - frame);
    inNames.forEach((name, k) => {
      const src = sources[k];
      const view = inViews[k];
      for (let i = 0; i < n; i++) {
        if (src === undefined) view[i] = desc.inputs[name].normal ?? 0;
        else if (typeof src === 'number') view[i] = src;
        else if (typeof src === 'function') view[i] = src(frame + i);
        else view[i] = src[frame + i];
      }
    });
    kernel.process(io, 0, n, frame);
    outNames.forEach((name, k) => out[name].set(outViews[k].subarray(0, n), frame));
  }
  return out;
}
