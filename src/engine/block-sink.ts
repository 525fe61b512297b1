/**
 * Where rendered audio goes, one block (or chunk of blocks) at a time: the WAV writer streams it to
 * disk, BlockCollector keeps it in memory. Not an audio-path API (called on the control thread).
 */

/** What a render reports. */
export interface StreamResult {
  frames: number;
  /** Wall-clock seconds spent rendering (the sink's time included). */
  seconds: number;
}

/** A render kept in memory. */
export interface OfflineResult extends StreamResult {
  left: Float32Array;
  right: Float32Array;
}

export interface BlockSink {
  /**
   * Takes `frames` frames of each channel (deinterleaved; frames ≤ each array's length). The arrays are
   * views the caller reuses at once: a sink copies what it keeps before returning.
   */
  write(channels: readonly Float32Array[], frames: number): void;
}

/** Keeps a stereo render in memory (the render result of the array-returning APIs). */
export class BlockCollector implements BlockSink {
  readonly left: Float32Array;
  readonly right: Float32Array;
  frames = 0;

  constructor(capacity: number) {
    this.left = new Float32Array(capacity);
    this.right = new Float32Array(capacity);
  }

  write(channels: readonly Float32Array[], frames: number): void {
    const [l, r] = channels, at = this.frames;
    this.left.set(frames === l.length ? l : l.subarray(0, frames), at);
    if (r) this.right.set(frames === r.length ? r : r.subarray(0, frames), at);
    this.frames = at + frames;
  }
}
