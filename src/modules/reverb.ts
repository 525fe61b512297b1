import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp, finiteOr0 } from '../dsp/numeric';

const spec = ports({
  params: {
    decay: { unit: 's', min: 0.1, max: 30, default: 2.5, doc: 'RT60: time for the tail to fall by 60 dB (at low frequencies).' },
    size: { unit: 'ratio', min: 0, max: 1, default: 0.7, doc: 'Room size: scales the delay lengths (set it before playing; changing it while a tail rings jumps).' },
    damping: { unit: 'ratio', min: 0, max: 1, default: 0.3, doc: 'High-frequency damping: 0 none; 1 darkest (the loop low-pass falls from 20 kHz to 1.5 kHz).' },
    mix: { unit: 'ratio', min: 0, max: 1, default: 0.3, doc: 'Dry/wet balance.' },
  },
  inputs: {
    left: { signal: 'audio', doc: 'Left in (or mono).' },
    right: { signal: 'audio', doc: 'Right in (unpatched: the left input).' },
  },
  outputs: {
    left: { signal: 'audio', doc: 'Left out.' },
    right: { signal: 'audio', doc: 'Right out.' },
  },
});

type IO = BlockIO<typeof spec>;

/** Delay lengths at size 1, ms (mutually prime in samples at common rates, spread over 30–75 ms). */
const LENGTHS_MS = [29.71, 37.11, 41.13, 43.73, 53.03, 59.93, 67.31, 73.13];
const N = LENGTHS_MS.length;

/**
 * Feedback delay network reverb (Jot): 8 delay lines mixed through a Householder matrix
 * (H = I − 2/N·11ᵀ, orthogonal, so the loop is lossless before the per-line gains). Line i of L_i
 * samples has gain g_i = 10^(−3·L_i / (RT60·fs)): every path loses 60 dB in RT60 seconds, so the tail
 * decays at exactly the set RT60 (at DC; damping shortens it at high frequencies through a one-pole
 * low-pass in each line). Inputs feed the lines with alternating signs; the outputs tap them with two
 * different sign patterns, so left and right are decorrelated. Block-size invariant.
 */
class ReverbKernel implements Kernel<typeof spec> {
  private readonly fs: number;
  private readonly lines: Float32Array[];
  private readonly maxLen: Int32Array;
  /** Write index per line, then the low-pass state per line. */
  private readonly pos: Int32Array;
  private readonly lp = new Float64Array(N);
  private readonly len = new Int32Array(N);
  private readonly gain = new Float64Array(N);
  private readonly v = new Float64Array(N);

  constructor(ctx: InitContext) {
    this.fs = ctx.sampleRate;
    this.maxLen = Int32Array.from(LENGTHS_MS.map((ms) => Math.ceil((ms / 1000) * ctx.sampleRate) + 1));
    this.lines = Array.from(this.maxLen, (n) => new Float32Array(n));
    this.pos = new Int32Array(N);
  }

  reset(): void {
    for (const l of this.lines) l.fill(0);
    this.pos.fill(0);
    this.lp.fill(0);
  }

  process(io: IO, start: number, end: number): void {
    const p = io.params, fs = this.fs;
    const rt60 = clamp(p.decay, 0.1, 30), size = clamp(p.size, 0, 1), mix = clamp(p.mix, 0, 1);
    const damping = clamp(p.damping, 0, 1);
    const fc = 20000 * Math.pow(0.075, damping);
    // Damping 0 bypasses the loop filter (a one-pole at 20 kHz would still shorten the tail).
    // cutoffCoef(min(fc, 0.45·fs)), written out, not called: see dsp/one-pole.ts (a per-block call V8 does not inline boxes its double).
    const a = damping <= 0 ? 1 : 1 - Math.exp((-2 * Math.PI * Math.min(fc, 0.45 * fs)) / fs);
    const len = this.len, gain = this.gain, v = this.v, lp = this.lp, pos = this.pos, lines = this.lines, maxLen = this.maxLen;
    for (let k = 0; k < N; k++) {
      len[k] = Math.max(2, Math.min(maxLen[k] - 1, Math.round((LENGTHS_MS[k] / 1000) * fs * (0.25 + 0.75 * size))));
      gain[k] = Math.pow(10, (-3 * len[k]) / (rt60 * fs));
    }
    const inL = io.in.left, inR = io.in.right, outL = io.out.left, outR = io.out.right;
    const stereoIn = io.connected.right;
    const scale = 2 / N;
    for (let i = start; i < end; i++) {
      const l = finiteOr0(inL[i]), r = stereoIn ? finiteOr0(inR[i]) : l;
      // Read every line (its oldest sample), damp it, apply its gain.
      let sum = 0;
      for (let k = 0; k < N; k++) {
        const line = lines[k];
        let read = pos[k] - len[k];
        if (read < 0) read += maxLen[k];
        const y = line[read];
        lp[k] += (y - lp[k]) * a;
        v[k] = lp[k] * gain[k];
        sum += v[k];
      }
      let wetL = 0, wetR = 0;
      const h = sum * scale;
      for (let k = 0; k < N; k++) {
        const fb = v[k] - h; // Householder: (I − 2/N·11ᵀ) v
        const input = (k & 1 ? r : l) * (k & 2 ? -0.25 : 0.25);
        const line = lines[k];
        line[pos[k]] = fb + input;
        pos[k] = pos[k] + 1 >= maxLen[k] ? 0 : pos[k] + 1;
        wetL += k & 1 ? -v[k] : v[k];
        wetR += k & 4 ? -v[k] : v[k];
      }
      outL[i] = l * (1 - mix) + 0.5 * wetL * mix;
      outR[i] = r * (1 - mix) + 0.5 * wetR * mix;
    }
    for (let k = 0; k < N; k++) if (!(lp[k] > 1e-20 || lp[k] < -1e-20)) lp[k] = 0;
  }
}

export const Reverb = defineModule(spec, {
  type: 'reverb',
  version: 1,
  title: 'Reverb',
  category: 'effect',
  doc:
    'Stereo feedback-delay-network reverb: 8 lines through a Householder matrix, with per-line gains set so the tail falls 60 dB in exactly ' +
    'the decay time (RT60, 0.1–30 s, at low frequencies), damping (a low-pass in the loop), room size and dry/wet mix. Mono in feeds both sides.',
  create: (ctx) => new ReverbKernel(ctx),
});
