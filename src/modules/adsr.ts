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
  private level = 0;
  private target = 0; // b': the overshoot target of the running segment
  private coef = 0; // e^(−c/(T·fs))
  private end = 0; // b: where the segment stops

  constructor(ctx: InitContext) {
    this.sampleRate = ctx.sampleRate;
  }

  reset(): void {
    this.gate.reset();
    this.retrig.reset();
    this.stage = Stage.Idle;
    this.level = 0;
  }

  private begin(stage: Stage, to: number, seconds: number, curve: number): void {
    const T = clamp(seconds, 0.001, 10);
    const e = Math.exp(-curve);
    this.stage = stage;
    this.end = to;
    this.target = (to - this.level * e) / (1 - e);
    this.coef = Math.exp(-curve / (T * this.sampleRate));
  }

  process(io: IO, start: number, end: number): void {
    const gateIn = io.in.gate, retrigIn = io.in.retrig, out = io.out.env;
    const p = io.params;
    const sustain = clamp(p.sustain, 0, 1);
    const gate = this.gate, retrig = this.retrig;
    for (let i = start; i < end; i++) {
      const rising = gate.processAt(gateIn, i);
      if (rising || (gate.high && retrig.processAt(retrigIn, i))) {
        this.begin(Stage.Attack, 1, p.attack, ATTACK_CURVE);
      } else if (!gate.high && this.stage !== Stage.Idle && this.stage !== Stage.Release) {
        this.begin(Stage.Release, 0, p.release, FALL_CURVE);
      }
      if (!gate.high) retrig.reset();

      switch (this.stage) {
        case Stage.Attack: {
          const y = this.target + (this.level - this.target) * this.coef;
          if (y >= 1) {
            this.level = 1;
            if (sustain >= 1) this.stage = Stage.Sustain;
            else this.begin(Stage.Decay, sustain, p.decay, FALL_CURVE);
          } else this.level = y;
          break;
        }
        case Stage.Decay: {
          const y = this.target + (this.level - this.target) * this.coef;
          if (y <= this.end) {
            this.level = this.end;
            this.stage = Stage.Sustain;
          } else this.level = y;
          break;
        }
        case Stage.Sustain:
          this.level = sustain; // follows the knob while held
          break;
        case Stage.Release: {
          const y = this.target + (this.level - this.target) * this.coef;
          if (y <= 0) {
            this.level = 0;
            this.stage = Stage.Idle;
          } else this.level = y;
          break;
        }
        default:
          break;
      }
      out[i] = 10 * this.level;
    }
  }
}

export const Adsr = defineModule(spec, {
  type: 'adsr',
  version: 1,
  title: 'ADSR',
  category: 'envelope',
  doc:
    'Envelope generator, 0..10 V. Attack, decay and release from 1 ms to 10 s with exponential segments that end ' +
    'exactly on time (an overshoot target makes each curve land on its end level at the set time). Release and ' +
    'retriggered attacks start from the current level. Gate and retrigger use the Schmitt trigger (high ≥ 1 V, ' +
    'low ≤ 0.1 V). Per-sample: block-size invariant.',
  create: (ctx) => new AdsrKernel(ctx),
});
