import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp, finiteOr0 } from '../dsp/numeric';
import { SMOOTH_SECONDS, smoothingCoef } from '../dsp/one-pole';

const spec = ports({
  params: {
    level: { unit: 'gain', min: 0, max: 2, default: 1, doc: 'Gain applied on top of the CV response.' },
    response: { unit: 'enum', min: 0, max: 1, default: 0, choices: ['linear', 'exponential'], doc: 'CV response curve.' },
  },
  inputs: {
    in: { signal: 'audio', doc: 'Signal to amplify.' },
    cv: { signal: 'cv', normal: 10, doc: 'Gain CV, 0..10 V (unpatched: 10 V, fully open).' },
  },
  outputs: {
    out: { signal: 'audio', doc: 'in × level × response(cv).' },
  },
});

type IO = BlockIO<typeof spec>;

/** Exponential response: r(x) = (e^(k·x) − 1)/(e^k − 1) with k = ln 1000. */
const EXP_K = Math.log(1000);
const EXP_NORM = 1 / (1000 - 1);
/** Level smoothing time constant (one-pole), against zipper noise when the level param jumps. */
/**
 * The smoothed level lands on its target once within SNAP of it (1e-9 of unity gain, −180 dB): the
 * one-pole alone stalls a few ulps short, and a level equal to its target takes the loop without the
 * recurrence. Decided per sample, so the output stays block-size invariant.
 */
const SNAP = 1e-9;

/**
 * Voltage-controlled amplifier: out = in · level · r(x), x = clamp(cv / 10 V, 0, 1).
 * linear: r(x) = x.  exponential: r(x) = (1000^x − 1) / 999: r(0) = 0, −60 dB at 1 V, −30.3 dB at 5 V,
 * 0 dB at 10 V (about 6.7 dB per volt above 1 V).
 * The level param is smoothed per sample (5 ms one-pole, landing on the target within 1e-9), so the
 * output is block-size invariant; a settled level costs no smoothing.
 */
class VcaKernel implements Kernel<typeof spec> {
  private readonly smoothCoef: number;
  private level = NaN;

  constructor(ctx: InitContext) {
    this.smoothCoef = smoothingCoef(SMOOTH_SECONDS, ctx.sampleRate);
  }

  reset(): void {
    this.level = NaN;
  }

  process(io: IO, start: number, end: number): void {
    const x = io.in.in, cv = io.in.cv, out = io.out.out;
    const target = clamp(io.params.level, 0, 2);
    const a = this.smoothCoef;
    let level = this.level === this.level ? this.level : target;
    const exp = io.params.response >= 0.5;
    if (level === target) {
      // Settled (the usual case): the smoothing recurrence would leave level at target, sample by sample.
      if (exp) {
        for (let i = start; i < end; i++) {
          const g = (Math.exp(EXP_K * clamp(cv[i] * 0.1, 0, 1)) - 1) * EXP_NORM;
          out[i] = finiteOr0(x[i]) * level * g;
        }
      } else {
        // Two samples per iteration: V8 checks each array once per iteration, not once per access.
        let i = start;
        for (const last = end - 1; i < last; i += 2) {
          const a = finiteOr0(x[i]) * level * clamp(cv[i] * 0.1, 0, 1);
          const b = finiteOr0(x[i + 1]) * level * clamp(cv[i + 1] * 0.1, 0, 1);
          out[i] = a;
          out[i + 1] = b;
        }
        if (i < end) out[i] = finiteOr0(x[i]) * level * clamp(cv[i] * 0.1, 0, 1);
      }
    } else if (exp) {
      for (let i = start; i < end; i++) {
        level += (target - level) * a;
        if (level - target < SNAP && target - level < SNAP) level = target;
        const g = (Math.exp(EXP_K * clamp(cv[i] * 0.1, 0, 1)) - 1) * EXP_NORM;
        out[i] = finiteOr0(x[i]) * level * g;
      }
    } else {
      for (let i = start; i < end; i++) {
        level += (target - level) * a;
        if (level - target < SNAP && target - level < SNAP) level = target;
        out[i] = finiteOr0(x[i]) * level * clamp(cv[i] * 0.1, 0, 1);
      }
    }
    this.level = level;
  }
}

export const Vca = defineModule(spec, {
  type: 'vca',
  version: 1,
  title: 'VCA',
  category: 'amplifier',
  poly: ['in'],
  doc:
    'Voltage-controlled amplifier. Gain = level × r(cv/10 V), linear or exponential (r = (1000^x − 1)/999: −60 dB at 1 V, 0 dB at 10 V); the ' +
    'cv input is normalled to 10 V, so an unpatched VCA is a plain gain stage. Level changes are smoothed over 5 ms.',
  create: (ctx) => new VcaKernel(ctx),
});
