/**
 * Streaming WAV writer: takes audio in blocks of any length (deinterleaved channels, or interleaved
 * frames), converts them into one reused buffer and writes it out whenever it fills (256 KiB by
 * default), so writing costs one pass over the samples and memory stays flat however long the file.
 * The file is written atomically (see AtomicFile): the final path appears only on `close`, complete.
 *
 * Format, byte for byte what `encodeWav` (the `wavefile` library) writes for the same samples, mono or
 * stereo: the 44-byte header (wav-header.ts) then interleaved little-endian samples, 32-bit float as
 * given (any NaN written as the canonical quiet NaN 0x7fc00000), or 16-bit PCM clamped to ±1, scaled by
 * 32767 and rounded (NaN → 0). A RIFF file holds at most 4 GiB: a write past that is refused with a
 * FileWriteError (code EFBIG) and leaves the writer usable, so `close` keeps what came before.
 *
 * Control thread only (synchronous I/O); allocates nothing per block.
 */
import { AtomicFile } from './atomic-file';
import { FileWriteError } from './file-error';
import { bytesPerSample, MAX_WAV_DATA_BYTES, WAV_HEADER_BYTES, writeWavHeader, type WavFormat } from './wav-header';
import type { BlockSink } from '../engine/block-sink';

export interface WavWriterOptions {
  sampleRate: number;
  /** 1 or 2 (the plain header; wavefile writes more channels with WAVE_FORMAT_EXTENSIBLE). */
  channels: number;
  format: WavFormat;
  /** Size of the write buffer in bytes (default 256 KiB; rounded down to whole frames). */
  bufferBytes?: number;
  /**
   * Frames that will be written, when known. Needed only to stream into a pipe (e.g. --out
   * /dev/stdout), which cannot go back to patch the header: it then carries this length from the start.
   */
  frames?: number;
}

const DEFAULT_BUFFER_BYTES = 256 * 1024;
/** WAV samples are little-endian, and the typed-array views write the host's byte order. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class WavWriter implements BlockSink {
  readonly sampleRate: number;
  readonly channels: number;
  readonly format: WavFormat;
  private readonly file: AtomicFile;
  private readonly bytes: Buffer;
  private readonly f32: Float32Array;
  private readonly i16: Int16Array;
  /** Frames the buffer holds, and frames in it now. */
  private readonly capacity: number;
  private filled = 0;
  private readonly frameBytes: number;
  /** Frames already written to the file (after the header). */
  private written = 0;
  private closed = false;
  /** The data length the header on disk gives, in frames. */
  private readonly headerFrames: number;

  private constructor(path: string, opts: WavWriterOptions) {
    const { sampleRate, channels, format } = opts;
    if (channels !== 1 && channels !== 2) throw new RangeError(`WavWriter: ${channels} channels (1 or 2 are supported)`);
    if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`WavWriter: sample rate ${sampleRate}`);
    if (!LITTLE_ENDIAN) throw new Error('WavWriter: big-endian hosts are not supported');
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.format = format;
    this.frameBytes = channels * bytesPerSample(format);
    this.capacity = Math.max(1, Math.floor((opts.bufferBytes ?? DEFAULT_BUFFER_BYTES) / this.frameBytes));
    const ab = new ArrayBuffer(Math.max(WAV_HEADER_BYTES, this.capacity * this.frameBytes));
    this.bytes = Buffer.from(ab);
    this.f32 = new Float32Array(ab, 0, ab.byteLength >> 2);
    this.i16 = new Int16Array(ab, 0, ab.byteLength >> 1);
    this.file = AtomicFile.create(path);
    // The header says 0 frames until close (a temp file left by a killed process says "empty"); a pipe
    // gets the announced length at once.
    this.headerFrames = this.file.seekable ? 0 : opts.frames ?? 0;
    writeWavHeader(this.bytes, channels, sampleRate, format, this.headerFrames * this.frameBytes);
    this.file.write(this.bytes, WAV_HEADER_BYTES, 0);
  }

  /** Creates `<path>.<random>.tmp` (and the directory) and writes the header. Throws FileWriteError. */
  static open(path: string, opts: WavWriterOptions): WavWriter {
    return new WavWriter(path, opts);
  }

  /** Most frames one file can hold (the RIFF size field is 32 bits). */
  static maxFrames(channels: number, format: WavFormat): number {
    return Math.floor(MAX_WAV_DATA_BYTES / (channels * bytesPerSample(format)));
  }

  /** The final path. */
  get path(): string {
    return this.file.path;
  }

  /** Where the data is until `close`. */
  get tempPath(): string {
    return this.file.tempPath;
  }

  /** Frames taken so far (written or buffered). */
  get frames(): number {
    return this.written + this.filled;
  }

  /**
   * Appends `frames` frames (default: the first array's length) of deinterleaved channels, starting at
   * index `offset` of each array. One array per channel.
   */
  write(channels: readonly Float32Array[], frames = channels[0]?.length ?? 0, offset = 0): void {
    this.accept(frames);
    const nch = this.channels;
    if (channels.length !== nch) throw new RangeError(`WavWriter.write: ${channels.length} channels for a ${nch}-channel file`);
    for (let c = 0; c < nch; c++) if (offset + frames > channels[c].length) throw new RangeError(`WavWriter.write: ${frames} frames from ${offset} past the end of channel ${c} (${channels[c].length})`);
    for (let done = 0; done < frames; ) {
      const k = Math.min(frames - done, this.capacity - this.filled);
      for (let c = 0; c < nch; c++) this.convert(channels[c], offset + done, k, this.filled * nch + c, nch);
      this.filled += k;
      done += k;
      if (this.filled === this.capacity) this.flush();
    }
  }

  /** Appends `frames` interleaved frames (default: all of `samples`) starting at frame `offset`. */
  writeInterleaved(samples: Float32Array, frames = Math.floor(samples.length / this.channels), offset = 0): void {
    this.accept(frames);
    const nch = this.channels;
    if ((offset + frames) * nch > samples.length) throw new RangeError(`WavWriter.writeInterleaved: ${frames} frames from ${offset} past the end (${samples.length / nch} frames)`);
    for (let done = 0; done < frames; ) {
      const k = Math.min(frames - done, this.capacity - this.filled);
      this.convert(samples, (offset + done) * nch, k * nch, this.filled * nch, 1);
      this.filled += k;
      done += k;
      if (this.filled === this.capacity) this.flush();
    }
  }

  /** Writes the rest, the final header, fsyncs and renames to the final path. Throws FileWriteError. */
  close(): void {
    if (this.closed) return;
    this.flush();
    if (this.written !== this.headerFrames) {
      writeWavHeader(this.bytes, this.channels, this.sampleRate, this.format, this.written * this.frameBytes);
      this.file.write(this.bytes, WAV_HEADER_BYTES, 0);
    }
    this.closed = true;
    this.file.commit();
  }

  /** Removes the temp file (nothing appears at the final path). Never throws; nothing after `close`. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    this.file.discard();
  }

  private accept(frames: number): void {
    if (this.closed || !this.file.open) throw new Error(`${this.path}: the WAV writer is closed`);
    if (!Number.isInteger(frames) || frames < 0) throw new RangeError(`WavWriter: ${frames} frames`);
    if ((this.frames + frames) * this.frameBytes > MAX_WAV_DATA_BYTES) {
      const max = WavWriter.maxFrames(this.channels, this.format);
      throw new FileWriteError(this.path, 'EFBIG', `a WAV file holds at most 4 GiB (${Math.floor(max / this.sampleRate)} s at this rate and format)`);
    }
  }

  /** Converts `n` samples src[from], src[from + 1]... into the buffer at `to`, `to + stride`... */
  private convert(src: Float32Array, from: number, n: number, to: number, stride: number): void {
    if (this.format === '32f') {
      const out = this.f32;
      for (let i = 0; i < n; i++, from++, to += stride) {
        const v = src[from];
        out[to] = v === v ? v : NaN;
      }
    } else {
      const out = this.i16;
      for (let i = 0; i < n; i++, from++, to += stride) {
        const x = src[from];
        const v = x > 1 ? 1 : x < -1 ? -1 : x || 0;
        out[to] = Math.round(v * 32767);
      }
    }
  }

  private flush(): void {
    if (this.filled === 0) return;
    this.file.write(this.bytes, this.filled * this.frameBytes, WAV_HEADER_BYTES + this.written * this.frameBytes);
    this.written += this.filled;
    this.filled = 0;
  }
}
