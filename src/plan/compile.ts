/**
 * Compiles a validated patch into a RenderPlan: plain data (no kernels, no views) that any runner, on
 * the main thread or in a worker, can turn into a block loop. Runs off the audio path.
 *
 * Order and latency. Modules run in dependency order, so a cable adds no delay within a block. When the
 * remaining modules form cycles, the unscheduled module that comes first in the patch is scheduled next
 * and its cables from unscheduled modules become feedback cables: each delays exactly one block
 * (the consumer reads what the producer wrote in the previous block). The choice depends only on the
 * patch, so it is deterministic; `feedback` reports it (and `modsynth check` prints it). A cable from a
 * module to itself is always a feedback cable.
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
import { findModule } from '../modules';
import { makeParams } from '../sdk/block-io';
import { MAX_CHANNELS, type AnyModule } from '../sdk/module-api';
import { parsePortRef, type Patch } from './patch';

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
  /** Index in `modules` of the output module, or -1. */
  output: number;
  workers: number;
}

interface Edge {
  from: number; // patch module index
  fromPort: number;
  to: number;
  toPort: number;
  feedback: boolean;
  cable: { from: string; to: string };
}

/** Execution order (patch indices) and the edges marked as feedback. Pure function of the patch. */
export function scheduleModules(patch: Patch): { order: number[]; edges: Edge[] } {
  const n = patch.modules.length;
  const index = new Map(patch.modules.map((m, i) => [m.id, i]));
  const descs = patch.modules.map((m) => mustFind(m.type));
  const edges: Edge[] = patch.cables.map((c) => {
    const f = parsePortRef(c.from)!, t = parsePortRef(c.to)!;
    const from = index.get(f.module)!, to = index.get(t.module)!;
    return {
      from,
      fromPort: Object.keys(descs[from].outputs).indexOf(f.port),
      to,
      toPort: Object.keys(descs[to].inputs).indexOf(t.port),
      feedback: from === to,
      cable: c,
    };
  });
  const incoming: Edge[][] = Array.from({ length: n }, () => []);
  const outgoing: Edge[][] = Array.from({ length: n }, () => []);
  const pending = new Int32Array(n);
  for (const e of edges) {
    if (e.feedback) continue;
    incoming[e.to].push(e);
    outgoing[e.from].push(e);
    pending[e.to]++;
  }
  const done = new Uint8Array(n);
  const order: number[] = [];
  // The ready modules, smallest patch index first (a binary heap: O(n log n) for the whole order).
  const ready = new MinHeap(n);
  for (let i = 0; i < n; i++) if (pending[i] === 0) ready.push(i);
  let firstUndone = 0;
  while (order.length < n) {
    // Next: the ready module that comes first in the patch; when none is ready, the first unscheduled
    // module, whose remaining inputs become feedback.
    let next = -1;
    while (ready.size > 0 && next < 0) {
      const i = ready.pop();
      if (!done[i]) next = i;
    }
    if (next < 0) {
      while (done[firstUndone]) firstUndone++;
      next = firstUndone;
      for (const e of incoming[next]) {
        if (!done[e.from] && !e.feedback) {
          e.feedback = true;
          pending[next]--;
        }
      }
    }
    done[next] = 1;
    order.push(next);
    for (const e of outgoing[next]) {
      if (e.feedback) continue;
      if (--pending[e.to] === 0 && !done[e.to]) ready.push(e.to);
    }
  }
  return { order, edges };
}

/** A binary min-heap of module indices (each pushed at most once per time its inputs become ready). */
class MinHeap {
  private readonly a: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.a = new Int32Array(Math.max(1, capacity));
  }

  push(v: number): void {
    const a = this.a;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= v) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = v;
  }

  pop(): number {
    const a = this.a, top = a[0], v = a[--this.size];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const c = l + 1 < this.size && a[l + 1] < a[l] ? l + 1 : l;
      if (a[c] >= v) break;
      a[i] = a[c];
      i = c;
    }
    a[i] = v;
    return top;
  }
}

function mustFind(type: string): AnyModule {
  const d = findModule(type);
  if (!d) throw new Error(`unknown module type "${type}" (validate the patch first)`);
  return d;
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
    output: modules.findIndex((m) => m.type === 'output'),
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

export type { Edge };
