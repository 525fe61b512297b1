/**
 * The built-in wavetable bank: eight single-cycle waves defined by their harmonic spectra, rendered
 * band-limited by inverse FFT into mip levels (one per octave of fundamental frequency), so that a
 * table played at any pitch holds no harmonic above 0.45 × the sample rate. Built once per sample rate,
 * off the audio path, and shared by every oscillator in the process (read-only).
 */

import { fft } from './fft';

/** Samples per table (a power of two). */
export const TABLE_SIZE = 2048;
/** Highest fundamental (Hz) that mip level 0 serves; level l serves up to LEVEL0_HZ · 2^l. */
const LEVEL0_HZ = 20;
export const LEVELS = 11;
/** Harmonics are kept up to this fraction of the sample rate. */
const BAND_EDGE = 0.45;

/** The waves, in morph order. */
export const WAVES = ['sine', 'triangle', 'saw', 'square', 'pulse', 'organ', 'formant', 'buzz'] as const;

/** Sine amplitude of harmonic h (1-based) of each wave (sine phase 0, so every wave starts at 0). */
function harmonic(wave: (typeof WAVES)[number], h: number): number {
  switch (wave) {
    case 'sine':
      return h === 1 ? 1 : 0;
    case 'triangle':
      return h % 2 === 1 ? ((h % 4 === 1 ? 1 : -1) * 8) / (Math.PI * Math.PI * h * h) : 0;
    case 'saw':
      return (2 / Math.PI) * ((h % 2 === 1 ? 1 : -1) / h);
    case 'square':
      return h % 2 === 1 ? 4 / (Math.PI * h) : 0;
    case 'pulse': // 25 % duty
      return (4 / (Math.PI * h)) * Math.sin((Math.PI * h) / 4) ** 2;
    case 'organ': // drawbars 8', 4', 2 2/3', 2', 1'
      return ({ 1: 1, 2: 0.7, 3: 0.5, 4: 0.4, 8: 0.25 } as Record<number, number>)[h] ?? 0;
    case 'formant': // a vowel-like resonance near harmonic 7 on a 1/h slope
      return (1 / h) * (0.3 + 2.5 * Math.exp(-(((h - 7) / 2.2) ** 2)));
    case 'buzz': // equal harmonics: a band-limited pulse train
      return 0.25;
  }
}

export interface WavetableBank {
  readonly sampleRate: number;
  /** tables[(wave * LEVELS + level) * (TABLE_SIZE + 1) + i], one guard sample per table (= sample 0). */
  readonly tables: Float32Array;
}

const banks = new Map<number, WavetableBank>();

/** The bank for a sample rate (built on first use). Not RT: call from Kernel creation. */
export function wavetableBank(sampleRate: number): WavetableBank {
  let bank = banks.get(sampleRate);
  if (!bank) {
    bank = { sampleRate, tables: buildBank(sampleRate) };
    banks.set(sampleRate, bank);
  }
  return bank;
}

/** Mip level for a fundamental of `hz`: the lowest whose top frequency is at least hz. RT-safe. */
export function levelFor(hz: number): number {
  const a = hz < 0 ? -hz : hz;
  if (!(a > LEVEL0_HZ)) return 0;
  const l = Math.ceil(Math.log2(a / LEVEL0_HZ));
  return l < LEVELS ? l : LEVELS - 1;
}

function buildBank(sampleRate: number): Float32Array {
  const stride = TABLE_SIZE + 1;
  const out = new Float32Array(WAVES.length * LEVELS * stride);
  const re = new Float64Array(TABLE_SIZE), im = new Float64Array(TABLE_SIZE);
  WAVES.forEach((wave, w) => {
    let norm = 0;
    for (let level = 0; level < LEVELS; level++) {
      const top = LEVEL0_HZ * 2 ** level;
      const maxH = Math.min(TABLE_SIZE / 2 - 1, Math.floor((BAND_EDGE * sampleRate) / top));
      re.fill(0);
      im.fill(0);
      // x[n] = Σ a_h sin(2π h n / N): X[h] = −i·a_h·N/2, X[N−h] = conj.
      for (let h = 1; h <= maxH; h++) {
        const a = harmonic(wave, h);
        im[h] = (-a * TABLE_SIZE) / 2;
        im[TABLE_SIZE - h] = (a * TABLE_SIZE) / 2;
      }
      fft(re, im, 1);
      // Level 0 (the most harmonics) sets the scale for every level: peak 1, so loudness does not
      // jump between levels.
      if (level === 0) {
        for (let i = 0; i < TABLE_SIZE; i++) norm = Math.max(norm, Math.abs(re[i]));
        norm = norm > 0 ? 1 / norm : 1;
      }
      const base = (w * LEVELS + level) * stride;
      for (let i = 0; i < TABLE_SIZE; i++) out[base + i] = re[i] * norm;
      out[base + TABLE_SIZE] = out[base];
    }
  });
  return out;
}
