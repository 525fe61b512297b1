import { defineModule, ports, type BlockIO, type InitContext, type SinkKernel } from '../sdk';
import { clamp } from '../dsp/numeric';
import { SMOOTH_SECONDS, smoothingCoef } from '../dsp/one-pole';

const spec = ports({
  params: {
    level: { unit: 'gain', min: 0, max: 2, default: 1, doc: 'Master level before the limiter.' },
  },
  inputs: {
    left: { signal: 'audio', doc: 'Left channel, ±5 V = ±1.0 full scale.' },
    right: { signal: 'audio', doc: 'Right channel; when unpatched it follows left (mono).' },
  },
  outputs: {},
});

type IO = BlockIO<typeof spec>;

/** ±5 V on a cable is ±1.0 full scale at the device or in the WAV file. */
export const VOLTS_TO_FULL_SCALE = 0.2;

/** Hard limit to ±1.0 full scale; NaN and ±Inf become 0. */
function limit(v: number): number {
  return v - v === 0 ? clamp(v, -1, 1) : 0;
}

/**
 * The output stage: the one place where the patch meets the device. Maps ±5 V to ±1.0 full scale,
 * applies the smoothed master level, and limits: samples beyond ±1.0 are hard-clipped, NaN and ±Inf
 * become 0. It is the only module that limits. A sink (SinkKernel): it writes into `left` and `right`,
 * never into a cable; the engine knows it only as the patch's sink (ModuleDescriptor.sink).
 */
export class OutputKernel implements SinkKernel<typeof spec> {
  /** Where the stage writes (its own buffers, or views the engine sets; SinkKernel's thread rule). */
  left: Float32Array;
  right: Float32Array;
  private readonly coef: number;
  private level = NaN;

  constructor(ctx: InitContext) {
    this.left = new Float32Array(ctx.maxBlock);
    this.right = new Float32Array(ctx.maxBlock);
    this.coef = smoothingCoef(SMOOTH_SECONDS, ctx.sampleRate);
  }

  reset(): void {
    this.level = NaN;
  }

  process(io: IO, start: number, end: number): void {
    const right = io.connected.right;
    const inL = io.in.left, inR = right ? io.in.right : io.in.left;
    const nl = io.inChannels[0] > 1 ? io.inChannels[0] : 1;
    const nr = right ? (io.inChannels[1] > 1 ? io.inChannels[1] : 1) : nl;
    const B = io.blockSize;
    const outL = this.left, outR = this.right, a = this.coef;
    const target = clamp(io.params.level, 0, 2) * VOLTS_TO_FULL_SCALE;
    let g = this.level === this.level ? this.level : target;
    for (let i = start; i < end; i++) {
      g += (target - g) * a;
      let l = inL[i], r = inR[i];
      for (let c = 1, at = i + B; c < nl; c++, at += B) l += inL[at];
      for (let c = 1, at = i + B; c < nr; c++, at += B) r += inR[at];
      outL[i] = limit(l * g);
      outR[i] = limit(r * g);
    }
    this.level = g;
  }
}

export const Output = defineModule(spec, {
  type: 'output',
  version: 1,
  title: 'Audio output',
  category: 'io',
  sink: true,
  channels: () => [],
  doc:
    'Stereo output to the device or file. ±5 V maps to ±1.0 full scale; the master level is smoothed over 5 ms; ' +
    'the stage hard-limits to ±1.0 and turns NaN/±Inf into silence. Right follows left when unpatched. A patch has ' +
    'at most one output module. Polyphonic inputs are summed (as in VCV Rack\'s Audio module): lower `level` when many ' +
    'voices play at full scale.',
  create: (ctx) => new OutputKernel(ctx),
});
