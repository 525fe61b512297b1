import type { AnyModule, BlockIO } from './module-api';

/**
 * Builds the BlockIO a kernel sees, from views made once per plan. Not RT-safe (allocates objects);
 * call it when a plan is built, never per block.
 */
export function makeBlockIO(
  desc: AnyModule,
  inputs: readonly Float32Array[],
  outputs: readonly Float32Array[],
  params: Record<string, number>,
  connected: readonly boolean[],
  used: readonly boolean[],
  /** Channel counts and block size (default: mono, B = the first view's length or 128). */
  shape?: { inChannels: readonly number[]; outChannels: readonly number[]; blockSize: number; readout?: Float32Array },
): BlockIO {
  const inNames = Object.keys(desc.inputs);
  const outNames = Object.keys(desc.outputs);
  const inObj: Record<string, Float32Array> = {};
  const conObj: Record<string, boolean> = {};
  inNames.forEach((name, i) => {
    inObj[name] = inputs[i];
    conObj[name] = connected[i];
  });
  const outObj: Record<string, Float32Array> = {};
  const usedObj: Record<string, boolean> = {};
  outNames.forEach((name, i) => {
    outObj[name] = outputs[i];
    usedObj[name] = used[i];
  });
  const blockSize = shape?.blockSize ?? (outputs[0] ?? inputs[0])?.length ?? 128;
  const inChannels = shape?.inChannels ?? connected.map((c) => (c ? 1 : 0));
  const outChannels = shape?.outChannels ?? outputs.map(() => 1);
  const readout = shape?.readout ?? new Float32Array(desc.readout?.floats ?? 0);
  return { in: inObj, out: outObj, params, connected: conObj, used: usedObj, inputs, outputs, inChannels, outChannels, blockSize, readout };
}

/**
 * A params object holding every param of `desc` in declaration order: `values`, else the defaults.
 * Every params object of a module type is built by this one path, so they all share one hidden class
 * (the runner used to clone the patch's objects, whose maps depend on how each was parsed: the kernel's
 * param loads turned polymorphic and V8 boxed the doubles they read, garbage on the audio path, found
 * in the canonical workload's VCFs). Fields are created holding NaN, so they are doubles from the start
 * and no map is generalised later, while audio runs.
 */
export function makeParams(desc: AnyModule, values: Readonly<Record<string, number>> = {}): Record<string, number> {
  const params: Record<string, number> = {};
  for (const name of Object.keys(desc.params)) params[name] = NaN;
  for (const [name, spec] of Object.entries(desc.params)) params[name] = values[name] ?? spec.default;
  return params;
}
