import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp } from '../dsp/numeric';
import { SchmittTrigger } from '../dsp/schmitt';

const spec = ports({
  params: {
    bpm: { unit: 'Hz', min: 1, max: 1000, default: 120, doc: 'Tempo in beats per minute (the x1 output ticks once per beat).' },
    width: { unit: 'ratio', min: 0.01, max: 0.99, default: 0.5, doc: 'Pulse width of every output (fraction of its period).' },
  },
  inputs: {
    run: { signal: 'gate', normal: 10, doc: 'The clock runs while high (unpatched: always).' },
    reset: { signal: 'trigger', doc: 'Restarts every output at the start of its period (all high at once).' },
  },
  outputs: {
    x1: { signal: 'gate', doc: 'One pulse per beat.' },
    x2: { signal: 'gate', doc: 'Two pulses per beat.' },
    x4: { signal: 'gate', doc: 'Four pulses per beat.' },
    d2: { signal: 'gate', doc: 'One pulse every 2 beats.' },
    d4: { signal: 'gate', doc: 'One pulse every 4 beats.' },
  },
});

type IO = BlockIO<typeof spec>;

/**
 * Master clock. The position in beats advances by bpm / (60 · fs) per sample while `run` is high, and
 * every output is a pulse train of that position: x_k is high while frac(k · beats) < width (k = 1, 2,
 * 4, 1/2, 1/4). All outputs rise together at beat 0 (after a reset) and stay phase-locked: the x1 edge
 * is always also an x2, x4, d2 (even beats) and d4 (every fourth beat) edge. Per-sample: block-size
 * invariant. 10 V high, 0 V low.
 */
class ClockKernel implements Kernel<typeof spec> {
  private readonly sampleTime: number;
  private readonly resetTrig = new SchmittTrigger();
  /** Position in beats (a Float64Array so the loop variable stays an unboxed double). */
  private readonly pos = new Float64Array(1);

  constructor(ctx: InitContext) {
    this.sampleTime = 1 / ctx.sampleRate;
  }

  reset(): void {
    this.pos[0] = 0;
    this.resetTrig.reset();
  }

  process(io: IO, start: number, end: number): void {
    const step = (clamp(io.params.bpm, 1, 1000) / 60) * this.sampleTime;
    const width = clamp(io.params.width, 0.01, 0.99);
    const run = io.in.run, resetIn = io.in.reset;
    const x1 = io.out.x1, x2 = io.out.x2, x4 = io.out.x4, d2 = io.out.d2, d4 = io.out.d4;
    const trig = this.resetTrig;
    let pos = this.pos[0];
    for (let i = start; i < end; i++) {
      if (trig.processAt(resetIn, i)) pos = 0;
      x1[i] = pos - Math.floor(pos) < width ? 10 : 0;
      x2[i] = 2 * pos - Math.floor(2 * pos) < width ? 10 : 0;
      x4[i] = 4 * pos - Math.floor(4 * pos) < width ? 10 : 0;
      d2[i] = 0.5 * pos - Math.floor(0.5 * pos) < width ? 10 : 0;
      d4[i] = 0.25 * pos - Math.floor(0.25 * pos) < width ? 10 : 0;
      if (run[i] >= 1) pos += step;
      // Keep the position small (exact multiples of 4 beats keep every output's phase).
      if (pos >= 1024) pos -= 1024;
    }
    this.pos[0] = pos;
  }
}

export const Clock = defineModule(spec, {
  type: 'clock',
  version: 1,
  title: 'Clock',
  category: 'sequencing',
  doc:
    'Master clock: pulses at the tempo (x1), multiplied (x2, x4) and divided (d2, d4), all phase-locked and rising together after a reset. ' +
    'Runs while the run gate is high (normalled to 10 V). Pulse width is a fraction of each output\'s period. The position advances by ' +
    'bpm/(60·fs) beats per sample, so the n-th x1 pulse rises at the first sample at or after n·60/bpm seconds. Block-size invariant.',
  create: (ctx) => new ClockKernel(ctx),
});
