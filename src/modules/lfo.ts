import { defineModule, ports, type BlockIO, type Kernel } from '../sdk';
import { clamp, finiteOr0, sin2pi } from '../dsp/numeric';
import { SchmittTrigger } from '../dsp/schmitt';
import type { InitContext } from '../sdk';

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
 * The sine, read from a table of one cycle with linear interpolation: SIN_SIZE points (16 KiB, shared
 * by every LFO), worst error (2π/SIN_SIZE)²/8 = 1.2e-6 of the amplitude (6 µV on 5 V, −138 dB), built
 * with sin2pi (pure arithmetic, the same bits on every thread). Two guard points so phase 1 (a start
 * phase of 1) interpolates inside the table.
 */
const SIN_SIZE = 2048;
const SIN_TABLE = new Float64Array(SIN_SIZE + 2);
for (let j = 0; j < SIN_SIZE + 2; j++) SIN_TABLE[j] = sin2pi(j / SIN_SIZE);

/**
 * The phase of each sample of the current call, shared by every LFO of this thread (kernels of a thread
 * run one after another and `process` never re-enters, so one scratch serves them all: at 256 voices a
 * scratch per kernel was 128 KiB more of cache to walk every block). Grown when a kernel is created
 * (not RT), never on the audio path.
 */
let phaseScratch = new Float64Array(0);

/**
 * Low-frequency oscillator. Phase accumulator in double precision, f = rate · 2^(rate CV), limited to
 * [0, fs/4]. Waveforms are naive (not band-limited: this is a modulation source; use the VCO for audio);
 * the sine comes from a 2048-point table (error ≤ 1.2e-6 of full scale, see SIN_TABLE).
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
    if (phaseScratch.length < ctx.maxBlock) phaseScratch = new Float64Array(ctx.maxBlock);
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
    const rateConnected = io.connected.rate, resetConnected = io.connected.reset;
    const resetTrig = this.resetTrig;
    // An unpatched reset reads 0 V: the trigger goes low on the first sample and never fires.
    if (!resetConnected && start < end) resetTrig.high = false;
    const useSin = io.used.sin, useTri = io.used.tri, useSaw = io.used.saw, useSqr = io.used.sqr;
    const table = SIN_TABLE;
    const fixedStep = baseDt < 0.25 ? baseDt : 0.25;
    let phase = this.phase === this.phase ? this.phase : startPhase;
    // A rate CV held over the block (a polyphonic LFO's unused rate input, a slow knob) gives a fixed
    // step: the per-sample form below would compute the same step every sample.
    let step = fixedStep, held = !rateConnected;
    if (rateConnected && !resetConnected && start < end) {
      const r0 = rateIn[start];
      held = true;
      for (let i = start + 1; i < end; i++) {
        if (rateIn[i] !== r0) {
          held = false;
          break;
        }
      }
      if (held) {
        this.f64[0] = baseDt * Math.pow(2, clamp(finiteOr0(r0), -20, 20));
        step = this.f64[0] < 0.25 ? this.f64[0] : 0.25;
      }
    }
    if (held && !resetConnected && useSin && !useTri && !useSaw && !useSqr) {
      // The common modulation source (fixed rate, sine only): phase and sine in one loop, no scratch.
      for (let i = start; i < end; i++) {
        const x = phase * SIN_SIZE;
        const j = x | 0;
        const a = table[j];
        sinOut[i] = 5 * (a + (x - j) * (table[j + 1] - a)) + offset;
        phase += step;
        if (phase >= 1) phase -= Math.floor(phase);
      }
      this.phase = phase;
      return;
    }
    // Otherwise pass 1, the only loop-carried work: the phase of every sample into a scratch array.
    // Then one branch-free loop per patched output.
    const ph = phaseScratch;
    if (!held || resetConnected) {
      // A moving rate CV (or a reset patched): 2^v is recomputed only when the input changes, the same
      // value as computing it every sample.
      const f64 = this.f64;
      let lastV = NaN, dt = fixedStep;
      for (let i = start; i < end; i++) {
        if (resetConnected && resetTrig.processAt(resetIn, i)) phase = startPhase;
        ph[i] = phase;
        if (rateConnected) {
          const v = clamp(finiteOr0(rateIn[i]), -20, 20);
          if (v !== lastV) {
            lastV = v;
            f64[0] = baseDt * Math.pow(2, v);
            dt = f64[0] < 0.25 ? f64[0] : 0.25;
          }
        }
        phase += dt;
        if (phase >= 1) phase -= Math.floor(phase);
      }
    } else {
      for (let i = start; i < end; i++) {
        ph[i] = phase;
        phase += step;
        if (phase >= 1) phase -= Math.floor(phase);
      }
    }
    if (useSin) {
      for (let i = start; i < end; i++) {
        const x = ph[i] * SIN_SIZE;
        const j = x | 0;
        const a = table[j];
        sinOut[i] = 5 * (a + (x - j) * (table[j + 1] - a)) + offset;
      }
    }
    if (useTri) for (let i = start; i < end; i++) triOut[i] = 5 * (1 - 4 * Math.abs(ph[i] - 0.5)) + offset;
    if (useSaw) for (let i = start; i < end; i++) sawOut[i] = 5 * (2 * ph[i] - 1) + offset;
    if (useSqr) for (let i = start; i < end; i++) sqrOut[i] = ph[i] < 0.5 ? 5 + offset : offset - 5;
    this.phase = phase;
  }
}

export const Lfo = defineModule(spec, {
  type: 'lfo',
  version: 1,
  title: 'LFO',
  category: 'modulation',
  boundedOutputs: true,
  poly: ['rate'],
  doc:
    'Low-frequency oscillator with sine, triangle, saw and square outputs, ±5 V or 0..10 V (unipolar). Rate in Hz ' +
    '(0.001..1000) times 2^(rate CV). A rising edge at reset restarts the cycle at the start phase. Not band-limited. ' +
    'Per-sample: block-size invariant.',
  create: (ctx) => new LfoKernel(ctx),
});
