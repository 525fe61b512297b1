/**
 * Unit aliases. They cost nothing at run time and make signatures say what a number means.
 * Cables always carry volts (VCV Rack standard): audio ±5 V, unipolar CV 0..10 V, bipolar CV ±5 V,
 * pitch 1 V/oct with 0 V = C4, gates 10 V.
 */
export type Volts = number;
export type Hz = number;
export type Seconds = number;
export type Samples = number;
export type Decibels = number;
/** Cycles per sample (frequency / sample rate). */
export type CyclesPerSample = number;
