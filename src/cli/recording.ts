/** `--record`: what the record tap holds, written to a WAV file atomically. Control thread. */
import { writeWav } from '../io/wav';
import type { RecordTap } from '../io/device';

/** Writes what the tap holds (at most `seconds` of it) to `path` (temp file, fsync, rename). */
export function saveRecording(tap: RecordTap, path: string, sr: number, seconds: number | undefined, say: (line: string) => void): void {
  tap.drain();
  const limit = seconds !== undefined ? Math.round(seconds * sr) : Infinity;
  const [left, right] = tap.channels(limit);
  writeWav(path, [left, right], sr, '32f'); // temp file, fsync, rename (io/wav-writer.ts)
  say(`recorded ${left.length} frames (${(left.length / sr).toFixed(2)} s) to ${path} (32-bit float, the engine's stream as the device took it)`);
}

/** The recording of a run stopped before the device started: a valid WAV file of 0 frames. */
export function saveEmptyRecording(path: string, sr: number, say: (line: string) => void): void {
  writeWav(path, [new Float32Array(0), new Float32Array(0)], sr, '32f');
  say(`recorded 0 frames to ${path} (stopped before the device started)`);
}
