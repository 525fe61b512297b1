import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp, finiteOr0 } from '../dsp/numeric';
import { SMOOTH_SECONDS, smoothingCoef } from '../dsp/one-pole';

const spec = ports({
  params: {
    mix: { unit: 'ratio', min: 0, max: 1, default: 0.5, doc: '0 = all A, 1 = all B.' },
    curve: { unit: 'enum', min: 0, max: 1, default: 0, choices: ['linear', 'equal power'], doc: 'Linear (for CV and correlated audio) or equal power (cos/sin, for uncorrelated audio).' },
  },
  inputs: {
    a: { signal: 'audio', doc: 'Input A.' },
    b: { signal: 'audio', doc: 'Input B.' },
    cv: { signal: 'cv', doc: 'Added to mix: 10 V spans the whole range.' },
  },
  outputs: {
    out: { signal: 'audio', doc: 'The crossfade of A and B.' },
  },
});

/**
 * Crossfader: x = clamp(mix + cv/10 V, 0, 1); linear: out = a·(1−x) + b·x; equal power:
 * out = a·cos(πx/2) + b·sin(πx/2). The mix param is smoothed (5 ms one-pole); the CV is not.
 */
class CrossfadeKernel implements Kernel<typeof spec> {
  private readonly coef: number;
  private readonly mix = new Float64Array(1).fill(NaN);

  constructor(ctx: InitContext) {
    this.coef = smoothingCoef(SMOOTH_SECONDS, ctx.sampleRate);
  }

  reset(): void {
    this.mix[0] = NaN;
  }

  process(io: BlockIO<typeof spec>, start: number, end: number): void {
    const target = clamp(io.params.mix, 0, 1), power = io.params.curve >= 0.5;
    const a = io.in.a, b = io.in.b, cv = io.in.cv, out = io.out.out, k = this.coef;
    let m = this.mix[0] === this.mix[0] ? this.mix[0] : target;
    for (let i = start; i < end; i++) {
      m += (target - m) * k;
      const x = clamp(m + finiteOr0(cv[i]) * 0.1, 0, 1);
      const ga = power ? Math.cos(x * Math.PI * 0.5) : 1 - x;
      const gb = power ? Math.sin(x * Math.PI * 0.5) : x;
      out[i] = finiteOr0(a[i]) * ga + finiteOr0(b[i]) * gb;
    }
    this.mix[0] = m;
  }
}

export const Crossfade = defineModule(spec, {
  type: 'crossfade',
  version: 1,
  title: 'Crossfader',
  category: 'utility',
  poly: ['a', 'b'],
  doc: 'Fades between A and B: linear or equal power, position from the mix param (smoothed over 5 ms) plus cv (10 V = the whole range).',
  create: (ctx) => new CrossfadeKernel(ctx),
});
