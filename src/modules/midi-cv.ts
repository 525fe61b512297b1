import { defineModule, MAX_CHANNELS, ports, type BlockIO, type InitContext, type Kernel } from '../sdk';
import { clamp } from '../dsp/numeric';
import { GATE_ON_V } from '../dsp/schmitt';

const spec = ports({
  params: {
    voices: {
      unit: 'count', min: 1, max: MAX_CHANNELS, default: 1, structural: true,
      doc: 'Polyphony: channels of pitch, gate, velocity and retrig (1 = monophonic, last-note priority). Changing it rebuilds the plan.',
    },
    channel: { unit: 'count', min: 0, max: 16, default: 0, doc: 'MIDI channel to follow, 1..16; 0 = every channel (omni).' },
    allocation: {
      unit: 'enum', min: 0, max: 2, default: 0, choices: ['rotate', 'reuse', 'reset'],
      doc: 'Which free voice a new note takes: the next one after the last used, the one that last played the same note, or the lowest.',
    },
    bendRange: { unit: 'semitones', min: 0, max: 24, default: 2, doc: 'Pitch-bend range, added to every voice\'s pitch.' },
  },
  inputs: {},
  outputs: {
    pitch: { signal: 'pitch', doc: '1 V/oct: (note − 60) / 12 V plus bend, so note 60 (C4) is 0 V and note 69 (A4) is 0.75 V.' },
    gate: { signal: 'gate', doc: '10 V while the note is held (or sustained by CC 64), else 0 V.' },
    velocity: { signal: 'cv', doc: 'Note-on velocity × 10/127 V (0..10 V), held after the note ends.' },
    retrig: { signal: 'trigger', doc: '1 ms 10 V pulse at every note-on (also when a held voice is re-struck or stolen).' },
    bend: { signal: 'cv', doc: 'Pitch wheel, ±5 V (mono).' },
    mod: { signal: 'cv', doc: 'Mod wheel (CC 1), 0..10 V (mono).' },
  },
});

type IO = BlockIO<typeof spec>;

const TRIGGER_SECONDS = 0.001;
const NO_NOTE = -1;

/**
 * MIDI to CV. Events arrive through Kernel.event at their exact frame (the engine splits the block
 * there), so note timing is sample-accurate and independent of the block size. `process` only writes
 * the current state, plus the 1 ms retrigger pulses.
 *
 * Polyphonic (voices > 1): a note-on takes a free voice (by `allocation`); when every voice is
 * sounding, the oldest note is stolen. Monophonic (voices = 1): last-note priority over the held
 * keys; releasing the newest key returns to the previous one held (legato: the gate stays high).
 * CC 64 (sustain) holds released notes until the pedal lifts; CC 120 and 123 release everything.
 * All state lives in typed arrays sized at creation: no allocation on the audio path.
 */
class MidiCvKernel implements Kernel<typeof spec> {
  private readonly note = new Int16Array(MAX_CHANNELS).fill(NO_NOTE);
  /** Key held down (gate from the key itself). */
  private readonly down = new Uint8Array(MAX_CHANNELS);
  /** Released while the sustain pedal was down: the gate stays high until the pedal lifts. */
  private readonly sustained = new Uint8Array(MAX_CHANNELS);
  private readonly velocity = new Float32Array(MAX_CHANNELS);
  /** Note-on order of each voice (for stealing the oldest). */
  private readonly age = new Float64Array(MAX_CHANNELS);
  private readonly trig = new Int32Array(MAX_CHANNELS);
  /** Monophonic mode: keys held, oldest first. */
  private readonly stack = new Int16Array(128);
  private readonly state = new Float64Array(5); // [stackSize, lastVoice, ageCounter, bendV, modV]
  private pedal = false;
  private voices = 1;
  private readonly trigSamples: number;

  constructor(ctx: InitContext) {
    this.trigSamples = Math.max(1, Math.round(TRIGGER_SECONDS * ctx.sampleRate));
    this.reset();
  }

  reset(): void {
    this.note.fill(NO_NOTE);
    this.down.fill(0);
    this.sustained.fill(0);
    this.velocity.fill(0);
    this.age.fill(0);
    this.trig.fill(0);
    this.state.fill(0);
    this.state[1] = -1;
    this.pedal = false;
  }

  /** MIDI message packed by packMidi. Audio path: no allocation. */
  event(data: number, io: IO): void {
    const status = data & 0xff, d1 = (data >> 8) & 0x7f, d2 = (data >> 16) & 0x7f;
    this.voices = io.outChannels[0];
    this.allocation = Math.round(io.params.allocation);
    const want = Math.round(io.params.channel);
    if (want >= 1 && (status & 0x0f) + 1 !== want) return;
    const kind = status & 0xf0;
    if (kind === 0x90 && d2 > 0) this.noteOn(d1, d2);
    else if (kind === 0x80 || kind === 0x90) this.noteOff(d1);
    else if (kind === 0xe0) this.state[3] = clamp(((d1 | (d2 << 7)) - 8192) / 8192, -1, 1) * 5;
    else if (kind === 0xb0) this.controller(d1, d2);
  }

  private allocation = 0;

  private noteOn(n: number, vel: number): void {
    const v = this.voices === 1 ? this.monoOn(n) : this.pickVoice(n);
    this.note[v] = n;
    this.down[v] = 1;
    this.sustained[v] = 0;
    this.velocity[v] = (vel * 10) / 127;
    this.age[v] = ++this.state[2];
    this.trig[v] = this.trigSamples;
    this.state[1] = v;
  }

  private monoOn(n: number): number {
    const st = this.stack;
    let size = this.state[0];
    // Move n to the top of the held keys.
    let j = 0;
    for (let i = 0; i < size; i++) if (st[i] !== n) st[j++] = st[i];
    size = j;
    if (size < st.length) st[size++] = n;
    this.state[0] = size;
    return 0;
  }

  private pickVoice(n: number): number {
    const count = this.voices;
    // A key already sounding on a voice is re-struck there.
    for (let v = 0; v < count; v++) if (this.note[v] === n && (this.down[v] || this.sustained[v])) return v;
    const free = (v: number) => !this.down[v] && !this.sustained[v];
    if (this.allocation === 1) {
      for (let v = 0; v < count; v++) if (free(v) && this.note[v] === n) return v;
    }
    if (this.allocation === 2) {
      for (let v = 0; v < count; v++) if (free(v)) return v;
    } else {
      const last = this.state[1];
      for (let k = 1; k <= count; k++) {
        const v = (last + k + count) % count;
        if (free(v)) return v;
      }
    }
    // Every voice sounds: steal the oldest.
    let oldest = 0;
    for (let v = 1; v < count; v++) if (this.age[v] < this.age[oldest]) oldest = v;
    return oldest;
  }

  private noteOff(n: number): void {
    if (this.voices === 1) {
      const st = this.stack;
      let size = this.state[0], j = 0;
      for (let i = 0; i < size; i++) if (st[i] !== n) st[j++] = st[i];
      size = j;
      this.state[0] = size;
      if (this.note[0] !== n) return; // a key below the sounding one
      if (size > 0) {
        this.note[0] = st[size - 1]; // back to the previous key, legato
        return;
      }
    }
    for (let v = 0; v < this.voices; v++) {
      if (this.note[v] !== n || !this.down[v]) continue;
      this.down[v] = 0;
      if (this.pedal) this.sustained[v] = 1;
    }
  }

  private controller(cc: number, value: number): void {
    if (cc === 1) this.state[4] = (value * 10) / 127;
    else if (cc === 64) {
      this.pedal = value >= 64;
      if (!this.pedal) this.sustained.fill(0);
    } else if (cc === 120 || cc === 123) {
      this.down.fill(0);
      this.sustained.fill(0);
      this.state[0] = 0;
    }
  }

  process(io: IO, start: number, end: number): void {
    const B = io.blockSize, n = io.outChannels[0];
    this.voices = n;
    const bendV = this.state[3];
    const bendOct = (bendV / 5) * (clamp(io.params.bendRange, 0, 24) / 12);
    const pitch = io.out.pitch, gate = io.out.gate, vel = io.out.velocity, retrig = io.out.retrig;
    for (let v = 0, base = 0; v < n; v++, base += B) {
      const note = this.note[v];
      const p = (note === NO_NOTE ? 0 : (note - 60) / 12) + bendOct;
      const g = this.down[v] || this.sustained[v] ? GATE_ON_V : 0;
      const ve = this.velocity[v];
      let t = this.trig[v];
      for (let i = base + start; i < base + end; i++) {
        pitch[i] = p;
        gate[i] = g;
        vel[i] = ve;
        retrig[i] = t > 0 ? GATE_ON_V : 0;
        if (t > 0) t--;
      }
      this.trig[v] = t;
    }
    const bend = io.out.bend, mod = io.out.mod, modV = this.state[4];
    for (let i = start; i < end; i++) {
      bend[i] = bendV;
      mod[i] = modV;
    }
  }
}

export const MidiCv = defineModule(spec, {
  type: 'midi-cv',
  version: 1,
  title: 'MIDI to CV',
  category: 'io',
  midi: true,
  channels: (_inputs, params) => {
    const v = Math.max(1, Math.min(MAX_CHANNELS, Math.round(params.voices)));
    return [v, v, v, v, 1, 1];
  },
  doc:
    'MIDI notes to 1 V/oct pitch, gate, velocity and retrigger, with `voices` channels of polyphony (voice allocation: a free ' +
    'voice by `allocation`, else the oldest note is stolen; monophonic: last-note priority, legato). Fed by ' +
    '`render`/`play --midi FILE.mid`, `play --midi-in` (a live MIDI input) or OSC `/midi`. Events land on their exact ' +
    'sample. Pitch wheel (±bendRange semitones), mod wheel (CC 1), sustain (CC 64), all notes off (CC 120/123).',
  create: (ctx) => new MidiCvKernel(ctx),
});
