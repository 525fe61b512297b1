/**
 * The module API: one declarative descriptor per module type plus a kernel that processes blocks.
 *
 * A descriptor is plain data (ports with their signal kind, params with unit, range, default and docs)
 * and a factory for the kernel. The compiler turns port and param names into dense indices in
 * declaration order; patches and OSC keep using names, so reordering a declaration never breaks a
 * saved patch. Names are append-only: never rename or reuse one.
 *
 * Thread and real-time rules for kernels:
 * - `create` runs off the audio path (on the worker that will own the module). It may allocate.
 * - `process` runs on the audio path, once per block (or per sub-block when a timed event splits the
 *   block). It must not allocate, create closures, log, post messages or await.
 * - Inputs are views into shared memory owned by the producer; a kernel never writes its inputs.
 *   Unpatched inputs read a buffer filled with the input's `normal` value, so kernels never test
 *   "connected?" per sample. `io.connected` may be read once per block to pick a cheaper loop.
 */

/** What a port carries (VCV Rack voltage standards, see docs/voltages.md). */
export type SignalKind =
  | 'audio' // ±5 V
  | 'cv' // unipolar 0..10 V or bipolar ±5 V control voltage
  | 'pitch' // 1 V/oct, 0 V = C4
  | 'gate' // 0 / 10 V, read with a Schmitt trigger (high ≥ 1 V, low ≤ 0.1 V)
  | 'trigger'; // 10 V pulse of 1 ms, read with a Schmitt trigger

export type ParamUnit =
  | 'V' // volts
  | 'V/oct' // pitch offset in volts, 1 V/oct
  | 'Hz'
  | 'Hz/V'
  | 's'
  | 'semitones'
  | 'cents'
  | 'ratio' // dimensionless, usually 0..1
  | 'gain' // linear amplitude factor
  | 'dB'
  | 'count' // a whole number (channels, voices)
  | 'enum'; // integer index into `choices`

export interface ParamSpec {
  readonly unit: ParamUnit;
  readonly min: number;
  readonly max: number;
  readonly default: number;
  /** One line for the module reference. */
  readonly doc: string;
  /** For `enum` params: the name of each integer value, in order. */
  readonly choices?: readonly string[];
  /**
   * The param decides a channel count (see `channels` on the descriptor): a change rebuilds the plan
   * (a click-free swap, like any patch edit) instead of going through the command ring.
   */
  readonly structural?: boolean;
}

export interface InputSpec {
  readonly signal: SignalKind;
  readonly doc: string;
  /** Voltage read when nothing is patched (default 0 V). */
  readonly normal?: number;
  /**
   * How a module that is not polyphonic (neither `poly` nor `channels`) reads a polyphonic cable here,
   * by VCV Rack's rule: `sum` adds its channels (the default for audio inputs: every voice is heard),
   * `first` reads channel 0 (the default for every other signal: a CV or gate has no meaningful sum).
   */
  readonly polyRead?: 'sum' | 'first';
}

/** How a mono module reads a polyphonic cable into this input (see InputSpec.polyRead). */
export function polyReadOf(spec: InputSpec): 'sum' | 'first' {
  return spec.polyRead ?? (spec.signal === 'audio' ? 'sum' : 'first');
}

export interface OutputSpec {
  readonly signal: SignalKind;
  readonly doc: string;
}

export type ParamSpecs = Readonly<Record<string, ParamSpec>>;
export type InputSpecs = Readonly<Record<string, InputSpec>>;
export type OutputSpecs = Readonly<Record<string, OutputSpec>>;

/** The port and param part of a descriptor; declared first so a kernel class can name its IO type. */
export interface PortSpec {
  readonly params: ParamSpecs;
  readonly inputs: InputSpecs;
  readonly outputs: OutputSpecs;
}

/**
 * What a kernel sees each block. Built once per plan (views into the arena); never rebuilt per block.
 * `params` holds the current control-space value of every param (plain numbers, fixed shape); the
 * engine writes them between blocks (or at a timed event's split point).
 */
export interface BlockIO<S extends PortSpec = PortSpec> {
  readonly in: { readonly [K in keyof S['inputs']]: Float32Array };
  readonly out: { readonly [K in keyof S['outputs']]: Float32Array };
  readonly params: { [K in keyof S['params']]: number };
  /** True when a cable feeds the input. */
  readonly connected: { readonly [K in keyof S['inputs']]: boolean };
  /** True when at least one cable leaves the output. */
  readonly used: { readonly [K in keyof S['outputs']]: boolean };
  /** The same views as `in` / `out`, in declaration order (for modules with numbered ports). */
  readonly inputs: readonly Float32Array[];
  readonly outputs: readonly Float32Array[];
  /**
   * Channels of each input's cable (0 when unpatched), in declaration order. Fixed for the plan.
   * Only modules that declare `channels` see views longer than one block: channel c of a port is
   * samples [c·B, c·B + B) of its view (B = the plan's block size, `blockSize` here).
   */
  readonly inChannels: readonly number[];
  /** Channels of each output, in declaration order (1 for a mono output). */
  readonly outChannels: readonly number[];
  /** Samples per channel in the views (the plan's block size). */
  readonly blockSize: number;
  /**
   * The module's readout area in shared memory (`readout.floats` floats; empty when it has none): what
   * the control plane reads back (OSC /module/read). The kernel writes it on the audio path; readers
   * copy it without locks, so a kernel that publishes several values together bumps a generation
   * count around the write (see `scope`).
   */
  readonly readout: Float32Array;
}

export interface InitContext {
  readonly sampleRate: number;
  /** Seed for this module's random sources, derived from the patch seed and the module id. */
  readonly seed: number;
  /** Largest block the engine will ask for. */
  readonly maxBlock: number;
}

export interface Kernel<S extends PortSpec = PortSpec> {
  /**
   * Processes samples [start, end) of the current block. `frame` is the absolute frame index of
   * sample 0 of the block, for modules that keep control work on a fixed grid of absolute frames
   * (which keeps their output independent of the block size). Audio path: no allocation.
   */
  process(io: BlockIO<S>, start: number, end: number, frame: number): void;
  /** Returns the kernel to its freshly created state. Not on the audio path. */
  reset(): void;
  /**
   * A timed event for this module (a MIDI message packed by `packMidi`), delivered between the samples
   * before and from its frame: the block is split there exactly as for a param change. `io` is the
   * module's BlockIO (for its params and channel counts; slot 0). Audio path: no allocation. Only
   * modules that take events implement it.
   */
  event?(data: number, io: BlockIO<S>): void;
}

/**
 * The kernel of a `sink` module (ModuleDescriptor.sink): it writes each block's stereo frames, in full
 * scale, into `left` and `right` rather than into output ports. It allocates both with `maxBlock`
 * floats in `create` (so it runs on its own, as offline renders and tests run it); the engine may point
 * them elsewhere, e.g. at the block of the output ring that block fills. Thread rule: only the thread
 * that runs the kernel assigns them, between its process calls (plain fields, never shared).
 */
export interface SinkKernel<S extends PortSpec = PortSpec> extends Kernel<S> {
  left: Float32Array;
  right: Float32Array;
}

/**
 * Polyphony, by VCV Rack's rules: a cable carries 1 to 16 channels.
 * - A module with `poly` runs one kernel per channel (a voice). The channel count is the largest
 *   among the `poly` inputs (at least 1); every output carries that many channels. Each voice sees
 *   mono views: channel v of each input, the single channel of a mono input (broadcast), or 0 V where
 *   a polyphonic input has fewer channels than the module (missing channels read 0 V).
 * - A module with `channels` handles channels itself: it is given every input's channel count and
 *   returns every output's; its views hold all channels.
 * - Any other module is mono: each input reads channel 0 of its cable, and each output has 1 channel.
 */
export const MAX_CHANNELS = 16;

export interface ModuleDescriptor<S extends PortSpec = PortSpec> extends PortSpec {
  /** Stable type name used in patches and OSC. Never renamed or reused. */
  readonly type: string;
  /** Bumped when the meaning of stored params changes (upgrade hooks key on it). */
  readonly version: number;
  readonly title: string;
  readonly category: 'source' | 'filter' | 'envelope' | 'amplifier' | 'modulation' | 'sequencing' | 'utility' | 'effect' | 'io' | 'debug';
  /**
   * Runs on a worker of its own, away from every other module, so that a hang or heap exhaustion in it
   * costs no other module its state (see docs/faults.md). For modules that may misbehave by design.
   * `'kind'`: one worker per module type, shared by its instances (the default of user modules).
   */
  readonly isolated?: boolean | 'kind';
  /**
   * The module's output does not depend on the block size or on where blocks are split (its control
   * work, if any, runs on a grid of absolute frames). `modsynth module-test` checks it when declared;
   * the built-in modules all keep it (test/modules/conformance.test.ts).
   */
  readonly blockSizeInvariant?: boolean;
  /**
   * Every output sample is finite whatever the inputs and params hold (inputs sanitized, outputs bounded
   * by construction), so the runner skips its per-block scan of these outputs for NaN and ±Inf. Honoured
   * for built-in modules only: a user module's outputs are always scanned. Each built-in that declares
   * it is checked by test/modules/conformance.test.ts with inputs up to ±FLT_MAX, NaN and ±Inf and
   * params at both ends of their ranges.
   */
  readonly boundedOutputs?: boolean;
  /**
   * The patch's sink: what its kernel (a SinkKernel) writes is what the device plays and the file
   * holds. A patch has at most one; without one it renders silence. It has no outputs. Built-in
   * modules only (the `output` module): a user module that declares it is refused, since what a sink
   * writes goes to the device without the runner's scan for NaN and ±Inf.
   */
  readonly sink?: boolean;
  /** Multi-line reference text: contract, ranges, limitations. */
  readonly doc: string;
  /** Values the control plane can read (analysis modules): size and how to present them. */
  readonly readout?: {
    readonly floats: number;
    /**
     * Float 0 is a generation count, odd while the kernel writes: readers retry until they copy the
     * area with the same even generation before and after.
     */
    readonly generation?: boolean;
    /** Turns a copy of the readout area into OSC reply arguments (name, value, …). Control thread. */
    format(values: Float32Array): (string | number)[];
  };
  /** Takes MIDI channel messages through Kernel.event (from --midi files, live input and OSC /midi). */
  readonly midi?: boolean;
  /** Polyphonic by voices: the inputs whose channel count decides the module's (see MAX_CHANNELS). */
  readonly poly?: readonly string[];
  /**
   * Handles channels itself: each output's channel count (1..16) from each input's (0 = unpatched)
   * and the params. Runs off the audio path, when the plan is compiled.
   */
  channels?(inputs: readonly number[], params: Readonly<Record<string, number>>): readonly number[];
  readonly params: S['params'];
  readonly inputs: S['inputs'];
  readonly outputs: S['outputs'];
  create(ctx: InitContext): Kernel<S>;
}

/** Declares a module type. Keeps literal port and param names so `BlockIO<typeof spec>` is exact. */
export function defineModule<const S extends PortSpec>(
  spec: S,
  meta: Omit<ModuleDescriptor<S>, keyof PortSpec>,
): ModuleDescriptor<S> {
  return { ...meta, params: spec.params, inputs: spec.inputs, outputs: spec.outputs };
}

/** Identity helper that checks a port spec and keeps its literal type. */
export function ports<const S extends PortSpec>(spec: S): S {
  return spec;
}

/** Erases the exact port types for code that handles every module alike (compiler, runner). */
export type AnyModule = ModuleDescriptor<PortSpec>;

/**
 * The kernel as a SinkKernel when its descriptor declares `sink`, else undefined; throws when a sink's
 * kernel lacks its buffers. Not on the audio path (call it when a kernel is created).
 */
export function sinkOf(desc: AnyModule, kernel: Kernel): SinkKernel | undefined {
  if (desc.sink !== true) return undefined;
  const k = kernel as Partial<SinkKernel>;
  if (!(k.left instanceof Float32Array) || !(k.right instanceof Float32Array)) throw new Error(`module type "${desc.type}" is a sink, but its kernel has no left and right buffers`);
  return kernel as SinkKernel;
}
