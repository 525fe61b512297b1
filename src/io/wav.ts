/**
 * WAV files of whole channels: `writeWav` streams them through WavWriter (atomic, see wav-writer.ts);
 * `encodeWav` and `readWav` go through the `wavefile` library (encodeWav is the reference the writer's
 * bytes are tested against). Not an audio-path API.
 * 16-bit PCM: samples in ±1.0 are scaled by 32767 and rounded (no dither, so output is deterministic).
 * 32-bit float: samples are written as they are.
 */
import { readFileSync } from 'node:fs';
import { WaveFile } from 'wavefile';
import type { WavFormat } from './wav-header';
import { WavWriter } from './wav-writer';

export type { WavFormat } from './wav-header';

export function encodeWav(channels: Float32Array[], sampleRate: number, format: WavFormat): Uint8Array {
  const wav = new WaveFile();
  if (format === '32f') {
    wav.fromScratch(channels.length, sampleRate, '32f', channels.map((c) => Float64Array.from(c)));
  } else {
    const ints = channels.map((c) => {
      const out = new Int16Array(c.length);
      for (let i = 0; i < c.length; i++) {
        const v = c[i] > 1 ? 1 : c[i] < -1 ? -1 : c[i] || 0;
        out[i] = Math.round(v * 32767);
      }
      return out;
    });
    wav.fromScratch(channels.length, sampleRate, '16', ints);
  }
  return wav.toBuffer();
}

/**
 * Writes whole channels (1 or 2) to `path` atomically: the file appears complete or not at all.
 * Throws FileWriteError (one line: `cannot write PATH: reason`).
 */
export function writeWav(path: string, channels: Float32Array[], sampleRate: number, format: WavFormat): void {
  const w = WavWriter.open(path, { sampleRate, channels: channels.length, format, frames: channels[0]?.length ?? 0 });
  try {
    w.write(channels, channels[0]?.length ?? 0);
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
}

export interface DecodedWav {
  sampleRate: number;
  bitDepth: string;
  channels: Float32Array[];
}

/** Reads a WAV file into float channels in ±1.0 (16-bit PCM is divided by 32768). */
export function readWav(path: string): DecodedWav {
  const wav = new WaveFile(readFileSync(path));
  const fmt = wav.fmt as { sampleRate: number; numChannels: number };
  const bitDepth = wav.bitDepth;
  const raw = wav.getSamples(false, Float64Array) as unknown as Float64Array[] | Float64Array;
  const chans = Array.isArray(raw) ? raw : [raw];
  const scale = bitDepth === '32f' ? 1 : 1 / 32768;
  return {
    sampleRate: fmt.sampleRate,
    bitDepth,
    channels: chans.map((c) => Float32Array.from(c, (v) => v * scale)),
  };
}
