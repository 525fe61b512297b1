import { defineModule, ports, type BlockIO, type Kernel } from '../engine/module-api';
import { clamp, finiteOr0, sin2pi } from '../dsp/numeric';
import { SchmittTrigger } from '../dsp/schmitt';
import type { InitContext } from '../engine/module-api';

const spec = ports({
  params: {
    rate: { unit: 'Hz', min: 0.001, max: 1000, default: 1, doc: 'Frequency in Hz (before the rate CV).' },
    unipolar: { unit: 'enum', min: 0, max: 1, default: 0, choices: ['bipolar', 'unipolar'], doc: 'bipolar: ±5 V; unipolar: 0..10 V.' },
    phase: { unit: 'ratio', min: 0, max: 1, default: 0, doc: 'Start phase (0..1 of a cycle), also used on reset.' },
  },
  inputs: {
    rate: { signal: 'cv', doc: 'Rate CV, 1 V/oct: +1 V doubles the rate.' },
    reset: { signal: 'trigger', doc: 'Restarts the cycle at the start phase on a rising edge.' },
  },
  outputs: {
    sin: { signal: 'cv', doc: 'Sine.' },
    tri: { signal: 'cv', doc: 'Triangle (starts at its minimum).' },
    saw: { signal: 'cv', doc: 'Rising ramp.' },
    sqr: { signal: 'gate', doc: 'Square: high for the first half of each cycle.' },
  },
});

type IO = BlockIO<typeof spec>;

/**
 * Low-frequency oscillator. Phase accumulator in double precision, f = rate · 2^(rate CV), limited to
 * [0, fs/4]. Waveforms are naive (not band-limited: this is a modulation source; use the VCO for audio).
 * Output ±5 V, or 0..10 V when unipolar. Per-sample: block-size invariant; a saw LFO equals a ramp
 * (2·phase − 1)·5 V exactly.
 */
class LfoKernel implements Kernel<typeof spec> {
  private readonly sampleTime: number;
  private readonly resetTrig = new SchmittTrigger();
  private phase = NaN;
  /**
   * Scratch for values that must stay unboxed doubles. A param can be a small integer (a V8 Smi); if a
   * loop-carried variable is ever assigned one, V8 keeps that variable tagged and every update in
   * the loop allocates a heap number. Reading it back from a Float64Array makes it a double.
   */
  private readonly f64 = new Float64Array(1);

  constructor(ctx: InitContext) {
    this.sampleTime = 1 / ctx.sampleRate;
  }

  reset(): void {
    this.phase = NaN;
    this.resetTrig.reset();
  }

  process(io: IO, start: number, end: number): void {
    const p = io.params;
    const rateIn = io.in.rate, resetIn = io.in.reset;
    const sinOut = io.out.sin, triOut = io.out.tri, sawOut = io.out.saw, sqrOut = io.out.sqr;
    this.f64[0] = clamp(p.phase, 0, 1);
    const startPhase = this.f64[0];
    const baseDt = clamp(p.rate, 0, 1e4) * this.sampleTime;
    const offset = p.unipolar >= 0.5 ? 5 : 0;
    const rateConnected = io.connected.rate;
    const resetTrig = this.resetTrig;
    const useSin = io.used.sin, useTri = io.used.tri, useSaw = io.used.saw, useSqr = io.used.sqr;
    let phase = this.phase === this.phase ? this.phase : startPhase;
    for (let i = start; i < end; i++) {
      if (resetTrig.processAt(resetIn, i)) phase = startPhase;
      if (useSin) sinOut[i] = 5 * sin2pi(phase) + offset;
      if (useTri) triOut[i] = 5 * (1 - 4 * Math.abs(phase - 0.5)) + offset;
      if (useSaw) sawOut[i] = 5 * (2 * phase - 1) + offset;
      if (useSqr) sqrOut[i] = phase < 0.5 ? 5 + offset : offset - 5;
      const dt = rateConnected ? baseDt * Math.pow(2, clamp(finiteOr0(rateIn[i]), -20, 20)) : baseDt;
      phase += dt < 0.25 ? dt : 0.25;
      if (phase >= 1) phase -= Math.floor(phase);
    }
    this.phase = phase;
  }
}

export const Lfo = defineModule(spec, {
  type: 'lfo',
  version: 1,
  title: 'LFO',
  category: 'modulation',
  poly: ['rate'],
  doc:
    'Low-frequency oscillator with sine, triangle, saw and square outputs, ±5 V or 0..10 V (unipolar). Rate in Hz ' +
    '(0.001..1000) times 2^(rate CV). A rising edge at reset restarts the cycle at the start phase. Not band-limited. ' +
    'Per-sample: block-size invariant.',
  create: (ctx) => new LfoKernel(ctx),
});
