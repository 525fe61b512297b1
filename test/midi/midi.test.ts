/**
 * MIDI: files to timed events, the midi-cv module's contract (note 69 → 0.75 V, velocity × 10/127 V,
 * voice allocation, last-note priority, sustain), and a 16-note polyphonic file rendered through
 * `modsynth render --midi`, with each note's pitch, start and end verified in the output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeMidi } from 'midi-file';
import { makeBlockIO, makeParams } from '../../src/sdk/block-io';
import { MidiCv } from '../../src/modules/midi-cv';
import type { AnyModule } from '../../src/sdk/module-api';
import { packMidi } from '../../src/midi/message';
import { parseMidiSequence } from '../../src/midi/file';
import { readWav } from '../../src/io/wav';
import { modsynth } from '../support/cli';
import { amplitudeAt } from '../support/analysis';

const SR = 48000;
const tmp = mkdtempSync(join(tmpdir(), 'modsynth-midi-'));

interface Note {
  note: number;
  velocity: number;
  /** In ticks (480 per beat at 120 BPM: one tick is 1/960 s, 50 frames at 48 kHz). */
  on: number;
  off: number;
}

const TICK_FRAMES = SR / 960;

function midiFile(notes: Note[], file: string): void {
  const evs: { tick: number; e: Record<string, unknown> }[] = [];
  for (const n of notes) {
    evs.push({ tick: n.on, e: { type: 'noteOn', channel: 0, noteNumber: n.note, velocity: n.velocity } });
    evs.push({ tick: n.off, e: { type: 'noteOff', channel: 0, noteNumber: n.note, velocity: 0 } });
  }
  evs.sort((a, b) => a.tick - b.tick);
  let last = 0;
  const track = [
    { deltaTime: 0, meta: true, type: 'setTempo', microsecondsPerBeat: 500000 },
    ...evs.map(({ tick, e }) => {
      const d = tick - last;
      last = tick;
      return { deltaTime: d, ...e };
    }),
    { deltaTime: 0, meta: true, type: 'endOfTrack' },
  ];
  const bytes = writeMidi({ header: { format: 0, numTracks: 1, ticksPerBeat: 480 }, tracks: [track] } as unknown as Parameters<typeof writeMidi>[0]);
  writeFileSync(file, Buffer.from(bytes));
}

function patchFile(name: string, modules: unknown[], cables: unknown[]): string {
  const file = join(tmp, `${name}.json`);
  writeFileSync(file, JSON.stringify({ format: 'modsynth-patch', version: 1, modules, cables }));
  return file;
}

/** A midi-cv kernel driven by hand: send events, run samples, read an output channel (sample 0 of the last block). */
function driven(voices: number, params: Record<string, number> = {}) {
  const B = 64;
  const desc: AnyModule = MidiCv;
  const kernel = desc.create({ sampleRate: SR, seed: 1, maxBlock: B });
  const chans = Object.keys(desc.outputs).map((_, k) => (k < 4 ? voices : 1));
  const outs = chans.map((c) => new Float32Array(B * c));
  const io = makeBlockIO(desc, [], outs, makeParams(desc, { voices, ...params }), [], outs.map(() => true), { inChannels: [], outChannels: chans, blockSize: B });
  let frame = 0;
  return {
    send: (s: number, a: number, b: number) => kernel.event!(packMidi(s, a, b), io),
    run: () => {
      kernel.process(io, 0, B, frame);
      frame += B;
    },
    read: (port: number, ch = 0) => outs[port][ch * B],
  };
}

test('midi-cv: note 69 is 0.75 V, note 60 is 0 V; velocity is v × 10/127 V; gate 10 V until note-off; bend ±2 semitones', () => {
  let k = driven(1);
  k.send(0x90, 69, 100);
  k.run();
  assert.equal(k.read(0), Math.fround(0.75));
  assert.equal(k.read(1), 10);
  assert.equal(k.read(2), Math.fround(1000 / 127));
  assert.equal(k.read(3), 10, 'retrigger pulse');
  k = driven(1);
  k.send(0x90, 60, 127);
  k.send(0xe0, 0x7f, 0x7f); // bend fully up: +2 semitones
  k.run();
  assert.ok(Math.abs(k.read(0) - (8191 / 8192) * (2 / 12)) < 1e-6, `bend: ${k.read(0)}`);
  assert.equal(k.read(2), 10);
  k = driven(1);
  k.send(0x90, 60, 64);
  k.run();
  k.send(0x80, 60, 0);
  k.run();
  assert.equal(k.read(1), 0, 'gate low after note-off');
  assert.equal(k.read(0), 0, 'pitch held after note-off (for the release)');
  assert.equal(k.read(3), 0, 'the retrigger pulse lasts 1 ms (48 samples)');
});

test('midi-cv mono: last-note priority, back to the previous held key (legato); sustain holds the gate until the pedal lifts', () => {
  const k = driven(1);
  k.send(0x90, 60, 100);
  k.send(0x90, 64, 100);
  k.run();
  assert.equal(k.read(0), Math.fround(4 / 12));
  k.send(0x80, 64, 0);
  k.run();
  assert.equal(k.read(0), 0, 'back to C4');
  assert.equal(k.read(1), 10, 'legato: gate stays high');
  k.send(0xb0, 64, 127); // pedal down
  k.send(0x80, 60, 0);
  k.run();
  assert.equal(k.read(1), 10, 'sustained');
  k.send(0xb0, 64, 0);
  k.run();
  assert.equal(k.read(1), 0, 'released with the pedal');
});

test('midi-cv poly: rotate takes the next free voice; a re-struck key keeps its voice; the oldest note is stolen when all sound; channel filter', () => {
  const k = driven(4);
  for (const n of [60, 62, 64, 65]) k.send(0x90, n, 100);
  k.run();
  assert.deepEqual([0, 1, 2, 3].map((c) => Math.round(k.read(0, c) * 12 + 60)), [60, 62, 64, 65]);
  k.send(0x90, 62, 50); // re-struck: stays on voice 1
  k.run();
  assert.equal(k.read(2, 1), Math.fround(500 / 127));
  k.send(0x90, 67, 100); // all four sound: steal the oldest (60, voice 0)
  k.run();
  assert.equal(Math.round(k.read(0, 0) * 12 + 60), 67);
  k.send(0x80, 64, 0); // frees voice 2
  k.send(0x90, 69, 100);
  k.run();
  assert.equal(Math.round(k.read(0, 2) * 12 + 60), 69);
  // Following MIDI channel 1: a note on channel 2 is ignored.
  const c1 = driven(1, { channel: 1 });
  c1.send(0x91, 72, 100);
  c1.run();
  assert.equal(c1.read(1), 0);
  c1.send(0x90, 72, 100);
  c1.run();
  assert.equal(c1.read(1), 10);
});

test('MIDI files: tempo changes map ticks to frames; bad files name the problem', () => {
  const track = [
    { deltaTime: 0, type: 'setTempo', meta: true, microsecondsPerBeat: 1_000_000 },
    { deltaTime: 480, type: 'noteOn', channel: 3, noteNumber: 69, velocity: 90 }, // 1 s at 60 BPM
    { deltaTime: 0, type: 'setTempo', meta: true, microsecondsPerBeat: 250_000 },
    { deltaTime: 480, type: 'noteOff', channel: 3, noteNumber: 69, velocity: 0 }, // +0.25 s at 240 BPM
    { deltaTime: 0, type: 'endOfTrack', meta: true },
  ];
  const bytes = writeMidi({ header: { format: 0, numTracks: 1, ticksPerBeat: 480 }, tracks: [track] } as unknown as Parameters<typeof writeMidi>[0]);
  const seq = parseMidiSequence(Uint8Array.from(bytes), SR);
  assert.deepEqual(seq.events, [
    { frame: SR, data: packMidi(0x93, 69, 90) },
    { frame: SR * 1.25, data: packMidi(0x83, 69, 0) },
  ]);
  assert.equal(seq.seconds, 1.25);
  assert.throws(() => parseMidiSequence(Uint8Array.from([1, 2, 3, 4]), SR, 'x.mid'), /x\.mid: not a standard MIDI file/);
});

// 16 notes, staggered so that every start and end falls on its own frame, all 16 sounding together
// in the middle (16 voices).
const NOTES: Note[] = Array.from({ length: 16 }, (_, k) => ({
  note: 48 + 2 * k,
  velocity: 40 + 5 * k,
  on: 37 * k + 10,
  off: 37 * 16 + 200 + 41 * k + 3 * (k % 5),
}));

test('a 16-note polyphonic MIDI file: each note starts and ends on its exact sample (gates), at its pitch and velocity', () => {
  const mid = join(tmp, 'sixteen.mid');
  midiFile(NOTES, mid);
  const gates = patchFile('gates', [
    { id: 'keys', type: 'midi-cv', params: { voices: 16 } },
    { id: 'g', type: 'sum', params: { level: 0.025 } },
    { id: 'v', type: 'sum', params: { level: 0.01 } },
    { id: 'out', type: 'output' },
  ], [
    { from: 'keys.gate', to: 'g.in' },
    { from: 'keys.velocity', to: 'v.in' },
    { from: 'g.out', to: 'out.left' },
    { from: 'v.out', to: 'out.right' },
  ]);
  const wav = join(tmp, 'gates.wav');
  const r = modsynth(['render', gates, '--midi', mid, '--out', wav, '--format', '32f', '-q']);
  assert.equal(r.status, 0, r.stderr);
  const [l, rt] = readWav(wav).channels;
  const single = join(tmp, 'gates-1.wav');
  assert.equal(modsynth(['render', gates, '--midi', mid, '--out', single, '--format', '32f', '-q', '--workers', '0', '--block', '48']).status, 0);
  assert.deepEqual(readWav(single).channels[0], l, 'single-threaded at block 48: the same samples');
  const end = Math.max(...NOTES.map((n) => n.off)) * TICK_FRAMES;
  assert.equal(l.length, Math.ceil((end / SR + 2) * 10) * 4800, 'default length: the file plus 2 s');
  // Expected at every frame: 10 V × 0.025 × 0.2 per held note; velocity sum × 0.01 × 0.2.
  for (let i = 0; i < l.length; i++) {
    let held = 0, vel = 0;
    for (const n of NOTES) {
      if (i >= n.on * TICK_FRAMES && i < n.off * TICK_FRAMES) held++;
      if (i >= n.on * TICK_FRAMES) vel += (n.velocity * 10) / 127;
    }
    const want = Math.fround(held * 10 * 0.025 * 0.2);
    if (Math.abs(l[i] - want) > 1e-6) assert.fail(`frame ${i}: gates sum ${l[i]}, expected ${want} (${held} notes held)`);
    if (Math.abs(rt[i] - vel * 0.01 * 0.2) > 1e-5) assert.fail(`frame ${i}: velocity sum ${rt[i]}, expected ${vel * 0.002}`);
  }
  // Pitch: a sine per voice through a VCA opened by its gate; each note's frequency is present while it
  // is held and absent before and after.
  const tones = patchFile('tones', [
    { id: 'keys', type: 'midi-cv', params: { voices: 16 } },
    { id: 'osc', type: 'vco' },
    { id: 'amp', type: 'vca' },
    { id: 'out', type: 'output', params: { level: 0.05 } },
  ], [
    { from: 'keys.pitch', to: 'osc.pitch' },
    { from: 'osc.sin', to: 'amp.in' },
    { from: 'keys.gate', to: 'amp.cv' },
    { from: 'amp.out', to: 'out.left' },
  ]);
  const wav2 = join(tmp, 'tones.wav');
  const r2 = modsynth(['render', tones, '--midi', mid, '--out', wav2, '--format', '32f', '-q']);
  assert.equal(r2.status, 0, r2.stderr);
  const x = readWav(wav2).channels[0];
  const full = 5 * 0.2 * 0.05; // one sine at full scale × level
  for (const n of NOTES) {
    const hz = 440 * 2 ** ((n.note - 69) / 12);
    const on = n.on * TICK_FRAMES, off = n.off * TICK_FRAMES;
    const win = SR / 2; // resolves notes 2 semitones apart (16 Hz at the lowest)
    const during = amplitudeAt(x, hz, SR, off - win - 200, off - 200);
    // (Notes that start early have too short a window before them to resolve; their start is checked
    // to the sample by the gate render above.)
    const before = on >= win ? amplitudeAt(x, hz, SR, on - win, on) : 0;
    const after = amplitudeAt(x, hz, SR, off + 200, off + 200 + win);
    assert.ok(Math.abs(during - full) < 0.1 * full, `note ${n.note}: ${during.toFixed(4)} while held, want ${full}`);
    assert.ok(before < 0.1 * full && after < 0.1 * full, `note ${n.note}: ${before.toFixed(4)} before, ${after.toFixed(4)} after`);
  }
});

test('render --midi: a patch without midi-cv, or a file that is not MIDI, is a one-line error (exit 2)', () => {
  const notMidi = join(tmp, 'bad.mid');
  writeFileSync(notMidi, 'hello');
  const mid = join(tmp, 'one.mid');
  midiFile([{ note: 60, velocity: 100, on: 0, off: 100 }], mid);
  let r = modsynth(['render', 'examples/sine.json', '--midi', mid, '--out', join(tmp, 'x.wav')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /has no midi-cv module to play/);
  const p = patchFile('keys', [{ id: 'keys', type: 'midi-cv' }, { id: 'out', type: 'output' }], [{ from: 'keys.gate', to: 'out.left' }]);
  r = modsynth(['render', p, '--midi', notMidi, '--out', join(tmp, 'x.wav')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bad\.mid: not a standard MIDI file/);
});
