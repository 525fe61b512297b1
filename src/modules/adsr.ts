import { defineModule, ports, type BlockIO, type InitContext, type Kernel } from '../engine/module-api';
import { clamp } from '../dsp/numeric';
import { SchmittTrigger } from '../dsp/schmitt';

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

const LEVEL = 0, TARGET = 1, COEF = 2, END = 3;

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

/**
 * ADSR with exponential segments that end exactly on time.
 *
 * Each segment from level a to level b over T seconds follows y(t) = b' + (a − b')·e^(−c·t/T), where the
 * overshoot target b' = (b − a·e^(−c)) / (1 − e^(−c)) makes y(T) = b exactly (c = 1.5 for the attack, the
 * charging curve of an analog envelope; 4.6 for decay and release). Computed by the exact one-step
 * recursion y ← b' + (y − b')·e^(−c/(T·fs)), so every segment ends within one sample of its time.
 * Release and a retriggered attack start from the current level. Gate and retrigger are read with the
 * Schmitt trigger (≥ 1 V high, ≤ 0.1 V low). Per-sample: block-size invariant. Output 0..10 V.
 */
class AdsrKernel implements Kernel<typeof spec> {
  private readonly sampleRate: number;
  private readonly gate = new SchmittTrigger();
  private readonly retrig = new SchmittTrigger();
  private stage = Stage.Idle;
  /**
   * Segment state as unboxed doubles: LEVEL (0..1), TARGET b' (the overshoot target), COEF
   * e^(−c/(T·fs)), END b (where the segment stops). In a Float64Array because fields that receive both
   * small integers and fractions stay tagged in V8, and every store would allocate.
   */
  private readonly st = new Float64Array(4);

  constructor(ctx: InitContext) {
    this.sampleRate = ctx.sampleRate;
  }

  reset(): void {
    this.gate.reset();
    this.retrig.reset();
    this.stage = Stage.Idle;
    this.st.fill(0);
  }

  /**
   * Segment set-up happens inline in this hot loop rather than in a helper: a helper called a few times
   * a second never gets optimized, and unoptimized code boxes every double it computes.
   */
  process(io: IO, start: number, end: number): void {
    const gateIn = io.in.gate, retrigIn = io.in.retrig, out = io.out.env;
    const p = io.params;
    const sustain = clamp(p.sustain, 0, 1);
    const fs = this.sampleRate;
    // Per-sample decay factors of each segment, from this block's params.
    const attackCoef = Math.exp(-ATTACK_CURVE / (clamp(p.attack, 0.001, 10) * fs));
    const decayCoef = Math.exp(-FALL_CURVE / (clamp(p.decay, 0.001, 10) * fs));
    const releaseCoef = Math.exp(-FALL_CURVE / (clamp(p.release, 0.001, 10) * fs));
    const gate = this.gate, retrig = this.retrig, st = this.st;
    for (let i = start; i < end; i++) {
      const rising = gate.processAt(gateIn, i);
      let to = -1, coef = 0, e = 0;
      if (rising || (gate.high && retrig.processAt(retrigIn, i))) {
        this.stage = Stage.Attack;
        to = 1;
        coef = attackCoef;
        e = E_ATTACK;
      } else if (!gate.high && this.stage !== Stage.Idle && this.stage !== Stage.Release) {
        this.stage = Stage.Release;
        to = 0;
        coef = releaseCoef;
        e = E_FALL;
      }
      if (!gate.high) retrig.reset();
      if (to >= 0) {
        st[END] = to;
        st[TARGET] = (to - st[LEVEL] * e) / (1 - e);
        st[COEF] = coef;
      }

      switch (this.stage) {
        case Stage.Attack: {
          const y = st[TARGET] + (st[LEVEL] - st[TARGET]) * st[COEF];
          if (y >= 1) {
            st[LEVEL] = 1;
            if (sustain >= 1) this.stage = Stage.Sustain;
            else {
              this.stage = Stage.Decay;
              st[END] = sustain;
              st[TARGET] = (sustain - E_FALL) / (1 - E_FALL);
              st[COEF] = decayCoef;
            }
          } else st[LEVEL] = y;
          break;
        }
        case Stage.Decay: {
          const y = st[TARGET] + (st[LEVEL] - st[TARGET]) * st[COEF];
          if (y <= st[END]) {
            st[LEVEL] = st[END];
            this.stage = Stage.Sustain;
          } else st[LEVEL] = y;
          break;
        }
        case Stage.Sustain:
          st[LEVEL] = sustain; // follows the knob while held
          break;
        case Stage.Release: {
          const y = st[TARGET] + (st[LEVEL] - st[TARGET]) * st[COEF];
          if (y <= 0) {
            st[LEVEL] = 0;
            this.stage = Stage.Idle;
          } else st[LEVEL] = y;
          break;
        }
        default:
          break;
      }
      out[i] = 10 * st[LEVEL];
    }
  }
}

export const Adsr = defineModule(spec, {
  type: 'adsr',
  version: 1,
  title: 'ADSR',
  category: 'envelope',
  poly: ['gate'],
  doc:
    'Envelope generator, 0..10 V. Attack, decay and release from 1 ms to 10 s with exponential segments that end ' +
    'exactly on time (an overshoot target makes each curve land on its end level at the set time). Release and ' +
    'retriggered attacks start from the current level. Gate and retrigger use the Schmitt trigger (high ≥ 1 V, ' +
    'low ≤ 0.1 V). Per-sample: block-size invariant.',
  create: (ctx) => new AdsrKernel(ctx),
});
