/**
 * user/chord-osc — a polyphonic sine oscillator with a sub-octave, one voice per channel of its pitch
 * cable (VCV Rack's polyphony: a 4-channel pitch cable plays 4 voices; `poly: ['pitch']`).
 *
 * Per voice: f = 261.63 Hz · 2^(pitch + tune) (1 V/oct, 0 V = C4), out = 5 V · ((1 − sub) · sin φ +
 * sub · sin(φ / 2)), the sub an octave below; the phase runs on absolute frames, so the output does
 * not depend on the block size. Each voice starts at a phase drawn from the SDK's seeded Random (so
 * stacked voices do not start in phase, and a render is still bit-identical run after run).
 */
import { defineModule, ports, Random, type BlockIO, type InitContext, type Kernel } from 'modsynth/sdk';

const C4 = 261.6255653005986;
const TWO_PI = 2 * Math.PI;

const spec = ports({
  params: {
    tune: { unit: 'V/oct', min: -4, max: 4, default: 0, doc: 'pitch offset, 1 V/oct' },
    sub: { unit: 'ratio', min: 0, max: 1, default: 0.3, doc: 'level of the sub-octave sine (0 = none, 1 = only the sub)' },
  },
  inputs: {
    pitch: { signal: 'pitch', doc: '1 V/oct, one voice per channel' },
  },
  outputs: {
    out: { signal: 'audio', doc: 'one channel per voice, ±5 V' },
  },
});

class ChordOscKernel implements Kernel<typeof spec> {
  private phase: number; // of the sub, in [0, 4π): the voice is sin(phase), the sub sin(phase / 2)
  private readonly start: number;

  constructor(private readonly ctx: InitContext) {
    this.start = new Random(ctx.seed).nextFloat() * TWO_PI;
    this.phase = this.start;
  }

  process(io: BlockIO<typeof spec>, start: number, end: number): void {
    const pitch = io.in.pitch, out = io.out.out;
    const tune = io.params.tune, sub = io.params.sub;
    const inv = 1 / this.ctx.sampleRate;
    let phase = this.phase;
    for (let i = start; i < end; i++) {
      let v = pitch[i] + tune;
      v = v > 6 ? 6 : v >= -6 ? v : 0; // NaN reads as 0 V
      phase += TWO_PI * C4 * Math.pow(2, v) * inv;
      if (phase >= 2 * TWO_PI) phase -= 2 * TWO_PI;
      out[i] = 5 * ((1 - sub) * Math.sin(phase) + sub * Math.sin(phase / 2));
    }
    this.phase = phase;
  }

  reset(): void {
    this.phase = this.start;
  }
}

export default defineModule(spec, {
  type: 'chord-osc',
  version: 1,
  title: 'Chord oscillator',
  category: 'source',
  poly: ['pitch'],
  blockSizeInvariant: true,
  doc: 'Polyphonic sine oscillator with a sub-octave: one voice per channel of the pitch cable.',
  create: (ctx) => new ChordOscKernel(ctx),
});
