import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp, finiteOr0, flushDenormal } from '../dsp/numeric';
import { smoothingCoef } from '../dsp/one-pole';
import { SchmittTrigger } from '../dsp/schmitt';

/** Longest delay, seconds. */
export const MAX_DELAY_S = 10;

const spec = ports({
  params: {
    time: { unit: 's', min: 0.001, max: MAX_DELAY_S, default: 0.25, doc: 'Delay time (with the clock input patched: the delay is this many clock periods, 0.001..10).' },
    feedback: { unit: 'ratio', min: 0, max: 1, default: 0.3, doc: 'Share of the wet signal fed back (1 = endless repeats).' },
    tone: { unit: 'ratio', min: -1, max: 1, default: 0, doc: 'Filter on the wet signal and its repeats: < 0 low-pass (down to 200 Hz), > 0 high-pass (up to 2 kHz), 0 none.' },
    mix: { unit: 'ratio', min: 0, max: 1, default: 0.5, doc: 'Dry/wet balance: 0 dry only, 1 wet only.' },
  },
  inputs: {
    in: { signal: 'audio', doc: 'Audio in.' },
    time: { signal: 'cv', doc: 'Multiplies the time by 2^(−V): +1 V halves it.' },
    clock: { signal: 'trigger', doc: 'Clock sync: the delay is `time` × the measured period between rising edges.' },
  },
  outputs: {
    out: { signal: 'audio', doc: 'dry·(1 − mix) + wet·mix.' },
    wet: { signal: 'audio', doc: 'The delayed signal alone (after the tone filter).' },
  },
});

type IO = BlockIO<typeof spec>;

/** Time smoothing (one-pole, in samples of delay), so a moving time bends pitch instead of clicking. */
const TIME_SMOOTH_SECONDS = 0.05;

/**
 * Digital delay line. Delay d = time · 2^(−cv) seconds (or time × the clock period when the clock input
 * is patched), limited to [1 sample, 10 s], smoothed (50 ms one-pole) and read with cubic Hermite
 * interpolation; when d is a whole number n of samples and steady, the read is exact, so with mix 1,
 * feedback 0 and tone 0 the output is the input delayed by exactly n samples. The line holds
 * in + feedback · wet (wet limited to ±10 V so endless feedback cannot run away); tone is a one-pole
 * low- or high-pass on the wet path. State is flushed of denormals.
 */
class DelayKernel implements Kernel<typeof spec> {
  private readonly fs: number;
  private readonly size: number;
  private readonly line: Float32Array;
  private readonly clockTrig = new SchmittTrigger();
  /** [write index, smoothed delay in samples, filter state, samples since the last clock edge, measured period]. */
  private readonly s = new Float64Array(5);
  private readonly smooth: number;

  constructor(ctx: InitContext) {
    this.fs = ctx.sampleRate;
    this.size = Math.ceil(MAX_DELAY_S * ctx.sampleRate) + 8;
    this.line = new Float32Array(this.size);
    this.smooth = smoothingCoef(TIME_SMOOTH_SECONDS, ctx.sampleRate);
    this.reset();
  }

  reset(): void {
    this.line.fill(0);
    this.s.fill(0);
    this.s[1] = NaN;
    this.clockTrig.reset();
  }

  process(io: IO, start: number, end: number): void {
    const p = io.params, s = this.s, line = this.line, size = this.size, fs = this.fs;
    const time = clamp(p.time, 0.001, MAX_DELAY_S), fb = clamp(p.feedback, 0, 1), mix = clamp(p.mix, 0, 1);
    const tone = clamp(p.tone, -1, 1);
    // One-pole coefficient: low-pass from 20 kHz (tone 0) down to 200 Hz, high-pass from 20 Hz up to 2 kHz.
    const fc = tone < 0 ? 20000 * Math.pow(0.01, -tone) : 20 * Math.pow(100, tone);
    // cutoffCoef(min(fc, 0.45·fs)), written out, not called: see dsp/one-pole.ts (a per-block call V8 does not inline boxes its double).
    const a = 1 - Math.exp((-2 * Math.PI * Math.min(fc, 0.45 * fs)) / fs);
    const x = io.in.in, cv = io.in.time, clock = io.in.clock, out = io.out.out, wetOut = io.out.wet;
    const cvOn = io.connected.time, clocked = io.connected.clock;
    let w = s[0], d = s[1], lp = s[2], since = s[3], period = s[4];
    for (let i = start; i < end; i++) {
      if (clocked) {
        since++;
        if (this.clockTrig.processAt(clock, i)) {
          if (since > 1) period = since;
          since = 0;
        }
      }
      let target = (clocked && period > 0 ? period / fs : 1) * time * fs;
      if (cvOn) target *= Math.pow(2, -clamp(finiteOr0(cv[i]), -10, 10));
      target = clamp(target, 1, size - 4);
      d = d === d ? d + (target - d) * this.smooth : target;
      // Read at w − d with cubic Hermite interpolation over 4 samples.
      const r = w - d;
      const ri = Math.floor(r), f = r - ri;
      const i0 = (ri - 1 + 2 * size) % size, i1 = (ri + 2 * size) % size, i2 = (ri + 1 + 2 * size) % size, i3 = (ri + 2 + 2 * size) % size;
      const y0 = line[i0], y1 = line[i1], y2 = line[i2], y3 = line[i3];
      const c1 = 0.5 * (y2 - y0), c2 = y0 - 2.5 * y1 + 2 * y2 - 0.5 * y3, c3 = 0.5 * (y3 - y0) + 1.5 * (y1 - y2);
      const raw = ((c3 * f + c2) * f + c1) * f + y1;
      let wet = raw;
      if (tone < 0) {
        lp += (raw - lp) * a;
        wet = lp;
      } else if (tone > 0) {
        lp += (raw - lp) * a;
        wet = raw - lp;
      }
      const dry = finiteOr0(x[i]);
      line[w] = dry + fb * clamp(wet, -10, 10);
      w = w + 1 >= size ? 0 : w + 1;
      out[i] = dry * (1 - mix) + wet * mix;
      wetOut[i] = wet;
    }
    s[0] = w;
    s[1] = d;
    s[2] = flushDenormal(lp);
    s[3] = since;
    s[4] = period;
  }
}

export const Delay = defineModule(spec, {
  type: 'delay',
  version: 1,
  title: 'Delay',
  category: 'effect',
  poly: ['in'],
  doc:
    'Digital delay, 1 ms to 10 s, with feedback, a tone filter on the repeats (low-pass one way, high-pass the other) and dry/wet mix. ' +
    'Time CV: +1 V halves the time. Clock sync: with the clock input patched the delay is `time` × the measured clock period. The time is ' +
    'smoothed over 50 ms and read with cubic interpolation; a steady time of n samples delays by exactly n samples. Repeats are limited to ' +
    '±10 V, so feedback 1 sustains without running away.',
  create: (ctx) => new DelayKernel(ctx),
});
