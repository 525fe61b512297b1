import { defineModule, type BlockIO, type InitContext, type Kernel, type ParamSpec } from '../sdk';
import { clamp, finiteOr0 } from '../dsp/numeric';
import { SchmittTrigger } from '../dsp/schmitt';
import { Random } from '../dsp/random';

/** Steps of the sequencer. */
export const SEQ_STEPS = 16;

const stepParams: Record<string, ParamSpec> = {};
for (let k = 1; k <= SEQ_STEPS; k++) stepParams[`cv${k}`] = { unit: 'V', min: -10, max: 10, default: 0, doc: `CV of step ${k}.` };
for (let k = 1; k <= SEQ_STEPS; k++) stepParams[`gate${k}`] = { unit: 'enum', min: 0, max: 1, default: 1, choices: ['off', 'on'], doc: `Gate of step ${k}.` };

const spec = {
  params: {
    length: { unit: 'enum', min: 1, max: 16, default: 8, choices: Array.from({ length: 16 }, (_, k) => `${k + 1} steps`), doc: 'Steps played (1..16).' },
    direction: { unit: 'enum', min: 0, max: 3, default: 0, choices: ['forward', 'backward', 'pingpong', 'random'], doc: 'Order of the steps (random: seeded, repeats with the patch).' },
    ...stepParams,
  } as Record<string, ParamSpec>,
  inputs: {
    clock: { signal: 'trigger', doc: 'Each rising edge moves to the next step.' },
    reset: { signal: 'trigger', doc: 'Back to the start: the next clock edge plays the first step.' },
  },
  outputs: {
    cv: { signal: 'pitch', doc: 'CV of the current step (held between clocks).' },
    gate: { signal: 'gate', doc: 'High while the clock input is high, on steps whose gate is on.' },
    trig: { signal: 'trigger', doc: '1 ms, 10 V pulse on each step change whose gate is on.' },
    eoc: { signal: 'trigger', doc: '1 ms, 10 V pulse when the sequence wraps (end of cycle).' },
  },
} as const;

type IO = BlockIO<typeof spec>;

type StepParams = { readonly [K in `cv${number}` | `gate${number}`]: number };

/**
 * Copies the step params into typed arrays, once per block. Written out with literal names: reading
 * them through computed keys made V8 box values on some call paths (measured: 256 bytes per block).
 */
function readSteps(p: StepParams, cvs: Float64Array, gates: Uint8Array): void {
  cvs[0] = clamp(finiteOr0(p.cv1), -10, 10);
  cvs[1] = clamp(finiteOr0(p.cv2), -10, 10);
  cvs[2] = clamp(finiteOr0(p.cv3), -10, 10);
  cvs[3] = clamp(finiteOr0(p.cv4), -10, 10);
  cvs[4] = clamp(finiteOr0(p.cv5), -10, 10);
  cvs[5] = clamp(finiteOr0(p.cv6), -10, 10);
  cvs[6] = clamp(finiteOr0(p.cv7), -10, 10);
  cvs[7] = clamp(finiteOr0(p.cv8), -10, 10);
  cvs[8] = clamp(finiteOr0(p.cv9), -10, 10);
  cvs[9] = clamp(finiteOr0(p.cv10), -10, 10);
  cvs[10] = clamp(finiteOr0(p.cv11), -10, 10);
  cvs[11] = clamp(finiteOr0(p.cv12), -10, 10);
  cvs[12] = clamp(finiteOr0(p.cv13), -10, 10);
  cvs[13] = clamp(finiteOr0(p.cv14), -10, 10);
  cvs[14] = clamp(finiteOr0(p.cv15), -10, 10);
  cvs[15] = clamp(finiteOr0(p.cv16), -10, 10);
  gates[0] = p.gate1 >= 0.5 ? 1 : 0;
  gates[1] = p.gate2 >= 0.5 ? 1 : 0;
  gates[2] = p.gate3 >= 0.5 ? 1 : 0;
  gates[3] = p.gate4 >= 0.5 ? 1 : 0;
  gates[4] = p.gate5 >= 0.5 ? 1 : 0;
  gates[5] = p.gate6 >= 0.5 ? 1 : 0;
  gates[6] = p.gate7 >= 0.5 ? 1 : 0;
  gates[7] = p.gate8 >= 0.5 ? 1 : 0;
  gates[8] = p.gate9 >= 0.5 ? 1 : 0;
  gates[9] = p.gate10 >= 0.5 ? 1 : 0;
  gates[10] = p.gate11 >= 0.5 ? 1 : 0;
  gates[11] = p.gate12 >= 0.5 ? 1 : 0;
  gates[12] = p.gate13 >= 0.5 ? 1 : 0;
  gates[13] = p.gate14 >= 0.5 ? 1 : 0;
  gates[14] = p.gate15 >= 0.5 ? 1 : 0;
  gates[15] = p.gate16 >= 0.5 ? 1 : 0;
}

/**
 * Step sequencer, 1..16 steps of CV and gate. Before the first clock edge (and after a reset) it sits
 * before step 1: cv holds step 1's value, no gate; the first rising clock edge plays step 1, and every
 * further edge the next step in the chosen direction (pingpong turns at the ends without repeating
 * them; random draws from a seeded generator). Steps change exactly on the sample of the clock edge.
 */
class SeqKernel implements Kernel<typeof spec> {
  private readonly clockTrig = new SchmittTrigger();
  private readonly resetTrig = new SchmittTrigger();
  /** The step params, copied once per block (per-sample reads then touch only typed arrays). */
  private readonly cvs = new Float64Array(SEQ_STEPS);
  private readonly gates = new Uint8Array(SEQ_STEPS);
  private readonly pulseSamples: number;
  private rng: Random;
  /** -1: before the first step. */
  private step = -1;
  private forward = true;
  private trigLeft = 0;
  private eocLeft = 0;

  constructor(private readonly ctx: InitContext) {
    this.pulseSamples = Math.max(1, Math.round(0.001 * ctx.sampleRate));
    this.rng = new Random(ctx.seed);
  }

  reset(): void {
    this.clockTrig.reset();
    this.resetTrig.reset();
    this.rng = new Random(this.ctx.seed);
    this.step = -1;
    this.forward = true;
    this.trigLeft = this.eocLeft = 0;
  }

  private advance(length: number, direction: number): boolean {
    const s = this.step;
    if (s < 0) {
      this.step = direction === 1 ? length - 1 : 0;
      this.forward = true;
      return false;
    }
    if (direction === 0) {
      this.step = s + 1 >= length ? 0 : s + 1;
      return this.step === 0;
    }
    if (direction === 1) {
      this.step = s - 1 < 0 || s >= length ? length - 1 : s - 1;
      return this.step === length - 1;
    }
    if (direction === 2) {
      if (length === 1) {
        this.step = 0;
        return true;
      }
      let next = this.forward ? s + 1 : s - 1;
      if (next >= length) {
        this.forward = false;
        next = length - 2;
      } else if (next < 0) {
        this.forward = true;
        next = 1;
      }
      this.step = next;
      return next === 0;
    }
    this.step = Math.min(length - 1, Math.floor(this.rng.nextFloat() * length));
    return false;
  }

  process(io: IO, start: number, end: number): void {
    const p = io.params as Record<string, number>;
    const length = Math.round(clamp(p.length, 1, SEQ_STEPS));
    const direction = Math.round(clamp(p.direction, 0, 3));
    const clockIn = io.in.clock, resetIn = io.in.reset;
    const cvOut = io.out.cv, gateOut = io.out.gate, trigOut = io.out.trig, eocOut = io.out.eoc;
    const cvs = this.cvs, gates = this.gates;
    readSteps(io.params as unknown as StepParams, cvs, gates);
    for (let i = start; i < end; i++) {
      if (this.resetTrig.processAt(resetIn, i)) this.step = -1;
      if (this.clockTrig.processAt(clockIn, i)) {
        if (this.advance(length, direction)) this.eocLeft = this.pulseSamples;
        if (gates[this.step] !== 0) this.trigLeft = this.pulseSamples;
      }
      const s = this.step < 0 ? 0 : this.step;
      cvOut[i] = cvs[s];
      gateOut[i] = this.step >= 0 && this.clockTrig.high && gates[s] !== 0 ? 10 : 0;
      trigOut[i] = this.trigLeft > 0 ? 10 : 0;
      eocOut[i] = this.eocLeft > 0 ? 10 : 0;
      if (this.trigLeft > 0) this.trigLeft--;
      if (this.eocLeft > 0) this.eocLeft--;
    }
  }
}

export const Seq = defineModule(spec, {
  type: 'seq',
  version: 1,
  title: 'Sequencer',
  category: 'sequencing',
  doc:
    'Step sequencer with 16 steps of CV (±10 V) and gate, of which `length` play, forward, backward, pingpong or random (seeded). ' +
    'It starts before step 1: the first rising clock edge plays step 1, and reset returns there. Steps change on the exact sample of the ' +
    'clock edge; the gate output follows the clock while the step\'s gate is on; trig pulses on each gated step, eoc when the sequence wraps.',
  create: (ctx) => new SeqKernel(ctx),
});
