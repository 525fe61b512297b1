/**
 * The canonical 44-byte WAV header (RIFF, a 16-byte `fmt ` chunk, then `data`), byte for byte what
 * the `wavefile` library writes for 16-bit PCM (format tag 1) and 32-bit IEEE float (format tag 3):
 * no `fact` chunk, no WAVE_FORMAT_EXTENSIBLE. Not an audio-path API.
 */

export type WavFormat = '16' | '32f';

export const WAV_HEADER_BYTES = 44;

/** Largest `data` chunk a RIFF file can describe: its size field (36 + data bytes) is 32 bits. */
export const MAX_WAV_DATA_BYTES = 0xffffffff - (WAV_HEADER_BYTES - 8);

export function bytesPerSample(format: WavFormat): number {
  return format === '32f' ? 4 : 2;
}

/** Writes the header for `dataBytes` bytes of samples into `out` at offset 0. */
export function writeWavHeader(out: Buffer, channels: number, sampleRate: number, format: WavFormat, dataBytes: number): void {
  const bps = bytesPerSample(format);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(WAV_HEADER_BYTES - 8 + dataBytes, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(format === '32f' ? 3 : 1, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * channels * bps, 28);
  out.writeUInt16LE(channels * bps, 32);
  out.writeUInt16LE(8 * bps, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(dataBytes, 40);
}
