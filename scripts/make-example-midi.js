#!/usr/bin/env node
// Writes examples/pad.mid, the chord progression examples/pad.json plays (run from the project root):
// four bars at 72 BPM, Am9 – Fmaj7 – Cadd9 – G6sus, each chord held for a bar with its notes rolled in.
'use strict';
const { writeFileSync } = require('node:fs');
const { writeMidi } = require('midi-file');

const PPQ = 480, BAR = 4 * PPQ;
const chords = [
  [45, 57, 60, 64, 67, 71], // A2 A3 C4 E4 G4 B4
  [41, 53, 57, 60, 64, 69], // F2 F3 A3 C4 E4 A4
  [48, 55, 62, 64, 67, 74], // C3 G3 D4 E4 G4 D5
  [43, 55, 60, 62, 64, 71], // G2 G3 C4 D4 E4 B4
];
const events = [];
chords.forEach((notes, bar) => {
  notes.forEach((n, k) => {
    const on = bar * BAR + k * 40; // rolled: 40 ticks apart
    events.push({ tick: on, e: { type: 'noteOn', channel: 0, noteNumber: n, velocity: 70 + 6 * k } });
    events.push({ tick: (bar + 1) * BAR - 30, e: { type: 'noteOff', channel: 0, noteNumber: n, velocity: 0 } });
  });
});
events.sort((a, b) => a.tick - b.tick);
let last = 0;
const track = [{ deltaTime: 0, meta: true, type: 'setTempo', microsecondsPerBeat: Math.round(60e6 / 72) }];
for (const { tick, e } of events) {
  track.push({ deltaTime: tick - last, ...e });
  last = tick;
}
track.push({ deltaTime: 0, meta: true, type: 'endOfTrack' });
writeFileSync('examples/pad.mid', Buffer.from(writeMidi({ header: { format: 0, numTracks: 1, ticksPerBeat: PPQ }, tracks: [track] })));
console.log('wrote examples/pad.mid');
