import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp, finiteOr0, sin2pi } from '../dsp/numeric';

const spec = ports({
  params: {
    rate: { unit: 'Hz', min: 0.01, max: 10, default: 0.6, doc: 'Speed of the delay modulation.' },
    depth: { unit: 's', min: 0, max: 0.01, default: 0.003, doc: 'Delay swing either side of the centre.' },
    delay: { unit: 's', min: 0.002, max: 0.04, default: 0.015, doc: 'Centre delay.' },
    mix: { unit: 'ratio', min: 0, max: 1, default: 0.5, doc: 'Dry/wet balance.' },
  },
  inputs: {
    in: { signal: 'audio', doc: 'Audio in (mono).' },
  },
  outputs: {
    left: { signal: 'audio', doc: 'Left: dry plus three voices.' },
    right: { signal: 'audio', doc: 'Right: dry plus three voices (modulated in opposite phase).' },
  },
});

type IO = BlockIO<typeof spec>;

/** Voices per side, their LFO phases spread evenly. */
const VOICES = 3;
/** Buffer length: enough for the longest delay plus the deepest swing, in seconds. */
const MAX_S = 0.06;

/**
 * Stereo chorus: three voices read one delay line at delay_k(t) = delay + depth · sin(2π(rate·t + k/3))
 * (the right side at the opposite phase), with linear interpolation, averaged and mixed with the dry
 * signal. With depth 0 every voice is the input delayed by exactly `delay` (a whole number of samples
 * reads exactly). Block-size invariant.
 */
class ChorusKernel implements Kernel<typeof spec> {
  private readonly fs: number;
  private readonly line: Float32Array;
  private readonly size: number;
  /** [write index, LFO phase]. */
  private readonly s = new Float64Array(2);

  constructor(ctx: InitContext) {
    this.fs = ctx.sampleRate;
    this.size = Math.ceil(MAX_S * ctx.sampleRate) + 4;
    this.line = new Float32Array(this.size);
  }

  reset(): void {
    this.line.fill(0);
    this.s.fill(0);
  }

  /** Linear-interpolated read d samples back from write index w. RT-safe. */
  private read(w: number, d: number): number {
    const size = this.size;
    let r = w - d;
    if (r < 0) r += size;
    const i0 = Math.floor(r), f = r - i0;
    const i1 = i0 + 1 >= size ? 0 : i0 + 1;
    return this.line[i0] + (this.line[i1] - this.line[i0]) * f;
  }

  process(io: IO, start: number, end: number): void {
    const p = io.params, s = this.s, fs = this.fs, line = this.line, size = this.size;
    const dt = clamp(p.rate, 0.01, 10) / fs, depth = clamp(p.depth, 0, 0.01) * fs, centre = clamp(p.delay, 0.002, 0.04) * fs;
    const mix = clamp(p.mix, 0, 1);
    const x = io.in.in, outL = io.out.left, outR = io.out.right;
    let w = s[0], phase = s[1];
    for (let i = start; i < end; i++) {
      const dry = finiteOr0(x[i]);
      line[w] = dry;
      let l = 0, r = 0;
      for (let k = 0; k < VOICES; k++) {
        const m = sin2pi(phase + k / VOICES);
        l += this.read(w, centre + depth * m);
        r += this.read(w, centre - depth * m);
      }
      outL[i] = dry * (1 - mix) + (l / VOICES) * mix;
      outR[i] = dry * (1 - mix) + (r / VOICES) * mix;
      w = w + 1 >= size ? 0 : w + 1;
      phase += dt;
      if (phase >= 1) phase -= 1;
    }
    s[0] = w;
    s[1] = phase;
  }
}

export const Chorus = defineModule(spec, {
  type: 'chorus',
  version: 1,
  title: 'Chorus',
  category: 'effect',
  doc: 'Stereo chorus: three voices of a delay line swept by a sine LFO (rate, depth around a centre delay), the right side in opposite phase, mixed with the dry signal.',
  create: (ctx) => new ChorusKernel(ctx),
});
