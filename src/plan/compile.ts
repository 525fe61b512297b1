/**
 * Compiles a validated patch into a RenderPlan: plain data (no kernels, no views) that any runner, on
 * the main thread or in a worker, can turn into a block loop. Runs off the audio path.
 *
 * Order and latency: plan/schedule.ts (dependency order; the cables that close a cycle become
 * feedback cables, one block of delay each).
 *
 * Channels (polyphony, see MAX_CHANNELS in module-api.ts) are decided here, once: each output's
 * channel count follows from its module's inputs and params, in execution order; cables that close a
 * cycle are settled by iterating to a fixed point. A C-channel output's buffer is C × blockSize floats,
 * channel after channel.
 *
 * Buffers. Every buffer is `blockSize` floats per channel in one Float32 arena. Offsets [0, constants) hold constant
 * buffers (one per distinct normal value of an unpatched input, filled once). Then each used output of
 * each module gets one buffer, or SLOTS buffers when it is read on another worker: the producer writes
 * slot `block % SLOTS`, so it may run up to SLOTS − 1 blocks ahead of its slowest reader without
 * overwriting what that reader has not read yet. Unused outputs share one scratch buffer per worker
 * (room for 16 channels): kernels never read their outputs.
 */
import { hashSeed } from '../dsp/random';
import { makeParams } from '../sdk/block-io';
import { MAX_CHANNELS, type AnyModule } from '../sdk/module-api';
import type { Patch } from './patch';
import { mustFind, scheduleModules, type Edge } from './schedule';

export interface RenderOptions {
  sampleRate: number;
  blockSize: number;
}

/** Buffers per output read across workers (a power of two): how far a producer may run ahead. */
export const SLOTS = 4;

export interface PlanInput {
  /** Offsets (floats into the arena) read in block b, indexed by b % SLOTS. */
  offsets: number[];
  connected: boolean;
  /** Index (in `modules`) of the producing module, -1 when unpatched. */
  from: number;
  /** 1 for a feedback cable (reads the producer's previous block), else 0. */
  lag: 0 | 1;
  /** Channels of the cable (0 when unpatched). */
  channels: number;
}

export interface PlanOutput {
  /** Offsets written in block b, indexed by b % SLOTS (all equal when the output has one buffer). */
  offsets: number[];
  used: boolean;
  /** Channels (1..16); the buffer holds channels × blockSize floats. */
  channels: number;
}

export interface PlanModule {
  id: string;
  type: string;
  /** Seed of this module's random sources. */
  seed: number;
  params: Record<string, number>;
  inputs: PlanInput[];
  outputs: PlanOutput[];
  /** Worker that runs the module (0 on the single-threaded path). */
  worker: number;
  /** Kernels the module runs: its channel count for a `poly` module, else 1. */
  voices: number;
  /** Arena offset and size (floats) of the module's readout area (size 0: none). */
  readout: { offset: number; floats: number };
}

export interface RenderPlan {
  sampleRate: number;
  blockSize: number;
  /** Modules in execution order. */
  modules: PlanModule[];
  /** Cables that close a cycle, as written in the patch; each delays one block. */
  feedback: { from: string; to: string }[];
  /** Constant buffers: offset and the value they hold. */
  constants: { offset: number; value: number }[];
  /** Floats the arena needs for all buffers. */
  arenaFloats: number;
  /** Index in `modules` of the patch's sink (the output module: ModuleDescriptor.sink), or -1. */
  output: number;
  workers: number;
}

/**
 * Builds the plan. `assign` maps each patch module index to a worker (default: all on worker 0).
 * Outputs read by a module on another worker get two slots.
 */
export function compilePatch(
  patch: Patch,
  opts: RenderOptions,
  assign: (order: readonly number[], edges: readonly Edge[], voices: readonly number[]) => { worker: number[]; workers: number } = singleWorker,
): RenderPlan {
  const { order, edges } = scheduleModules(patch);
  const { outChannels, voices } = inferChannels(patch, order, edges);
  const { worker, workers } = assign(order, edges, voices);
  const descs = patch.modules.map((m) => mustFind(m.type));
  const B = opts.blockSize;
  let next = 0;
  const alloc = (channels = 1) => {
    const off = next;
    next += B * channels;
    return off;
  };

  // Constant buffers for unpatched inputs, one per distinct normal value.
  const constants: { offset: number; value: number }[] = [];
  const constantFor = (value: number) => {
    let c = constants.find((k) => Object.is(k.value, value));
    if (!c) {
      c = { offset: alloc(), value };
      constants.push(c);
    }
    return c.offset;
  };
  constantFor(0);
  const scratch = Array.from({ length: workers }, () => alloc(MAX_CHANNELS));

  const feeding = feedingEdges(descs, edges);
  const readers: Edge[][][] = descs.map((d) => Object.keys(d.outputs).map(() => []));
  for (const e of edges) readers[e.from][e.fromPort].push(e);

  // Output buffers in execution order (keeps each worker's working set together).
  const outOffsets: PlanOutput[][] = descs.map(() => []);
  for (const i of order) {
    outOffsets[i] = Object.keys(descs[i].outputs).map((_, k) => {
      const rs = readers[i][k];
      const channels = outChannels[i][k];
      if (rs.length === 0) return { offsets: new Array<number>(SLOTS).fill(scratch[worker[i]]), used: false, channels };
      const crosses = rs.some((e) => worker[e.to] !== worker[i]);
      const a = alloc(channels);
      const offsets = crosses ? [a, ...Array.from({ length: SLOTS - 1 }, () => alloc(channels))] : new Array<number>(SLOTS).fill(a);
      return { offsets, used: true, channels };
    });
  }

  const position = new Int32Array(patch.modules.length);
  order.forEach((i, pos) => (position[i] = pos));
  const modules: PlanModule[] = order.map((i) => {
    const m = patch.modules[i];
    const desc = descs[i];
    const inputs: PlanInput[] = Object.entries(desc.inputs).map(([, spec], k) => {
      const e = feeding[i][k];
      if (!e) {
        const off = constantFor(spec.normal ?? 0);
        return { offsets: new Array<number>(SLOTS).fill(off), connected: false, from: -1, lag: 0, channels: 0 };
      }
      const src = outOffsets[e.from][e.fromPort].offsets;
      const lag: 0 | 1 = e.feedback ? 1 : 0;
      // In block b the consumer reads the slot the producer wrote in block b − lag.
      const offsets = src.map((_, s) => src[(s - lag + SLOTS) % SLOTS]);
      return { offsets, connected: true, from: position[e.from], lag, channels: outChannels[e.from][e.fromPort] };
    });
    const floats = desc.readout?.floats ?? 0;
    return {
      id: m.id,
      type: m.type,
      readout: { offset: floats > 0 ? alloc(Math.ceil(floats / B)) : 0, floats },
      seed: hashSeed(patch.seed, m.id),
      params: { ...m.params },
      inputs,
      outputs: outOffsets[i],
      worker: worker[i],
      voices: voices[i],
    };
  });

  return {
    sampleRate: opts.sampleRate,
    blockSize: B,
    modules,
    feedback: edges.filter((e) => e.feedback).map((e) => ({ ...e.cable })),
    constants,
    arenaFloats: next,
    output: modules.findIndex((m) => mustFind(m.type).sink === true),
    workers,
  };
}

/**
 * Channel count of every output (by patch index, then output index) and voices of every module.
 * Modules are visited in execution order; a feedback cable's producer comes later, so the pass repeats
 * until nothing changes (at most 18 passes, so a cycle whose counts never settle still compiles).
 */
export function inferChannels(patch: Patch, order: readonly number[], edges: readonly Edge[]): { outChannels: number[][]; voices: number[] } {
  const descs = patch.modules.map((m) => mustFind(m.type));
  const params = patch.modules.map((m, i) => makeParams(descs[i], m.params));
  const outChannels = descs.map((d) => Object.keys(d.outputs).map(() => 1));
  const voices = descs.map(() => 1);
  const feeding = feedingEdges(descs, edges);
  const clampCh = (n: number) => Math.max(1, Math.min(MAX_CHANNELS, Math.floor(Number.isFinite(n) ? n : 1)));
  for (let pass = 0, changed = true; changed && pass <= MAX_CHANNELS + 1; pass++) {
    changed = false;
    for (const i of order) {
      const d = descs[i];
      const inCh = feeding[i].map((e) => (e ? outChannels[e.from][e.fromPort] : 0));
      let outs: number[];
      if (d.poly) {
        const names = Object.keys(d.inputs);
        let v = 1;
        for (const name of d.poly) v = Math.max(v, inCh[names.indexOf(name)] ?? 0);
        voices[i] = v;
        outs = outChannels[i].map(() => v);
      } else if (d.channels) {
        const got = d.channels(inCh, params[i]);
        outs = outChannels[i].map((_, k) => clampCh(got[k] ?? 1));
      } else continue;
      outs.forEach((c, k) => {
        if (c !== outChannels[i][k]) {
          outChannels[i][k] = c;
          changed = true;
        }
      });
    }
  }
  return { outChannels, voices };
}

/** The edge into every input (by patch index, then input index); undefined where unpatched. */
function feedingEdges(descs: readonly AnyModule[], edges: readonly Edge[]): (Edge | undefined)[][] {
  const feeding = descs.map((d) => Object.keys(d.inputs).map((): Edge | undefined => undefined));
  for (const e of edges) feeding[e.to][e.toPort] = e;
  return feeding;
}

/**
 * The worker that publishes Ctrl.RingWritten: the output module's, or worker 0 when the plan has no
 * output module (it then advances the ring with silence).
 */
export function ringWorker(plan: RenderPlan): number {
  return plan.output >= 0 ? plan.modules[plan.output].worker : 0;
}

function singleWorker(order: readonly number[]): { worker: number[]; workers: number } {
  return { worker: order.map(() => 0), workers: 1 };
}

export type { Edge } from './schedule';
