/**
 * Level and sanity figures of a rendered WAV file, for the benches (any RIFF/WAVE with PCM 16/24/32 or
 * float 32/64 samples): length, RMS and peak over every channel, NaN/Inf count, and a hash of the sample
 * data (to see that two renders are bit-identical). `rmsDiff` compares two files sample by sample.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

export interface WavStats {
  sampleRate: number;
  channels: number;
  format: string;
  seconds: number;
  rms: number;
  /** 20·log10(rms), full scale = 1.0. */
  rmsDb: number;
  peak: number;
  nonFinite: number;
  /** sha256 of the data chunk, first 16 hex digits. */
  hash: string;
}

interface Decoded {
  sampleRate: number;
  channels: number;
  format: string;
  samples: Float64Array;
  hash: string;
}

function decode(file: string): Decoded {
  const b = readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${file}: not a RIFF/WAVE file`);
  let tag = 0, channels = 0, sampleRate = 0, bits = 0, off = -1, len = 0;
  for (let p = 12; p + 8 <= b.length; ) {
    const id = b.toString('ascii', p, p + 4);
    let n = b.readUInt32LE(p + 4);
    if (id === 'fmt ') {
      tag = b.readUInt16LE(p + 8);
      if (tag === 0xfffe) tag = b.readUInt16LE(p + 8 + 24);
      channels = b.readUInt16LE(p + 10);
      sampleRate = b.readUInt32LE(p + 12);
      bits = b.readUInt16LE(p + 22);
    } else if (id === 'data') {
      off = p + 8;
      if (n === 0 || n === 0xffffffff || off + n > b.length) n = b.length - off;
      len = n;
      break;
    }
    p += 8 + n + (n & 1);
  }
  if (!channels || off < 0) throw new Error(`${file}: no fmt or data chunk`);
  const bps = bits / 8, count = Math.floor(len / bps);
  const samples = new Float64Array(count);
  const read: (o: number) => number =
    tag === 3 && bits === 32 ? (o) => b.readFloatLE(o)
    : tag === 3 && bits === 64 ? (o) => b.readDoubleLE(o)
    : tag === 1 && bits === 16 ? (o) => b.readInt16LE(o) / 32768
    : tag === 1 && bits === 24 ? (o) => b.readIntLE(o, 3) / 8388608
    : tag === 1 && bits === 32 ? (o) => b.readInt32LE(o) / 2147483648
    : () => { throw new Error(`${file}: unsupported WAV format tag ${tag}, ${bits} bits`); };
  for (let i = 0; i < count; i++) samples[i] = read(off + i * bps);
  const hash = createHash('sha256').update(b.subarray(off, off + count * bps)).digest('hex').slice(0, 16);
  return { sampleRate, channels, format: `${tag === 3 ? 'float' : 'pcm'}${bits}`, samples, hash };
}

const db = (x: number) => (x > 0 ? 20 * Math.log10(x) : -Infinity);

export function wavStats(file: string): WavStats {
  const d = decode(file);
  let sum = 0, peak = 0, n = 0, nonFinite = 0;
  for (const x of d.samples) {
    if (!Number.isFinite(x)) {
      nonFinite++;
      continue;
    }
    sum += x * x;
    n++;
    const a = Math.abs(x);
    if (a > peak) peak = a;
  }
  const rms = n ? Math.sqrt(sum / n) : 0;
  return { sampleRate: d.sampleRate, channels: d.channels, format: d.format, seconds: d.samples.length / d.channels / d.sampleRate, rms, rmsDb: db(rms), peak, nonFinite, hash: d.hash };
}

/** RMS of (a − b) over the common length, in dB relative to the RMS of b. */
export function rmsDiffDb(a: string, b: string): number {
  const x = decode(a).samples, y = decode(b).samples;
  const n = Math.min(x.length, y.length);
  let d = 0, r = 0;
  for (let i = 0; i < n; i++) {
    d += (x[i] - y[i]) ** 2;
    r += y[i] ** 2;
  }
  return d === 0 ? -Infinity : 10 * Math.log10(d / r);
}
