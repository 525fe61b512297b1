import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp, finiteOr0 } from '../dsp/numeric';

const spec = ports({
  params: {
    drive: { unit: 'dB', min: 0, max: 48, default: 12, doc: 'Gain into the saturator.' },
    bias: { unit: 'V', min: -5, max: 5, default: 0, doc: 'Offset added before the saturator (asymmetry: even harmonics); its DC is removed after.' },
    mix: { unit: 'ratio', min: 0, max: 1, default: 1, doc: 'Dry/wet balance.' },
    level: { unit: 'gain', min: 0, max: 2, default: 1, doc: 'Output gain of the wet signal.' },
  },
  inputs: {
    in: { signal: 'audio', doc: 'Audio in.' },
    drive: { signal: 'cv', doc: 'Adds to drive: 1 dB per 0.2 V (10 V = +48 dB).' },
  },
  outputs: {
    out: { signal: 'audio', doc: 'dry·(1 − mix) + level · 5 V · tanh-saturated input · mix.' },
  },
});

type IO = BlockIO<typeof spec>;

/**
 * Saturator with first-order antiderivative anti-aliasing (ADAA, Parker et al. 2016): the waveshaper
 * f(u) = tanh(u) is applied as the mean of f over the segment between successive inputs,
 * (F(u[n]) − F(u[n−1])) / (u[n] − u[n−1]) with F = log cosh, which suppresses the aliases the naive
 * f(u[n]) folds back (measured in the tests) at the cost of half a sample of delay and a gentle
 * high-frequency roll-off. u = (in + bias) / 5 V × drive; the output is 5 V · f, so a fully driven
 * signal stays within ±5 V; with a bias, a DC blocker (5 Hz) removes its offset (and may overshoot
 * ±5 V slightly). Block-size invariant.
 */
class DistortionKernel implements Kernel<typeof spec> {
  /** [previous u, previous F(u), DC blocker x1, DC blocker y1]. */
  private readonly s = new Float64Array(4);
  private readonly dcCoef: number;

  constructor(ctx: InitContext) {
    this.dcCoef = 1 - (2 * Math.PI * 5) / ctx.sampleRate;
  }

  reset(): void {
    this.s.fill(0);
  }

  process(io: IO, start: number, end: number): void {
    const s = this.s, R = this.dcCoef;
    const bias = clamp(io.params.bias, -5, 5), mix = clamp(io.params.mix, 0, 1), level = clamp(io.params.level, 0, 2);
    const baseDb = clamp(io.params.drive, 0, 48);
    const x = io.in.in, dcv = io.in.drive, out = io.out.out, cvOn = io.connected.drive;
    let u1 = s[0], F1 = s[1], dx1 = s[2], dy1 = s[3];
    let gain = Math.pow(10, baseDb / 20);
    const biased = bias !== 0;
    for (let i = start; i < end; i++) {
      if (cvOn) gain = Math.pow(10, clamp(baseDb + 5 * finiteOr0(dcv[i]), 0, 96) / 20);
      const dry = clamp(finiteOr0(x[i]), -50, 50);
      const u = ((dry + bias) / 5) * gain;
      // log cosh(u), the antiderivative of tanh, written out (no call on the per-sample path).
      const au = u < 0 ? -u : u;
      const F = au + Math.log1p(Math.exp(-2 * au)) - Math.LN2;
      const du = u - u1;
      const y = du > 1e-5 || du < -1e-5 ? (F - F1) / du : Math.tanh(0.5 * (u + u1));
      u1 = u;
      F1 = F;
      // DC blocker: y − y[n−1] + R · out[n−1].
      const wet = y - dx1 + R * dy1;
      dx1 = y;
      dy1 = wet;
      // Without bias the saturator makes no DC, and the blocker would only add its small overshoot.
      out[i] = dry * (1 - mix) + 5 * level * (biased ? wet : y) * mix;
    }
    s[0] = u1;
    s[1] = F1;
    s[2] = dx1;
    s[3] = dy1 > 1e-20 || dy1 < -1e-20 ? dy1 : 0;
  }
}

export const Distortion = defineModule(spec, {
  type: 'distortion',
  version: 1,
  title: 'Distortion',
  category: 'effect',
  poly: ['in'],
  doc:
    'tanh saturator with antiderivative anti-aliasing (first-order ADAA), drive 0–48 dB (+CV), bias for asymmetric (even-harmonic) ' +
    'distortion with its DC removed, output level and dry/wet mix. A fully driven signal stays within ±5 V.',
  create: (ctx) => new DistortionKernel(ctx),
});
