/**
 * One module as a Runner holds it: its voice kernels, its params object and the BlockIO views over the
 * shared arena that every block reuses. Built when a plan is installed, on the thread that will run it.
 * Not RT-safe: creates kernels, views and BlockIO objects (nothing here runs per block).
 */
import { makeBlockIO, makeParams } from '../sdk/block-io';
import { SLOTS, type RenderPlan } from '../plan/compile';
import { polyReadOf, type AnyModule, type BlockIO, type Kernel } from '../sdk/module-api';
import { hashSeed } from '../dsp/random';

export interface RunnerModule {
  readonly id: string;
  readonly type: string;
  /** One kernel per voice (a `poly` module's channels; else one). Replaced on a restart after a fault. */
  kernels: Kernel[];
  /** Plan position. */
  readonly position: number;
  /** Param names in declaration order (index → name for param records). */
  readonly paramNames: readonly string[];
  /** The params object every BlockIO of this module (every voice) shares. */
  readonly params: Record<string, number>;
  /** BlockIO of voice v for block b at io[b % SLOTS][v] (one shared row when no port has several slots). */
  readonly io: readonly (readonly BlockIO[])[];
  /** Inputs that sum a polyphonic cable (InputSpec.polyRead): what the kernel reads; empty for most. */
  readonly sums: readonly SummedInput[];
}

/**
 * A polyphonic cable into a summing input of a mono module: before each run the channels of the
 * cable (its view for the block's slot) are added into `into`, the view the kernel reads.
 */
export interface SummedInput {
  readonly into: Float32Array;
  /** The cable's view per slot (every channel). */
  readonly from: readonly Float32Array[];
  readonly channels: number;
}

/** Seed of voice v of a module: voice 0 keeps the module's seed, so a mono patch is unchanged. */
export function voiceSeed(seed: number, voice: number): number {
  return voice === 0 ? seed : hashSeed(seed, `voice ${voice}`);
}

/**
 * The module at plan position `pos`, with views into `arena` (a Float32Array over the whole shared
 * arena). Kernels of `kept` (the same module in the plan before, when its type matches) are kept, so
 * their state survives a plan swap; the others are created fresh.
 */
export function buildRunnerModule(plan: RenderPlan, arena: Float32Array, pos: number, desc: AnyModule, kept: RunnerModule | undefined): RunnerModule {
  const B = plan.blockSize;
  const view = (off: number, channels = 1) => arena.subarray(off, off + B * channels);
  const zero = plan.constants.find((c) => Object.is(c.value, 0))!.offset;
  const pm = plan.modules[pos];
  const kernels = Array.from({ length: pm.voices }, (_, v) =>
    kept && kept.type === pm.type && kept.kernels[v] ? kept.kernels[v] : desc.create({ sampleRate: plan.sampleRate, seed: voiceSeed(pm.seed, v), maxBlock: B }),
  );
  const params = makeParams(desc, pm.params);
  const whole = desc.channels !== undefined; // the kernel sees every channel
  const readout = arena.subarray(pm.readout.offset, pm.readout.offset + pm.readout.floats);
  const shape = { inChannels: pm.inputs.map((i) => i.channels), outChannels: pm.outputs.map((o) => o.channels), blockSize: B, readout };
  // A mono module's summing inputs fed a polyphonic cable read a buffer of this runner's own, filled
  // before each run (made here, once per plan: nothing is allocated per block).
  const inSpecs = Object.values(desc.inputs);
  const sums: SummedInput[] = [];
  const summed = pm.inputs.map((inp, k) => {
    if (whole || desc.poly || inp.channels <= 1 || polyReadOf(inSpecs[k]) !== 'sum') return undefined;
    const s: SummedInput = { into: new Float32Array(B), from: inp.offsets.map((o) => view(o, inp.channels)), channels: inp.channels };
    sums.push(s);
    return s.into;
  });
  const inView = (off: number, channels: number, v: number, k: number) => {
    if (summed[k]) return summed[k]!;
    if (whole) return view(off, Math.max(1, channels));
    if (channels <= 1) return view(off); // mono (broadcast to every voice), or the unpatched normal
    return v < channels ? view(off + v * B) : view(zero); // missing channels read 0 V
  };
  const make = (slot: number, v: number) =>
    makeBlockIO(
      desc,
      pm.inputs.map((inp, k) => inView(inp.offsets[slot], inp.channels, v, k)),
      pm.outputs.map((o) => (whole ? view(o.offsets[slot], o.channels) : view(o.offsets[slot] + v * B))),
      params,
      pm.inputs.map((inp) => inp.connected),
      pm.outputs.map((o) => o.used),
      shape,
    );
  const slotted = (offs: number[]) => offs.some((o) => o !== offs[0]);
  const multi = pm.inputs.some((i) => slotted(i.offsets)) || pm.outputs.some((o) => slotted(o.offsets));
  const row = (slot: number) => kernels.map((_, v) => make(slot, v));
  const first = row(0);
  const io = Array.from({ length: SLOTS }, (_, s) => (s === 0 || !multi ? first : row(s)));
  return { id: pm.id, type: pm.type, kernels, position: pos, paramNames: Object.keys(desc.params), params, io, sums };
}
