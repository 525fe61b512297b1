import { defineModule, MAX_CHANNELS, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { finiteOr0 } from '../dsp/numeric';

const spec = ports({
  params: {
    window: { unit: 's', min: 0.01, max: 10, default: 0.3, doc: 'RMS averaging time constant; the peak falls back over 5 × this.' },
  },
  inputs: {
    in: { signal: 'audio', doc: 'Signal to measure (polyphonic: each channel on its own).' },
  },
  outputs: {
    out: { signal: 'audio', doc: 'The input, passed through (NaN and ±Inf read as 0 V).' },
  },
});

/** Readout layout: [channels, rms × 16, peak × 16]. */
const RMS = 1, PEAK = 1 + MAX_CHANNELS;

/**
 * Level meter readable over OSC (/module/read): RMS with an exponential window (a 5 V sine reads
 * 3.54 V once settled) and peak with a hold that decays exponentially over 5 × window, per channel.
 * State is kept in double precision and published to the readout area once per call.
 */
class MeterKernel implements Kernel<typeof spec> {
  private readonly ms = new Float64Array(MAX_CHANNELS);
  private readonly peak = new Float64Array(MAX_CHANNELS);
  private readonly sampleRate: number;

  constructor(ctx: InitContext) {
    this.sampleRate = ctx.sampleRate;
  }

  reset(): void {
    this.ms.fill(0);
    this.peak.fill(0);
  }

  process(io: BlockIO<typeof spec>, start: number, end: number): void {
    const x = io.in.in, out = io.out.out, B = io.blockSize, r = io.readout;
    const n = io.inChannels[0] > 1 ? io.inChannels[0] : 1;
    const w = io.params.window > 0.01 ? io.params.window : 0.01;
    // smoothingCoef(w), written out, not called: see dsp/one-pole.ts (a per-block call V8 does not inline boxes its double).
    const a = 1 - Math.exp(-1 / (w * this.sampleRate));
    const fall = Math.exp(-1 / (5 * w * this.sampleRate));
    const ms = this.ms, pk = this.peak;
    for (let c = 0, base = 0; c < n; c++, base += B) {
      for (let i = base + start; i < base + end; i++) {
        const v = finiteOr0(x[i]);
        out[i] = v;
        ms[c] += (v * v - ms[c]) * a;
        const m = v < 0 ? -v : v;
        pk[c] = m > pk[c] * fall ? m : pk[c] * fall;
      }
      r[RMS + c] = Math.sqrt(ms[c]);
      r[PEAK + c] = pk[c];
    }
    r[0] = n;
  }
}

export const Meter = defineModule(spec, {
  type: 'meter',
  version: 1,
  title: 'Meter',
  category: 'utility',
  channels: (inputs) => [Math.max(1, inputs[0])],
  readout: {
    floats: 1 + 2 * MAX_CHANNELS,
    format: (v) => {
      const n = Math.max(1, Math.min(MAX_CHANNELS, Math.round(v[0])));
      return ['channels', n, 'rms', ...Array.from(v.subarray(RMS, RMS + n)), 'peak', ...Array.from(v.subarray(PEAK, PEAK + n))];
    },
  },
  doc:
    'Level meter, passes its input through. Read it with OSC `/module/read ID`: reply `/read ID channels N rms V… peak V…` ' +
    '(volts per channel; RMS over an exponential `window`, peak held and decaying over 5 × window).',
  create: (ctx) => new MeterKernel(ctx),
});
