import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp, sin2pi } from '../dsp/numeric';
import { SchmittTrigger } from '../dsp/schmitt';

const spec = ports({
  params: {
    pitch: { unit: 'Hz', min: 20, max: 200, default: 50, doc: 'Frequency the body settles to.' },
    sweep: { unit: 'ratio', min: 1, max: 16, default: 6, doc: 'Start frequency as a multiple of pitch.' },
    sweepTime: { unit: 's', min: 0.001, max: 0.5, default: 0.03, doc: 'Time constant of the pitch sweep.' },
    decay: { unit: 's', min: 0.01, max: 5, default: 0.5, doc: 'Time for the body to fall by 60 dB.' },
    level: { unit: 'gain', min: 0, max: 2, default: 1, doc: 'Output gain (peak 5 V at 1).' },
  },
  inputs: {
    trig: { signal: 'trigger', doc: 'Strikes on each rising edge.' },
    pitch: { signal: 'cv', doc: '1 V/oct offset of pitch.' },
  },
  outputs: {
    out: { signal: 'audio', doc: 'The kick, ±5 V at level 1.' },
  },
});

type IO = BlockIO<typeof spec>;

/**
 * Kick drum: a sine whose frequency falls from pitch · sweep to pitch, f(t) = pitch · (1 + (sweep − 1) ·
 * e^(−t/sweepTime)), with amplitude 5 V · 10^(−3t/decay) (−60 dB at t = decay). The phase restarts at 0
 * on each trigger (no click from the sine itself). Sample-exact strike; block-size invariant.
 */
class KickKernel implements Kernel<typeof spec> {
  private readonly trig = new SchmittTrigger();
  private readonly dt: number;
  /** [phase, time since strike (s), −1 = never struck]. */
  private readonly s = new Float64Array(2).fill(-1);

  constructor(ctx: InitContext) {
    this.dt = 1 / ctx.sampleRate;
  }

  reset(): void {
    this.trig.reset();
    this.s.fill(-1);
  }

  process(io: IO, start: number, end: number): void {
    const p = io.params, s = this.s, dt = this.dt;
    const base = clamp(p.pitch, 20, 200), sweep = clamp(p.sweep, 1, 16) - 1, tau = clamp(p.sweepTime, 0.001, 0.5);
    const decayRate = (-3 * Math.LN10) / clamp(p.decay, 0.01, 5), level = 5 * clamp(p.level, 0, 2);
    const trig = io.in.trig, cv = io.in.pitch, out = io.out.out, cvOn = io.connected.pitch;
    let phase = s[0], t = s[1];
    for (let i = start; i < end; i++) {
      if (this.trig.processAt(trig, i)) {
        phase = 0;
        t = 0;
      }
      if (t < 0) {
        out[i] = 0;
        continue;
      }
      out[i] = level * Math.exp(decayRate * t) * sin2pi(phase);
      const f = base * (1 + sweep * Math.exp(-t / tau)) * (cvOn ? Math.pow(2, clamp(cv[i], -5, 5)) : 1);
      phase += f * dt;
      if (phase >= 1) phase -= 1;
      t = t < 60 ? t + dt : t;
    }
    s[0] = phase;
    s[1] = t;
  }
}

export const Kick = defineModule(spec, {
  type: 'kick',
  version: 1,
  title: 'Kick drum',
  category: 'source',
  poly: ['trig', 'pitch'],
  doc:
    'Kick drum: a sine swept down from pitch × sweep to pitch (exponential, sweepTime), falling 60 dB in `decay`; struck by a trigger, ' +
    'pitch CV 1 V/oct. Peak 5 V at level 1.',
  create: (ctx) => new KickKernel(ctx),
});
