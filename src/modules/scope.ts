import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { finiteOr0 } from '../dsp/numeric';
import { GATE_HIGH_V, GATE_LOW_V } from '../dsp/schmitt';

/** Points in one capture. */
export const SCOPE_POINTS = 256;

const spec = ports({
  params: {
    time: { unit: 's', min: 0.001, max: 10, default: 0.02, doc: 'Time the capture spans (256 points).' },
    trigger: {
      unit: 'enum', min: 0, max: 2, default: 1, choices: ['free', 'edge', 'trig'],
      doc: 'Start a capture at once, when `in` rises through `level`, or on a rising `trig` gate.',
    },
    level: { unit: 'V', min: -10, max: 10, default: 0, doc: 'Edge trigger level.' },
  },
  inputs: {
    in: { signal: 'audio', polyRead: 'first', doc: 'Signal to capture (channel 0 of a polyphonic cable).' },
    trig: { signal: 'gate', doc: 'External trigger (trigger = trig).' },
  },
  outputs: {
    out: { signal: 'audio', doc: 'The input, passed through.' },
  },
});

/** Readout layout: [generation, step (samples per point), points…]. */
const GEN = 0, STEP = 1, DATA = 2;

/**
 * Oscilloscope readable over OSC (/module/read): captures 256 points spanning `time` seconds (one
 * point every max(1, round(time × rate / 256)) samples) from a trigger, then publishes the capture:
 * the generation is made odd, the points copied, then made even (a reader that sees the same even
 * generation before and after its copy has a consistent capture). Then it re-arms.
 */
class ScopeKernel implements Kernel<typeof spec> {
  private readonly buf = new Float32Array(SCOPE_POINTS);
  /** [points captured (−1: armed, waiting for the trigger), samples to the next point, previous in, gate high, generation]. */
  private readonly st = new Float64Array(5);
  private readonly sampleRate: number;

  constructor(ctx: InitContext) {
    this.sampleRate = ctx.sampleRate;
    this.reset();
  }

  reset(): void {
    this.buf.fill(0);
    this.st.fill(0);
    this.st[0] = -1;
  }

  process(io: BlockIO<typeof spec>, start: number, end: number): void {
    const x = io.in.in, g = io.in.trig, out = io.out.out, r = io.readout, st = this.st, buf = this.buf;
    const step = Math.max(1, Math.round((io.params.time * this.sampleRate) / SCOPE_POINTS));
    const mode = Math.round(io.params.trigger), level = io.params.level;
    for (let i = start; i < end; i++) {
      const v = finiteOr0(x[i]);
      out[i] = v;
      let fire = false;
      if (mode === 2) {
        const high = st[3] !== 0 ? g[i] > GATE_LOW_V : g[i] >= GATE_HIGH_V;
        fire = high && st[3] === 0;
        st[3] = high ? 1 : 0;
      } else fire = mode === 0 || (st[2] < level && v >= level);
      st[2] = v;
      if (st[0] < 0) {
        if (!fire) continue;
        st[0] = 0;
        st[1] = 0;
      }
      if (st[1] > 0) {
        st[1]--;
        continue;
      }
      buf[st[0]] = v;
      st[0]++;
      st[1] = step - 1;
      if (st[0] === SCOPE_POINTS) {
        const gen = st[4];
        r[GEN] = gen + 1; // odd: being written
        r[STEP] = step;
        for (let k = 0; k < SCOPE_POINTS; k++) r[DATA + k] = buf[k];
        st[4] = gen + 2;
        r[GEN] = gen + 2; // even: consistent
        st[0] = -1;
      }
    }
  }
}

export const Scope = defineModule(spec, {
  type: 'scope',
  version: 1,
  title: 'Scope',
  category: 'utility',
  readout: {
    floats: DATA + SCOPE_POINTS,
    generation: true,
    format: (v) => ['captures', v[GEN] / 2, 'step', v[STEP], 'points', ...Array.from(v.subarray(DATA, DATA + SCOPE_POINTS))],
  },
  doc:
    'Oscilloscope, passes its input through. Read the last complete capture with OSC `/module/read ID`: reply ' +
    '`/read ID captures N step S points V×256` (S samples between points; N counts completed captures).',
  create: (ctx) => new ScopeKernel(ctx),
});
