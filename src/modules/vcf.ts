import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../engine/module-api';
import { clamp, finiteOr0, flushDenormal, softTanh } from '../dsp/numeric';
import { C4_HZ } from '../dsp/pitch';

const spec = ports({
  params: {
    cutoff: { unit: 'V/oct', min: -6, max: 6.5, default: 2, doc: 'Cutoff as pitch: 0 V = C4 (261.6 Hz); 2 V ≈ 1047 Hz.' },
    cvAmount: { unit: 'ratio', min: -1, max: 1, default: 1, doc: 'Scale of the cutoff input (1 = 1 V/oct).' },
    linFmHz: { unit: 'Hz/V', min: -2000, max: 2000, default: 0, doc: 'Linear cutoff modulation: Hz added per volt at linfm.' },
    res: { unit: 'ratio', min: 0, max: 1, default: 0, doc: 'Resonance; self-oscillation from about 0.96.' },
    drive: { unit: 'dB', min: 0, max: 24, default: 0, doc: 'Input gain into the saturating first stage.' },
  },
  inputs: {
    in: { signal: 'audio', doc: 'Audio input.' },
    cutoff: { signal: 'pitch', doc: 'Cutoff CV, 1 V/oct times cvAmount.' },
    linfm: { signal: 'cv', doc: 'Linear cutoff FM, linFmHz per volt.' },
    res: { signal: 'cv', doc: 'Resonance CV: 10 V adds 1.' },
  },
  outputs: {
    lp: { signal: 'audio', doc: '4-pole low-pass (24 dB/oct).' },
    hp: { signal: 'audio', doc: '4-pole high-pass (binomial mix of the ladder taps).' },
  },
});

type IO = BlockIO<typeof spec>;

// Slots of VcfKernel.st.
const S1 = 0, S2 = 1, S3 = 2, S4 = 3, G_ = 4, G_STEP = 5, K_ = 6, K_STEP = 7, TARGET_G = 8, TARGET_K = 9;

/** Control work (cutoff, resonance) runs on a grid of absolute frames, every CONTROL_STEP samples. */
const CONTROL_STEP = 16;
const IN_SCALE = 0.2; // ±5 V → ±1
const OUT_SCALE = 5;
/** Feedback gain at res = 1; the linear ladder oscillates at k = 4, the saturator needs a little more. */
const K_MAX = 4.25;
/** Fraction of the resonance bass loss (1 / (1 + k)) restored at the input. */
const RES_COMPENSATION = 0.5;
/** Tiny seeded noise, one sample in 16, so the filter can self-oscillate from silence (≈ −130 dBFS). */
const SEED_NOISE = 1e-6;

/**
 * 4-pole transistor-ladder low-pass after Moog, as a zero-delay-feedback (TPT) model: four identical
 * one-pole stages, each the bilinear transform of 1/(1 + s/ωc) with prewarped ωc, and feedback k from
 * the last stage, solved without a unit delay; the input stage saturates (2·tanh(u/2), slope 1 at 0).
 *
 * Contract (see test/modules/vcf.test.ts), at res = 0 and small signals:
 *   H(z) = G(z)^4 with G the TPT one-pole: unity DC gain, exactly −12.04 dB at fc (each pole −3.01 dB,
 *   prewarping puts fc exactly), and the analog prototype's 4-pole roll-off, steeper near Nyquist.
 * With resonance k = 4.25·res; the passband loses 1/(1 + k), half of which is given back at the input.
 * High-pass = u − 4y1 + 6y2 − 4y3 + y4 (at res = 0 exactly (1 − G)^4).
 * Cutoff f = C4·2^(cutoff + cvAmount·cv) + linFmHz·linfm, limited to [10 Hz, 0.45·fs]; it is computed
 * every 16 samples on a grid of absolute frames and the stage gain G = g/(1 + g) is ramped linearly in
 * between, so the output does not depend on the block size.
 */
class VcfKernel implements Kernel<typeof spec> {
  private readonly sampleRate: number;
  private readonly seed: number;
  /** LCG state for the seed noise (int32, kept inline: no call returning a double per use). */
  private noise: number;
  /**
   * Filter state and control ramps, as doubles in a Float64Array (fields that start as small integers
   * can leave V8 boxing every update; typed-array slots are always unboxed). Slots: S1..S4 integrator
   * states, G (TPT gain g/(1 + g), ramped) and its step, K (feedback) and its step, and the targets.
   */
  private readonly st = new Float64Array(10).fill(0);

  constructor(ctx: InitContext) {
    this.sampleRate = ctx.sampleRate;
    this.seed = ctx.seed | 0;
    this.noise = this.seed;
    this.st[G_] = NaN;
  }

  reset(): void {
    this.st.fill(0);
    this.st[G_] = NaN;
    this.noise = this.seed;
  }

  /** Target TPT gain G = g/(1 + g) and feedback k for the control values at sample i. */
  private updateTargets(io: IO, i: number): void {
    const p = io.params;
    const pitchV = clamp(p.cutoff + p.cvAmount * finiteOr0(io.in.cutoff[i]), -10, 10);
    const hz = C4_HZ * Math.pow(2, pitchV) + p.linFmHz * finiteOr0(io.in.linfm[i]);
    const fc = clamp(hz, 10, 0.45 * this.sampleRate);
    const g = Math.tan((Math.PI * fc) / this.sampleRate);
    this.st[TARGET_G] = g / (1 + g);
    this.st[TARGET_K] = K_MAX * clamp(p.res + 0.1 * finiteOr0(io.in.res[i]), 0, 1);
  }

  process(io: IO, start: number, end: number, frame: number): void {
    const x = io.in.in, lp = io.out.lp, hp = io.out.hp;
    const driveGain = Math.pow(10, clamp(io.params.drive, 0, 24) / 20) * IN_SCALE;
    let noise = this.noise;
    const st = this.st;
    if (!(st[G_] === st[G_])) {
      // First sample ever: start on target without a ramp.
      this.updateTargets(io, start);
      st[G_] = st[TARGET_G];
      st[K_] = st[TARGET_K];
      st[G_STEP] = st[K_STEP] = 0;
    }
    let s1 = st[S1], s2 = st[S2], s3 = st[S3], s4 = st[S4];
    let G = st[G_], GStep = st[G_STEP], k = st[K_], kStep = st[K_STEP];

    for (let i = start; i < end; i++) {
      if (((frame + i) & (CONTROL_STEP - 1)) === 0) {
        this.updateTargets(io, i);
        GStep = (st[TARGET_G] - G) / CONTROL_STEP;
        kStep = (st[TARGET_K] - k) / CONTROL_STEP;
      }
      G += GStep;
      k += kStep;
      const a = 1 - G; // = 1/(1 + g): how much of a stage's state reaches its output
      // y4 = G^4·u + S, with S the states' contribution through the remaining stages.
      const S = G * G * G * a * s1 + G * G * a * s2 + G * a * s3 + a * s4;
      const G4 = G * G * G * G;
      let xin = clamp(finiteOr0(x[i]), -1e6, 1e6) * driveGain * (1 + RES_COMPENSATION * k);
      if (((frame + i) & (CONTROL_STEP - 1)) === 0) {
        noise = (Math.imul(noise, 1664525) + 1013904223) | 0; // Numerical Recipes LCG
        xin += SEED_NOISE * noise * 4.656612873077393e-10; // ±1
      }
      let u = (xin - k * S) / (1 + k * G4);
      u = 2 * softTanh(0.5 * u);
      // Four TPT one-poles: v = G(in − s); y = v + s; s' = y + v.
      let v = G * (u - s1);
      const y1 = v + s1;
      s1 = y1 + v;
      v = G * (y1 - s2);
      const y2 = v + s2;
      s2 = y2 + v;
      v = G * (y2 - s3);
      const y3 = v + s3;
      s3 = y3 + v;
      v = G * (y3 - s4);
      const y4 = v + s4;
      s4 = y4 + v;
      lp[i] = OUT_SCALE * y4;
      hp[i] = OUT_SCALE * (u - 4 * y1 + 6 * y2 - 4 * y3 + y4);
    }

    st[S1] = flushDenormal(s1);
    st[S2] = flushDenormal(s2);
    st[S3] = flushDenormal(s3);
    st[S4] = flushDenormal(s4);
    st[G_] = G;
    st[G_STEP] = GStep;
    st[K_] = k;
    st[K_STEP] = kStep;
    this.noise = noise;
  }
}

export const Vcf = defineModule(spec, {
  type: 'vcf',
  version: 1,
  title: 'VCF (ladder)',
  category: 'filter',
  poly: ['in'],
  doc:
    '4-pole resonant ladder low-pass (zero-delay-feedback model of the Moog ladder, saturating input stage) with a ' +
    '4-pole high-pass output. At resonance 0 the low-pass is four identical bilinear one-poles: unity DC gain and ' +
    '−12 dB at the cutoff. Resonance up to 1 self-oscillates at the cutoff frequency. Cutoff is pitch-like (1 V/oct, ' +
    '0 V = C4) plus a linear FM input in Hz per volt; control values are computed every 16 samples on an absolute ' +
    'frame grid and ramped, so output is block-size invariant.',
  create: (ctx) => new VcfKernel(ctx),
});
