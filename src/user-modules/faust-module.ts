/**
 * A Faust module's descriptor and kernel, built from its compiled WebAssembly and Faust's JSON (on
 * every thread that runs it: the control thread for module-test, each DSP worker at start-up).
 *
 * Mapping (docs/sdk.md, "Faust modules"):
 * - Sliders and number entries become params, in the order of Faust's `[1]`, `[2]`… metadata where
 *   given: name from the label (non-alphanumerics → "_"), range,
 *   default and unit from the Faust metadata (`[unit:Hz]`, `dB`, `s`; any other unit is kept in the
 *   param's doc and the param's unit is "ratio"); the tooltip is the doc. Buttons and checkboxes
 *   become on/off enum params. Bargraphs are not exposed.
 * - Faust's inputs and outputs become audio ports: `in`/`out` for one channel, `left`/`right` for
 *   two, `in1…inN`/`out1…outN` otherwise. Scaled to Modsynth's volts: 5 V on a cable is 1.0 in Faust
 *   (so a Faust effect written for ±1.0 sees ±5 V audio at full scale); inputs are clamped to ±12 V
 *   (the Eurorack rails) and a NaN reads as 0 V.
 * - The kernel's WebAssembly instance has its own memory: each block, inputs are copied into it,
 *   `compute` runs, outputs are copied out (×5 V). A non-finite output sample is written as 0 V and
 *   clears the instance's state (it recovers instead of ringing NaN forever).
 *   Params are written to the instance only when they change (setParamValue).
 * - `reset()` clears the instance's state (instanceClear); its params are re-applied.
 * - Faust's own noise generators are deterministic (seeded at init): the module is deterministic, and
 *   block-size invariant when its DSP is (declared: Faust computes sample by sample).
 */
import type { AnyModule, BlockIO, InitContext, Kernel, ParamSpec, ParamUnit } from '../sdk/module-api';
import { faustImports } from './faust-imports';
import { ModuleFileError, USER_PREFIX, type FaustSource } from './source';

interface FaustItem {
  type: string;
  label: string;
  shortname?: string;
  index?: number;
  init?: number;
  min?: number;
  max?: number;
  step?: number;
  meta?: Record<string, string>[];
  items?: FaustItem[];
}
interface FaustJson {
  name: string;
  size: number;
  inputs: number;
  outputs: number;
  meta?: Record<string, string>[];
  ui: FaustItem[];
}
interface FaustExports {
  memory: WebAssembly.Memory;
  init(dsp: number, sampleRate: number): void;
  instanceClear(dsp: number): void;
  compute(dsp: number, count: number, inputs: number, outputs: number): void;
  setParamValue(dsp: number, index: number, value: number): void;
}

/** Volts per Faust unit (5 V = 1.0) and the input clamp (the Eurorack rails). */
export const FAUST_VOLTS = 5;
export const FAUST_INPUT_CLAMP_V = 12;

const UNITS: Record<string, ParamUnit> = { hz: 'Hz', db: 'dB', s: 's', sec: 's', semitones: 'semitones', cents: 'cents', v: 'V' };

interface Control {
  name: string;
  index: number;
  spec: ParamSpec;
  order: number;
}

function metaOf(meta: Record<string, string>[] | undefined, key: string): string | undefined {
  return meta?.find((m) => key in m)?.[key];
}

function controls(ui: FaustItem[]): Control[] {
  const out: Control[] = [];
  const used = new Set<string>();
  const walk = (items: FaustItem[]) => {
    for (const it of items) {
      if (it.items) walk(it.items);
      if (it.index === undefined) continue;
      const isSwitch = it.type === 'button' || it.type === 'checkbox';
      if (!isSwitch && !['hslider', 'vslider', 'nentry'].includes(it.type)) continue; // bargraphs, soundfiles
      let name = (it.shortname ?? it.label).replace(/[^A-Za-z0-9_]/g, '_').replace(/^[^A-Za-z]+/, '') || 'param';
      if (/^(?:__proto__|constructor|prototype)$/.test(name)) name = `p_${name}`;
      for (let k = 2; used.has(name); k++) name = `${name.replace(/_\d+$/, '')}_${k}`;
      used.add(name);
      const unitText = metaOf(it.meta, 'unit');
      const unit = isSwitch ? 'enum' : (UNITS[(unitText ?? '').toLowerCase()] ?? 'ratio');
      const tooltip = metaOf(it.meta, 'tooltip');
      const doc = `${tooltip ?? it.label}${unitText && !UNITS[unitText.toLowerCase()] ? ` (unit: ${unitText})` : ''} [Faust ${it.type} "${it.label}"]`;
      const spec: ParamSpec = isSwitch
        ? { unit, min: 0, max: 1, default: 0, doc, choices: ['off', 'on'] }
        : { unit, min: it.min ?? 0, max: it.max ?? 1, default: it.init ?? 0, doc };
      const order = it.meta?.map((m) => Object.keys(m)[0]).find((k) => /^\d+$/.test(k));
      out.push({ name, index: it.index, spec, order: order === undefined ? Infinity : Number(order) });
    }
  };
  walk(ui);
  // Faust's ordering metadata (`hslider("cutoff[1]", …)`) orders the params; the rest keep Faust's order.
  return out.map((c, i) => ({ c, i })).sort((a, b) => a.c.order - b.c.order || a.i - b.i).map(({ c }) => c);
}

function portNames(n: number, one: string, many: string): string[] {
  if (n === 1) return [one];
  if (n === 2) return ['left', 'right'];
  return Array.from({ length: n }, (_, i) => `${many}${i + 1}`);
}

/** Reads every param of a block, by constant names (named loads, no string-keyed lookup per block). */
type ParamReader = (params: Record<string, number>, into: Float64Array) => void;

function paramReader(names: readonly string[]): ParamReader {
  const body = names.map((n, i) => `into[${i}] = params[${JSON.stringify(n)}];`).join('\n');
  return new Function('params', 'into', body) as ParamReader;
}

class FaustKernel implements Kernel {
  private readonly ex: FaustExports;
  private readonly inBufs: Float64Array[];
  private readonly outBufs: Float64Array[];
  private readonly values: Float64Array;
  private readonly applied: Float64Array;
  private readonly inPtrs: number;
  private readonly outPtrs: number;

  constructor(
    mod: WebAssembly.Module,
    json: FaustJson,
    private readonly indices: Int32Array,
    private readonly readParams: ParamReader,
    private readonly ctx: InitContext,
  ) {
    this.ex = new WebAssembly.Instance(mod, faustImports(mod)).exports as unknown as FaustExports;
    const align = (x: number) => (x + 15) & ~15;
    const block = ctx.maxBlock * 8;
    this.inPtrs = align(json.size);
    this.outPtrs = this.inPtrs + 4 * json.inputs;
    const first = align(this.outPtrs + 4 * json.outputs);
    const total = first + block * (json.inputs + json.outputs);
    const mem = this.ex.memory;
    if (mem.buffer.byteLength < total) mem.grow(Math.ceil((total - mem.buffer.byteLength) / 65536));
    const ptrs = new Int32Array(mem.buffer);
    const buffer = mem.buffer;
    this.inBufs = [];
    this.outBufs = [];
    for (let k = 0; k < json.inputs; k++) {
      ptrs[(this.inPtrs >> 2) + k] = first + k * block;
      this.inBufs.push(new Float64Array(buffer, first + k * block, ctx.maxBlock));
    }
    for (let k = 0; k < json.outputs; k++) {
      const at = first + (json.inputs + k) * block;
      ptrs[(this.outPtrs >> 2) + k] = at;
      this.outBufs.push(new Float64Array(buffer, at, ctx.maxBlock));
    }
    this.values = new Float64Array(indices.length);
    this.applied = new Float64Array(indices.length).fill(NaN);
    this.ex.init(0, ctx.sampleRate);
  }

  process(io: BlockIO, start: number, end: number): void {
    const n = end - start;
    this.readParams(io.params, this.values);
    const values = this.values, applied = this.applied;
    for (let i = 0; i < values.length; i++) {
      if (values[i] !== applied[i]) {
        this.ex.setParamValue(0, this.indices[i], values[i]);
        applied[i] = values[i];
      }
    }
    // Literal constants (2.4 = 12 V / 5 V): mixing an integer-valued variable into the select made V8
    // box the result (garbage per sample, found by module-test).
    for (let k = 0; k < this.inBufs.length; k++) {
      const src = io.inputs[k], dst = this.inBufs[k];
      for (let i = 0; i < n; i++) {
        const v = src[start + i];
        dst[i] = v > 12 ? 2.4 : v < -12 ? -2.4 : v === v ? v * 0.2 : 0;
      }
    }
    this.ex.compute(0, n, this.inPtrs, this.outPtrs);
    let bad = false;
    for (let k = 0; k < this.outBufs.length; k++) {
      const src = this.outBufs[k], dst = io.outputs[k];
      for (let i = 0; i < n; i++) {
        const v = src[i] * FAUST_VOLTS;
        if (v - v === 0) dst[start + i] = v;
        else {
          dst[start + i] = 0;
          bad = true;
        }
      }
    }
    if (bad) this.ex.instanceClear(0);
  }

  reset(): void {
    this.ex.init(0, this.ctx.sampleRate);
    this.applied.fill(NaN);
  }
}

export function faustDescriptor(src: FaustSource): AnyModule {
  let json: FaustJson, mod: WebAssembly.Module;
  try {
    json = JSON.parse(src.json) as FaustJson;
    mod = new WebAssembly.Module(src.wasm as Uint8Array<ArrayBuffer>);
    faustImports(mod);
  } catch (e) {
    throw new ModuleFileError(src.file, `Faust: ${(e as Error).message}`);
  }
  if (json.outputs < 1) throw new ModuleFileError(src.file, 'Faust: the DSP has no outputs');
  const ctrls = controls(json.ui);
  const params: Record<string, ParamSpec> = {};
  for (const c of ctrls) params[c.name] = c.spec;
  const inputs = Object.fromEntries(portNames(json.inputs, 'in', 'in').map((n, i) => [n, { signal: 'audio' as const, doc: `Faust input ${i} (5 V = 1.0)` }]));
  const outputs = Object.fromEntries(portNames(json.outputs, 'out', 'out').map((n, i) => [n, { signal: 'audio' as const, doc: `Faust output ${i} (1.0 = 5 V)` }]));
  const indices = Int32Array.from(ctrls.map((c) => c.index));
  const reader = paramReader(ctrls.map((c) => c.name));
  const description = metaOf(json.meta, 'description');
  return {
    type: USER_PREFIX + src.name,
    version: Number(metaOf(json.meta, 'version')) >= 1 ? Math.floor(Number(metaOf(json.meta, 'version'))) : 1,
    title: metaOf(json.meta, 'name') ?? src.name,
    category: json.inputs > 0 ? 'effect' : 'source',
    isolated: 'kind',
    blockSizeInvariant: true,
    doc: `${description ? `${description}. ` : ''}Faust module (${src.file.split('/').pop()}), compiled to WebAssembly; ports are audio, 5 V = 1.0 in Faust.`,
    params,
    inputs,
    outputs,
    create: (ctx: InitContext) => new FaustKernel(mod, json, indices, reader, ctx),
  };
}
