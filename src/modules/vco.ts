/**
 * The VCO: descriptor and kernel. Over 300 lines for a reason: the kernel's fast paths (the saw-only
 * loop at a fixed or held frequency) and its general path share one phase, BLEP ring and sync state,
 * and are kept beside each other so that they stay bit-identical (test/modules/vco.test.ts).
 */
import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { HALF_WIDTH, RING, ringRamp, ringStep } from '../dsp/blep';
import { clamp, finiteOr0, sin2pi } from '../dsp/numeric';
import { C4_HZ } from '../dsp/pitch';

const spec = ports({
  params: {
    coarse: { unit: 'semitones', min: -60, max: 60, default: 0, doc: 'Pitch offset from C4 in semitones.' },
    fine: { unit: 'cents', min: -100, max: 100, default: 0, doc: 'Fine pitch offset.' },
    fmAmount: { unit: 'ratio', min: -1, max: 1, default: 0, doc: 'Exponential FM depth: 1 = the fm input adds 1 V/oct.' },
    linFm: { unit: 'ratio', min: -10, max: 10, default: 0, doc: 'Linear through-zero FM index: f · (1 + linFm · linfm/5 V).' },
    pw: { unit: 'ratio', min: 0.01, max: 0.99, default: 0.5, doc: 'Pulse width of the square output.' },
    pwmAmount: { unit: 'ratio', min: -1, max: 1, default: 0, doc: 'PWM depth: 1 = 10 V at pwm sweeps the full width.' },
  },
  inputs: {
    pitch: { signal: 'pitch', doc: '1 V/oct, added to coarse and fine (0 V = C4).' },
    fm: { signal: 'cv', doc: 'Exponential FM, scaled by fmAmount (V/oct).' },
    linfm: { signal: 'audio', doc: 'Linear through-zero FM, scaled by linFm.' },
    pwm: { signal: 'cv', doc: 'Pulse-width modulation, scaled by pwmAmount.' },
    sync: { signal: 'audio', doc: 'Hard sync: the phase restarts when this input crosses 0 V upward.' },
  },
  outputs: {
    sin: { signal: 'audio', doc: 'Sine, ±5 V.' },
    tri: { signal: 'audio', doc: 'Triangle, ±5 V (band-limited, BLAMP).' },
    saw: { signal: 'audio', doc: 'Rising sawtooth, ±5 V (band-limited, BLEP).' },
    sqr: { signal: 'audio', doc: 'Pulse, ±5 V, width pw (band-limited, BLEP).' },
  },
});

type IO = BlockIO<typeof spec>;

const MAX_DT = 0.45; // |frequency| limited to 0.45 × sample rate
const OUT_V = 5;

/** Where each output's delay ring starts in VcoKernel.rings, and its bit in the used mask. */
const SAW = 0, SQR = RING, TRI = 2 * RING, SIN = 3 * RING;
const USE_SAW = 1, USE_SQR = 2, USE_TRI = 4, USE_SIN = 8;
const MASK = RING - 1;

/**
 * Per-sample phase increment and pulse width of the current call (control pre-pass), shared by every
 * VCO of this thread: kernels of a thread run one after another and `process` never re-enters, so one
 * scratch serves them all (per kernel, 1 KiB more per voice of cache to walk every block). Grown when a
 * kernel is created (not RT), never on the audio path.
 */
let dtScratch = new Float64Array(0);
let pwScratch = new Float64Array(0);

/**
 * Band-limited VCO. Frequency f = C4 · 2^(coarse/12 + fine/1200 + pitch + fmAmount·fm) · (1 + linFm·linfm/5),
 * limited to ±0.45·fs (negative = through-zero, the waveform runs backwards). Every discontinuity of
 * saw and square gets a BLEP, every corner of the triangle a BLAMP, at its exact sub-sample time.
 * All outputs share a fixed latency of 16 samples (the linear-phase BLEP delay).
 * Everything is computed per sample, so the output does not depend on the block size.
 *
 * Cost: the four outputs' BLEP delay rings live in one Float64Array with one shared position, handled
 * in this loop (no method call per sample); only patched outputs are computed, corrections included
 * (a ring that becomes used is cleared and fills within 32 samples, under the cable fade-in); with
 * pitch, fm and linfm unpatched the frequency is computed once per call, with pwm unpatched the width
 * (a control pre-pass fills per-sample arrays; the main loop has one form).
 */
class VcoKernel implements Kernel<typeof spec> {
  private readonly sampleTime: number;
  /**
   * Loop-carried state, kept in a Float64Array (double fields of an object may be re-boxed on store):
   * [phase, last pitch (V), its frequency (Hz), last sync input].
   */
  private readonly carry = new Float64Array([0, NaN, 0, 0]);
  /** Delay rings of saw, sqr, tri and sin (RING floats each, see SAW..SIN). */
  private readonly rings = new Float64Array(4 * RING);
  /** Current position in every ring; outputs computed in the last call (USE_* bits). */
  private pos = 0;
  private usedMask = 0;
  private readonly ev = new Float64Array(2);
  constructor(ctx: InitContext) {
    this.sampleTime = 1 / ctx.sampleRate;
    if (dtScratch.length < ctx.maxBlock) {
      dtScratch = new Float64Array(ctx.maxBlock);
      pwScratch = new Float64Array(ctx.maxBlock);
    }
  }

  reset(): void {
    this.carry[0] = 0;
    this.carry[1] = NaN;
    this.carry[2] = 0;
    this.carry[3] = 0;
    this.rings.fill(0);
    this.pos = 0;
    this.usedMask = 0;
  }

  process(io: IO, start: number, end: number): void {
    const p = io.params;
    const pitchIn = io.in.pitch, fmIn = io.in.fm, linIn = io.in.linfm, pwmIn = io.in.pwm, syncIn = io.in.sync;
    const sinOut = io.out.sin, triOut = io.out.tri, sawOut = io.out.saw, sqrOut = io.out.sqr;
    const basePitchV = p.coarse / 12 + p.fine / 1200;
    const fmAmt = p.fmAmount, linAmt = p.linFm * 0.2, pwBase = p.pw, pwmAmt = p.pwmAmount * 0.1;
    const syncOn = io.connected.sync;
    const pitchOn = io.connected.pitch || io.connected.fm, linOn = io.connected.linfm, pwmOn = io.connected.pwm;
    // Only patched outputs are computed (the phase always is, so an output that gets patched later
    // starts in step; its ring is cleared and needs 32 samples to fill, under the cable fade-in).
    const useSin = io.used.sin, useTri = io.used.tri, useSaw = io.used.saw, useSqr = io.used.sqr;
    const mask = (useSaw ? USE_SAW : 0) | (useSqr ? USE_SQR : 0) | (useTri ? USE_TRI : 0) | (useSin ? USE_SIN : 0);
    const rings = this.rings;
    if ((mask & ~this.usedMask) !== 0) {
      if ((mask & ~this.usedMask & USE_SAW) !== 0) rings.fill(0, SAW, SAW + RING);
      if ((mask & ~this.usedMask & USE_SQR) !== 0) rings.fill(0, SQR, SQR + RING);
      if ((mask & ~this.usedMask & USE_TRI) !== 0) rings.fill(0, TRI, TRI + RING);
      if ((mask & ~this.usedMask & USE_SIN) !== 0) rings.fill(0, SIN, SIN + RING);
    }
    this.usedMask = mask;
    const st = this.sampleTime;
    // Discontinuities are passed to the ring functions through this array: a double passed to a call
    // that is not inlined (the rare branches here) would be boxed, an allocation per discontinuity.
    const ev = this.ev;
    const state = this.carry;
    let phase = state[0], lastPitchV = state[1], baseHz = state[2], lastSync = state[3];
    let pos = this.pos;
    // Control pre-pass: this call's phase increment and pulse width per sample, into scratch arrays the
    // main loop reads unconditionally (one form of loop, whatever is patched: a branch of the main loop
    // that never ran would leave V8 boxing the doubles that merge with it). Unpatched, a fill with the
    // value the per-sample form gives with the inputs at their normal 0 V.
    const dts = dtScratch, pws = pwScratch;
    // A pitch held over the block (a polyphonic VCO's channel pitch from a merge or a sequencer step)
    // is a fixed frequency: the per-sample form would compute the same dt every sample.
    let fixedFreq = !pitchOn && !linOn;
    if (pitchOn && !linOn && start < end) {
      const p0 = pitchIn[start], f0 = fmIn[start];
      let held = true;
      for (let i = start + 1; i < end; i++) {
        if (pitchIn[i] !== p0 || fmIn[i] !== f0) {
          held = false;
          break;
        }
      }
      if (held) {
        const pitchV = basePitchV + finiteOr0(p0) + fmAmt * finiteOr0(f0);
        if (pitchV !== lastPitchV) {
          lastPitchV = pitchV;
          baseHz = C4_HZ * Math.pow(2, clamp(pitchV, -12, 12));
        }
        fixedFreq = true;
      }
    }
    if (!pitchOn) {
      const pitchV = basePitchV;
      if (pitchV !== lastPitchV) {
        lastPitchV = pitchV;
        baseHz = C4_HZ * Math.pow(2, clamp(pitchV, -12, 12));
      }
    }
    if (!fixedFreq) {
      for (let i = start; i < end; i++) {
        if (pitchOn) {
          const pitchV = basePitchV + finiteOr0(pitchIn[i]) + fmAmt * finiteOr0(fmIn[i]);
          if (pitchV !== lastPitchV) {
            lastPitchV = pitchV;
            baseHz = C4_HZ * Math.pow(2, clamp(pitchV, -12, 12));
          }
        }
        dts[i] = clamp(baseHz * (1 + linAmt * clamp(finiteOr0(linIn[i]), -1e3, 1e3)) * st, -MAX_DT, MAX_DT);
      }
    } else if (mask !== USE_SAW || syncOn) {
      const dt = clamp(baseHz * st, -MAX_DT, MAX_DT);
      for (let i = start; i < end; i++) dts[i] = dt; // not fill(): a double passed to a builtin is boxed
    }
    if (!useSqr) {
      // The width only shapes the pulse output (its edges and sync jumps): nothing to compute.
    } else if (pwmOn) for (let i = start; i < end; i++) pws[i] = clamp(pwBase + pwmAmt * pwmIn[i], 0.01, 0.99);
    else {
      const pw = clamp(pwBase, 0.01, 0.99);
      for (let i = start; i < end; i++) pws[i] = pw;
    }

    if (mask === USE_SAW && !syncOn) {
      // Saw only, no sync (the common patch): the same steps as the general loop below, without the
      // branches of the other outputs; a fixed frequency keeps its step in a register (no dts read).
      const fixedDt = clamp(baseHz * st, -MAX_DT, MAX_DT);
      for (let i = start; i < end; i++) {
        const dt = fixedFreq ? fixedDt : dts[i];
        let next = phase + dt;
        if (dt >= 0) {
          if (next >= 1) {
            next -= 1;
            ev[0] = -2;
            ev[1] = next / dt;
            ringStep(rings, SAW, pos, ev);
          }
        } else if (next < 0) {
          next += 1;
          ev[0] = 2;
          ev[1] = (1 - next) / -dt;
          ringStep(rings, SAW, pos, ev);
        }
        phase = next;
        const out = (pos - HALF_WIDTH) & MASK;
        rings[SAW + pos] += 2 * phase - 1;
        sawOut[i] = OUT_V * rings[SAW + out];
        rings[SAW + out] = 0;
        pos = (pos + 1) & MASK;
      }
    } else {
      for (let i = start; i < end; i++) {
        const dt = dts[i], pw = pws[i];

        let synced = false;
        if (syncOn) {
          const s = finiteOr0(syncIn[i]);
          if (lastSync <= 0 && s > 0) {
            // Sub-sample crossing by linear interpolation; d = time since the crossing, in samples.
            let d = s / (s - lastSync);
            if (d >= 1) d = 0.999999;
            let pc = phase + (1 - d) * dt;
            pc -= Math.floor(pc);
            // Values jump from the waveform at pc to the waveform at phase 0.
            ev[1] = d;
            if (useSaw) {
              ev[0] = -1 - (2 * pc - 1);
              ringStep(rings, SAW, pos, ev);
            }
            if (useSqr) {
              ev[0] = 1 - (pc < pw ? 1 : -1);
              ringStep(rings, SQR, pos, ev);
            }
            if (useTri) {
              ev[0] = -2 + 4 * Math.abs(pc - 0.5); // −1 − tri(pc), written out (see below)
              ringStep(rings, TRI, pos, ev);
            }
            if (useSin) {
              ev[0] = -Math.sin(2 * Math.PI * pc); // not sin2pi: a call left out-of-line here boxes its double
              ringStep(rings, SIN, pos, ev);
            }
            phase = d * dt;
            phase -= Math.floor(phase);
            synced = true;
          }
          lastSync = s;
        }

        if (!synced) {
          let next = phase + dt;
          if (dt >= 0) {
            if (useSqr && phase < pw && next >= pw) {
              ev[0] = -2;
              ev[1] = (next - pw) / dt;
              ringStep(rings, SQR, pos, ev);
            }
            if (useTri && phase < 0.5 && next >= 0.5) {
              ev[0] = -8 * dt;
              ev[1] = (next - 0.5) / dt;
              ringRamp(rings, TRI, pos, ev);
            }
            if (next >= 1) {
              next -= 1;
              const d = next / dt;
              ev[1] = d;
              if (useSaw) {
                ev[0] = -2;
                ringStep(rings, SAW, pos, ev);
              }
              if (useSqr) {
                ev[0] = 2;
                ringStep(rings, SQR, pos, ev);
              }
              if (useTri) {
                ev[0] = 8 * dt;
                ringRamp(rings, TRI, pos, ev);
              }
              if (useSqr && next >= pw) {
                ev[0] = -2;
                ev[1] = (next - pw) / dt;
                ringStep(rings, SQR, pos, ev);
              }
            }
          } else {
            const ndt = -dt;
            if (useSqr && phase >= pw && next < pw) {
              ev[0] = 2;
              ev[1] = (pw - next) / ndt;
              ringStep(rings, SQR, pos, ev);
            }
            if (useTri && phase >= 0.5 && next < 0.5) {
              ev[0] = 8 * dt;
              ev[1] = (0.5 - next) / ndt;
              ringRamp(rings, TRI, pos, ev);
            }
            if (next < 0) {
              next += 1;
              const d = (1 - next) / ndt;
              ev[1] = d;
              if (useSaw) {
                ev[0] = 2;
                ringStep(rings, SAW, pos, ev);
              }
              if (useSqr) {
                ev[0] = -2;
                ringStep(rings, SQR, pos, ev);
              }
              if (useTri) {
                ev[0] = -8 * dt;
                ringRamp(rings, TRI, pos, ev);
              }
              if (useSqr && next < pw) {
                ev[0] = 2;
                ev[1] = (pw - next) / ndt;
                ringStep(rings, SQR, pos, ev);
              }
            }
          }
          phase = next;
        }

        // Each used ring: add this sample's naive value, emit the corrected sample HALF_WIDTH ago, clear it.
        const out = (pos - HALF_WIDTH) & MASK;
        if (useSaw) {
          rings[SAW + pos] += 2 * phase - 1;
          sawOut[i] = OUT_V * rings[SAW + out];
          rings[SAW + out] = 0;
        }
        if (useSqr) {
          rings[SQR + pos] += phase < pw ? 1 : -1;
          sqrOut[i] = OUT_V * rings[SQR + out];
          rings[SQR + out] = 0;
        }
        if (useTri) {
          rings[TRI + pos] += 1 - 4 * Math.abs(phase - 0.5);
          triOut[i] = OUT_V * rings[TRI + out];
          rings[TRI + out] = 0;
        }
        if (useSin) {
          rings[SIN + pos] += sin2pi(phase);
          sinOut[i] = OUT_V * rings[SIN + out];
          rings[SIN + out] = 0;
        }
        pos = (pos + 1) & MASK;
      }
    }

    state[0] = phase;
    state[1] = lastPitchV;
    state[2] = baseHz;
    state[3] = lastSync;
    this.pos = pos;
  }
}

export const Vco = defineModule(spec, {
  type: 'vco',
  version: 1,
  title: 'VCO',
  category: 'source',
  boundedOutputs: true,
  poly: ['pitch'],
  doc:
    'Band-limited oscillator with sine, triangle, saw and pulse outputs (±5 V). Pitch is 1 V/oct (0 V = C4 = 261.63 Hz) ' +
    'plus coarse and fine; exponential FM adds to the pitch, linear FM scales the frequency and may pass through zero ' +
    '(the waveform then runs backwards). Hard sync on rising zero crossings. Saw and pulse are corrected with a ' +
    '32-tap linear-phase BLEP (windowed sinc, cutoff 0.42·fs), the triangle with the matching BLAMP: every alias below ' +
    '20 kHz of a 5 kHz saw at 48 kHz stays 40 dB under the fundamental. Outputs are delayed 16 samples by the BLEP. ' +
    'Per-sample processing: block-size invariant.',
  create: (ctx) => new VcoKernel(ctx),
});
