import type { Hz, Volts } from './units';

/** C4 in Hz with A4 = 440 Hz and twelve-tone equal temperament: 440 · 2^(−9/12). */
export const C4_HZ: Hz = 440 * Math.pow(2, -9 / 12); // 261.6255653…

/** 1 V/oct: 0 V = C4, +1 V = one octave up. */
export function voltsToHz(v: Volts): Hz {
  return C4_HZ * Math.pow(2, v);
}

export function hzToVolts(hz: Hz): Volts {
  return Math.log2(hz / C4_HZ);
}

/** MIDI note number → volts (note 60 = C4 = 0 V, so note 69 = A4 = 0.75 V). */
export function midiToVolts(note: number): Volts {
  return (note - 60) / 12;
}
