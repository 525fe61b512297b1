/**
 * The module SDK: everything a module file imports besides `dsp/`. A module is a descriptor (ports,
 * params with units and ranges, docs) and a kernel class, declared with `defineModule` (see
 * module-api.ts for the thread and real-time rules a kernel keeps, and docs/modules.md for the
 * reference generated from the descriptors).
 *
 * The engine's side of the seam, which builds a kernel's `BlockIO` and params from a descriptor, is
 * `sdk/block-io.ts`; a module never imports it.
 */
export {
  defineModule,
  ports,
  polyReadOf,
  sinkOf,
  MAX_CHANNELS,
  type AnyModule,
  type BlockIO,
  type InitContext,
  type InputSpec,
  type InputSpecs,
  type Kernel,
  type ModuleDescriptor,
  type OutputSpec,
  type OutputSpecs,
  type ParamSpec,
  type ParamSpecs,
  type ParamUnit,
  type PortSpec,
  type SignalKind,
  type SinkKernel,
} from './module-api';
/** The seeded random source kernels use (never Math.random): `new Random(ctx.seed)` in `create`. */
export { Random } from '../dsp/random';
