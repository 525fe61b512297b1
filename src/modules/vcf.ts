import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp, finiteOr0, flushDenormal } from '../dsp/numeric';
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
const S1 = 0, S2 = 1, S3 = 2, S4 = 3, G_ = 4, G_STEP = 5, K_ = 6, K_STEP = 7, PITCH_V = 8, PITCH_HZ = 9;

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
const TWO_PI = 2 * Math.PI;

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
 *
 * How it is computed (the cost is the loop-carried dependency chain, not the arithmetic): the four
 * stages are linear in the saturator's output u, y_n = G^n·u + P_n with P_n a fixed combination of the
 * states, so every P_n (and the feedback sum, already scaled by k/(1 + k·G^4)) is formed in parallel
 * from the old states, and only one multiply-add per state follows the saturator. The chain per sample
 * is about 50 cycles instead of about 120 for the stage-by-stage form; the values are the same up to
 * rounding (≈ 1e-16 relative). The prewarped gain is G = g/(1 + g) = sin w/(sin w + cos w), w = π·fc/fs,
 * with both quarter-wave polynomials of sin2pi (error < 1e-11), instead of Math.tan; C4·2^pitch is only
 * recomputed when the pitch changes.
 */
class VcfKernel implements Kernel<typeof spec> {
  private readonly sampleRate: number;
  private readonly seed: number;
  /** LCG state for the seed noise (int32, kept inline: no call returning a double per use). */
  private noise: number;
  /**
   * Filter state and control ramps, as doubles in a Float64Array (fields that start as small integers
   * can leave V8 boxing every update; typed-array slots are always unboxed). Slots: S1..S4 integrator
   * states, G (TPT gain g/(1 + g), ramped) and its step, K (feedback) and its step, and the last cutoff
   * pitch with its frequency C4·2^pitch.
   */
  private readonly st = new Float64Array(10).fill(0);

  constructor(ctx: InitContext) {
    this.sampleRate = ctx.sampleRate;
    this.seed = ctx.seed | 0;
    this.noise = this.seed;
    this.st[G_] = NaN;
    this.st[PITCH_V] = NaN;
  }

  reset(): void {
    this.st.fill(0);
    this.st[G_] = NaN;
    this.st[PITCH_V] = NaN;
    this.noise = this.seed;
  }

  process(io: IO, start: number, end: number, frame: number): void {
    const x = io.in.in, lp = io.out.lp, hp = io.out.hp;
    const cutoffIn = io.in.cutoff, linfmIn = io.in.linfm, resIn = io.in.res;
    const p = io.params;
    const cutoffBase = p.cutoff, cvAmount = p.cvAmount, linFmHz = p.linFmHz, resBase = p.res;
    const driveGain = Math.pow(10, clamp(p.drive, 0, 24) / 20) * IN_SCALE;
    const useHp = io.used.hp === true; // a boolean for V8: a bare property read is tested as any value, every sample
    const halfOverFs = 0.5 / this.sampleRate, maxHz = 0.45 * this.sampleRate;
    let noise = this.noise;
    const st = this.st;
    let init = !(st[G_] === st[G_]); // first sample ever: start on target without a ramp
    let s1 = st[S1], s2 = st[S2], s3 = st[S3], s4 = st[S4];
    let G = st[G_], GStep = st[G_STEP], k = st[K_], kStep = st[K_STEP];
    let lastPitchV = st[PITCH_V], pitchHz = st[PITCH_HZ];

    for (let i = start; i < end; i++) {
      const onGrid = ((frame + i) & (CONTROL_STEP - 1)) === 0;
      if (onGrid || init) {
        // Targets: prewarped TPT gain G = g/(1 + g), g = tan(π·fc/fs), and feedback k.
        const pitchV = clamp(cutoffBase + cvAmount * finiteOr0(cutoffIn[i]), -10, 10);
        if (pitchV !== lastPitchV) {
          lastPitchV = pitchV;
          pitchHz = C4_HZ * Math.pow(2, pitchV);
        }
        const fc = clamp(pitchHz + linFmHz * finiteOr0(linfmIn[i]), 10, maxHz);
        // w/2π = fc/(2·fs) lies in (0, 0.225]: sin and cos as quarter-wave polynomials (sin2pi's series).
        const zs = TWO_PI * (fc * halfOverFs), zc = TWO_PI * (0.25 - fc * halfOverFs);
        const zs2 = zs * zs, zc2 = zc * zc;
        const sw = zs * (1 + zs2 * (-1 / 6 + zs2 * (1 / 120 + zs2 * (-1 / 5040 + zs2 * (1 / 362880 + zs2 * (-1 / 39916800 + zs2 * (1 / 6227020800 + zs2 * (-1 / 1307674368000))))))));
        const cw = zc * (1 + zc2 * (-1 / 6 + zc2 * (1 / 120 + zc2 * (-1 / 5040 + zc2 * (1 / 362880 + zc2 * (-1 / 39916800 + zc2 * (1 / 6227020800 + zc2 * (-1 / 1307674368000))))))));
        const targetG = sw / (sw + cw);
        const targetK = K_MAX * clamp(resBase + 0.1 * finiteOr0(resIn[i]), 0, 1);
        if (init) {
          init = false;
          G = targetG;
          k = targetK;
          GStep = kStep = 0;
        }
        if (onGrid) {
          GStep = (targetG - G) / CONTROL_STEP;
          kStep = (targetK - k) / CONTROL_STEP;
        }
      }
      G += GStep;
      k += kStep;
      // Coefficients of this sample (independent of the filter state: off the dependency chain).
      const a = 1 - G; // = 1/(1 + g): how much of a stage's state reaches its output
      const G2 = G * G, Ga = G * a;
      const G3 = G2 * G, G2a = G2 * a;
      const G4 = G2 * G2, G3a = G3 * a;
      const inv = 0.5 / (1 + k * G4); // the ZDF solve, with the saturator's 1/2 folded in
      const kInv = k * inv;
      let xin = clamp(finiteOr0(x[i]), -1e6, 1e6) * driveGain * (1 + RES_COMPENSATION * k);
      if (onGrid) {
        noise = (Math.imul(noise, 1664525) + 1013904223) | 0; // Numerical Recipes LCG
        xin += SEED_NOISE * noise * 4.656612873077393e-10; // ±1
      }
      // y_n = G^n·u + P_n: the states' contribution to each stage output.
      const P1 = a * s1;
      const P2 = Ga * s1 + a * s2;
      const P3 = G2a * s1 + (Ga * s2 + a * s3);
      const P4 = (G3a * s1 + G2a * s2) + (Ga * s3 + a * s4);
      // Saturator input t = (xin − k·P4)/(1 + k·G^4)/2, the feedback sum formed with k/(1 + k·G^4)/2
      // already in its coefficients (four products and an add tree on the chain, not P4 then k·P4).
      const t = xin * inv - ((kInv * G3a * s1 + kInv * G2a * s2) + (kInv * Ga * s3 + kInv * a * s4));
      // u = 2·softTanh(t), written out.
      let th: number;
      if (t >= 3) th = 1;
      else if (t <= -3) th = -1;
      else if (!(t === t)) th = 0;
      else {
        const t2 = t * t;
        th = (t * (27 + t2)) / (27 + 9 * t2);
      }
      const u = 2 * th; // (2G^n)·u is computed as (4G^n)·th below: the same bits, one multiply less on the chain
      const y4 = (2 * G4) * th + P4;
      // TPT state update s' = y + v = 2y − s = 2G^n·u + (2P_n − s): one multiply-add after the saturator.
      const d1 = 2 * P1 - s1, d2 = 2 * P2 - s2, d3 = 2 * P3 - s3, d4 = 2 * P4 - s4;
      if (useHp) {
        const y1 = G * u + P1, y2 = G2 * u + P2, y3 = G3 * u + P3;
        hp[i] = OUT_SCALE * (u - 4 * y1 + 6 * y2 - 4 * y3 + y4);
      }
      s1 = (4 * G) * th + d1;
      s2 = (4 * G2) * th + d2;
      s3 = (4 * G3) * th + d3;
      s4 = (4 * G4) * th + d4;
      lp[i] = OUT_SCALE * y4;
    }

    st[S1] = flushDenormal(s1);
    st[S2] = flushDenormal(s2);
    st[S3] = flushDenormal(s3);
    st[S4] = flushDenormal(s4);
    st[G_] = G;
    st[G_STEP] = GStep;
    st[K_] = k;
    st[K_STEP] = kStep;
    st[PITCH_V] = lastPitchV;
    st[PITCH_HZ] = pitchHz;
    this.noise = noise;
  }
}

export const Vcf = defineModule(spec, {
  type: 'vcf',
  version: 1,
  title: 'VCF (ladder)',
  category: 'filter',
  boundedOutputs: true,
  poly: ['in'],
  doc:
    '4-pole resonant ladder low-pass (zero-delay-feedback model of the Moog ladder, saturating input stage) with a ' +
    '4-pole high-pass output. At resonance 0 the low-pass is four identical bilinear one-poles: unity DC gain and ' +
    '−12 dB at the cutoff. Resonance up to 1 self-oscillates at the cutoff frequency. Cutoff is pitch-like (1 V/oct, ' +
    '0 V = C4) plus a linear FM input in Hz per volt; control values are computed every 16 samples on an absolute ' +
    'frame grid and ramped, so output is block-size invariant.',
  create: (ctx) => new VcfKernel(ctx),
});
