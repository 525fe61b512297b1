import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp } from '../dsp/numeric';
import { GATE_HIGH_V, GATE_LOW_V } from '../dsp/schmitt';

const spec = ports({
  params: {
    attack: { unit: 's', min: 0.001, max: 10, default: 0.01, doc: 'Attack time: from the current level to 10 V.' },
    decay: { unit: 's', min: 0.001, max: 10, default: 0.1, doc: 'Decay time: from 10 V to the sustain level.' },
    sustain: { unit: 'ratio', min: 0, max: 1, default: 0.6, doc: 'Sustain level as a fraction of 10 V.' },
    release: { unit: 's', min: 0.001, max: 10, default: 0.2, doc: 'Release time: from the current level to 0 V.' },
  },
  inputs: {
    gate: { signal: 'gate', doc: 'Gate: attack on the rising edge, release on the falling edge.' },
    retrig: { signal: 'trigger', doc: 'Restarts the attack from the current level while the gate is high.' },
  },
  outputs: {
    env: { signal: 'cv', doc: 'Envelope, 0..10 V.' },
  },
});

type IO = BlockIO<typeof spec>;

const LEVEL = 0, TARGET = 1, COEF = 2, END = 3, W = 4, SUSTAIN = 5;

const enum Stage {
  Idle,
  Attack,
  Decay,
  Sustain,
  Release,
}

/** Curvature of each segment: time constants per segment length (larger = more exponential). */
const ATTACK_CURVE = 1.5;
const FALL_CURVE = 4.6; // the curve would reach 1 % of its span at the segment's end without the overshoot
const E_ATTACK = Math.exp(-ATTACK_CURVE);
const E_FALL = Math.exp(-FALL_CURVE);
const GATE_HIGH = GATE_HIGH_V, GATE_LOW = GATE_LOW_V;
/**
 * A segment ends when it is within END_TOL of its end level: the curve lands there exactly at its set
 * time, and the recurrence's rounding (≈ N·1e-16 after N steps) must not move the end by a sample. A
 * curve moves by more than 1e-10 per sample near its end unless it spans under 1e-3 of full scale over
 * 10 s, so this ends no segment early by more than a sample.
 */
const END_TOL = 1e-10;

/**
 * ADSR with exponential segments that end exactly on time.
 *
 * Each segment from level a to level b over T seconds follows y(t) = b' + (a − b')·e^(−c·t/T), where the
 * overshoot target b' = (b − a·e^(−c)) / (1 − e^(−c)) makes y(T) = b exactly (c = 1.5 for the attack, the
 * charging curve of an analog envelope; 4.6 for decay and release). Computed as a multiply recurrence
 * on the distance to the overshoot target, w ← w·e^(−c/(T·fs)), y = b' + w (one multiply on the
 * loop-carried chain), so every segment ends within one sample of its time.
 * Release and a retriggered attack start from the current level. Gate and retrigger are read with the
 * Schmitt trigger (≥ 1 V high, ≤ 0.1 V low). Per-sample: block-size invariant. Output 0..10 V.
 */
class AdsrKernel implements Kernel<typeof spec> {
  private readonly sampleRate: number;
  private gateHigh = false;
  private retrigHigh = false;
  private stage = Stage.Idle;
  /**
   * Segment state as unboxed doubles: LEVEL (0..1), TARGET b' (the overshoot target), COEF
   * e^(−c/(T·fs)), END b (where the segment stops), W = LEVEL − TARGET carried by the recurrence, and
   * SUSTAIN, this block's clamped sustain level (read back from here so it is a double: the clamp can
   * yield the small integers 0 and 1, and the merged value left V8 boxing a double per block). In a
   * Float64Array because fields that receive both small integers and fractions stay tagged in V8, and
   * every store would allocate.
   */
  private readonly st = new Float64Array(6);

  constructor(ctx: InitContext) {
    this.sampleRate = ctx.sampleRate;
  }

  reset(): void {
    this.gateHigh = false;
    this.retrigHigh = false;
    this.stage = Stage.Idle;
    this.st.fill(0);
  }

  /**
   * Segment set-up happens inline in this hot loop rather than in a helper: a helper called a few times
   * a second never gets optimized, and unoptimized code boxes every double it computes. State lives in
   * locals for the loop and is stored back once.
   */
  process(io: IO, start: number, end: number): void {
    const gateIn = io.in.gate, retrigIn = io.in.retrig, out = io.out.env;
    const p = io.params;
    const st = this.st;
    st[SUSTAIN] = clamp(p.sustain, 0, 1);
    const sustain = st[SUSTAIN];
    const fs = this.sampleRate;
    // Per-sample decay factors of each segment, from this block's params.
    const attackCoef = Math.exp(-ATTACK_CURVE / (clamp(p.attack, 0.001, 10) * fs));
    const decayCoef = Math.exp(-FALL_CURVE / (clamp(p.decay, 0.001, 10) * fs));
    const releaseCoef = Math.exp(-FALL_CURVE / (clamp(p.release, 0.001, 10) * fs));
    const decayTarget = (sustain - E_FALL) / (1 - E_FALL);
    const retrigOn = io.connected.retrig;
    let level = st[LEVEL], target = st[TARGET], coef = st[COEF], stop = st[END], w = st[W];
    let stage = this.stage, gateHigh = this.gateHigh;
    // An unpatched retrigger reads 0 V: its trigger is low from the first sample on and never fires.
    let retrigHigh = retrigOn ? this.retrigHigh : false;
    for (let i = start; i < end; i++) {
      if (!retrigOn) {
        // Runs of samples where the gate keeps its state: the steps of the general sample below,
        // without its trigger and stage dispatch (with a retrigger patched, every sample takes it).
        // Each loop stops at the first sample that changes the gate or ends the segment, before changing
        // anything for it: that sample goes through the general step, which owns every transition.
        if (gateHigh) {
          if (stage === Stage.Sustain) {
            const v = 10 * sustain;
            level = sustain;
            while (i < end && gateIn[i] > GATE_LOW) out[i++] = v;
          } else if (stage === Stage.Decay) {
            while (i < end && gateIn[i] > GATE_LOW) {
              const wn = w * coef, y = target + wn;
              if (y <= stop + END_TOL) break; // the segment ends here: the general step takes this sample
              w = wn;
              level = y;
              out[i++] = 10 * level;
            }
          } else if (stage === Stage.Attack) {
            while (i < end && gateIn[i] > GATE_LOW) {
              const wn = w * coef, y = target + wn;
              if (y >= 1 - END_TOL) break;
              w = wn;
              level = y;
              out[i++] = 10 * level;
            }
          }
        } else if (stage === Stage.Release) {
          while (i < end && !(gateIn[i] >= GATE_HIGH)) {
            const wn = w * coef, y = target + wn;
            if (y <= END_TOL) break;
            w = wn;
            level = y;
            out[i++] = 10 * level;
          }
        } else if (stage === Stage.Idle) {
          const v = 10 * level;
          while (i < end && !(gateIn[i] >= GATE_HIGH)) out[i++] = v;
        }
        if (i >= end) break;
      }
      // Schmitt triggers, written out (SchmittTrigger.processAt).
      const g = gateIn[i];
      let rising = false;
      if (gateHigh) {
        if (!(g > GATE_LOW)) gateHigh = false;
      } else if (g >= GATE_HIGH) {
        gateHigh = rising = true;
      }
      let retrigFired = false;
      if (retrigOn && !rising && gateHigh) {
        const r = retrigIn[i];
        if (retrigHigh) {
          if (!(r > GATE_LOW)) retrigHigh = false;
        } else if (r >= GATE_HIGH) {
          retrigHigh = retrigFired = true;
        }
      }
      if (rising || retrigFired) {
        stage = Stage.Attack;
        stop = 1;
        target = (1 - level * E_ATTACK) / (1 - E_ATTACK);
        coef = attackCoef;
        w = level - target;
      } else if (!gateHigh && stage !== Stage.Idle && stage !== Stage.Release) {
        stage = Stage.Release;
        stop = 0;
        target = (0 - level * E_FALL) / (1 - E_FALL);
        coef = releaseCoef;
        w = level - target;
      }
      if (!gateHigh) retrigHigh = false;

      if (stage === Stage.Attack) {
        w *= coef;
        const y = target + w;
        if (y >= 1 - END_TOL) {
          level = 1;
          if (sustain >= 1) stage = Stage.Sustain;
          else {
            stage = Stage.Decay;
            stop = sustain;
            target = decayTarget;
            coef = decayCoef;
            w = 1 - target;
          }
        } else level = y;
      } else if (stage === Stage.Decay) {
        w *= coef;
        const y = target + w;
        if (y <= stop + END_TOL) {
          level = stop;
          stage = Stage.Sustain;
        } else level = y;
      } else if (stage === Stage.Sustain) {
        level = sustain; // follows the knob while held
      } else if (stage === Stage.Release) {
        w *= coef;
        const y = target + w;
        if (y <= END_TOL) {
          level = 0;
          stage = Stage.Idle;
        } else level = y;
      }
      out[i] = 10 * level;
    }
    st[LEVEL] = level;
    st[TARGET] = target;
    st[COEF] = coef;
    st[END] = stop;
    st[W] = w;
    this.stage = stage;
    this.gateHigh = gateHigh;
    this.retrigHigh = retrigHigh;
  }
}

export const Adsr = defineModule(spec, {
  type: 'adsr',
  version: 1,
  title: 'ADSR',
  category: 'envelope',
  boundedOutputs: true,
  poly: ['gate'],
  doc:
    'Envelope generator, 0..10 V. Attack, decay and release from 1 ms to 10 s with exponential segments that end ' +
    'exactly on time (an overshoot target makes each curve land on its end level at the set time). Release and ' +
    'retriggered attacks start from the current level. Gate and retrigger use the Schmitt trigger (high ≥ 1 V, ' +
    'low ≤ 0.1 V). Per-sample: block-size invariant.',
  create: (ctx) => new AdsrKernel(ctx),
});
