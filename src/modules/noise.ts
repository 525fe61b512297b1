import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { flushDenormal } from '../dsp/numeric';
import { fillGaussian, Random } from '../dsp/random';

const spec = ports({
  params: {
    level: { unit: 'gain', min: 0, max: 2, default: 1, doc: 'Output gain.' },
  },
  inputs: {},
  outputs: {
    white: { signal: 'audio', doc: 'White noise: Gaussian, 5/3 V RMS (±5 V is ±3σ).' },
    pink: { signal: 'audio', doc: 'Pink noise (−3 dB/oct from 10 Hz to 20 kHz), same RMS as white.' },
  },
});

type IO = BlockIO<typeof spec>;

const WHITE_RMS_V = 5 / 3;
/** Pinking filter: SECTIONS first-order shelves between LOW_HZ and HIGH_HZ. */
const SECTIONS = 8;
const LOW_HZ = 10;
const HIGH_HZ = 24000;

/**
 * Seeded noise. White: Gaussian deviates (Box–Muller over SFC32), seed = patch seed ⊕ module id.
 * Pink: white through a cascade of first-order shelves H_i(s) = (1 + s/z_i)/(1 + s/p_i) with poles p_i
 * spaced geometrically (ratio r) from 10 Hz and zeros at p_i·√r, so the magnitude falls 10 dB per decade
 * (−3.01 dB/oct) with < ±0.5 dB ripple across the audio band. Each shelf is k·x + (1 − k)·LP_p(x),
 * k = 1/√r, with a bilinear (TPT) one-pole LP. Normalised so the pink RMS equals the white RMS.
 */
class NoiseKernel implements Kernel<typeof spec> {
  private rng: Random;
  private readonly seed: number;
  private readonly G = new Float64Array(SECTIONS); // TPT gains g/(1+g)
  private readonly s = new Float64Array(SECTIONS);
  private readonly k: number;
  private readonly pinkNorm: number;
  /** Gaussian deviates for the current block. */
  private readonly draws: Float64Array;

  constructor(ctx: InitContext) {
    this.seed = ctx.seed;
    this.rng = new Random(ctx.seed);
    const r = Math.pow(HIGH_HZ / LOW_HZ, 1 / SECTIONS);
    this.k = 1 / Math.sqrt(r);
    for (let i = 0; i < SECTIONS; i++) {
      const fp = Math.min(LOW_HZ * Math.pow(r, i), 0.49 * ctx.sampleRate);
      const g = Math.tan((Math.PI * fp) / ctx.sampleRate);
      this.G[i] = g / (1 + g);
    }
    this.pinkNorm = 1 / Math.sqrt(this.powerGain());
    this.draws = new Float64Array(ctx.maxBlock);
  }

  /** Mean |H|² of the digital pinking filter over 0..fs/2 (white in, so this is the power ratio). */
  private powerGain(): number {
    const N = 8192;
    let sum = 0;
    for (let n = 1; n <= N; n++) {
      const w = (Math.PI * n) / N; // rad/sample, up to π
      let mag2 = 1;
      for (let i = 0; i < SECTIONS; i++) {
        // TPT one-pole LP = bilinear transform of 1/(1 + s/ωp): H(z) = g(1 + z⁻¹)/((1 + g) + (g − 1)z⁻¹).
        const g = this.G[i] / (1 - this.G[i]);
        const zr = Math.cos(w), zi = -Math.sin(w);
        const numR = g * (1 + zr), numI = g * zi;
        const denR = 1 + g + (g - 1) * zr, denI = (g - 1) * zi;
        const d2 = denR * denR + denI * denI;
        const lpR = (numR * denR + numI * denI) / d2, lpI = (numI * denR - numR * denI) / d2;
        const hr = this.k + (1 - this.k) * lpR, hi = (1 - this.k) * lpI;
        mag2 *= hr * hr + hi * hi;
      }
      sum += mag2;
    }
    return sum / N;
  }

  reset(): void {
    this.s.fill(0);
    this.rng = new Random(this.seed);
  }

  process(io: IO, start: number, end: number): void {
    const white = io.out.white, pink = io.out.pink;
    const gain = io.params.level > 0 ? (io.params.level < 2 ? io.params.level : 2) : 0;
    const G = this.G, s = this.s, k = this.k, norm = this.pinkNorm, draws = this.draws;
    fillGaussian(this.rng, draws, start, end);
    for (let i = start; i < end; i++) {
      const w = draws[i];
      let y = w;
      for (let j = 0; j < SECTIONS; j++) {
        const v = G[j] * (y - s[j]);
        const lp = v + s[j];
        s[j] = lp + v;
        y = k * y + (1 - k) * lp;
      }
      white[i] = gain * WHITE_RMS_V * w;
      pink[i] = gain * WHITE_RMS_V * norm * y;
    }
    for (let j = 0; j < SECTIONS; j++) s[j] = flushDenormal(s[j]);
  }
}

export const Noise = defineModule(spec, {
  type: 'noise',
  version: 1,
  title: 'Noise',
  category: 'source',
  doc:
    'Seeded white (Gaussian, 5/3 V RMS) and pink (−3 dB/oct, same RMS) noise. The seed comes from the patch seed ' +
    'and the module id, so renders repeat exactly. Per-sample: block-size invariant.',
  create: (ctx) => new NoiseKernel(ctx),
});
