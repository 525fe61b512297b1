/**
 * The engine's clock while streaming: which absolute frame plays at a given Unix time. Anchored when
 * the device has taken its first frames (frame F plays at origin + F / sampleRate). Control thread.
 */
import { Ctrl } from '../memory/layout';

export class EngineClock {
  /** Unix time (s) of engine frame 0, once anchored. */
  private origin: number | undefined;

  /** Forgets the anchor (a new streaming run). */
  reset(): void {
    this.origin = undefined;
  }

  /** The frame that plays at Unix time `t` (s), or undefined before the device has taken a frame. */
  frameAt(t: number, ctrl: Int32Array, sampleRate: number): number | undefined {
    if (this.origin === undefined) {
      const played = Atomics.load(ctrl, Ctrl.SinkFrames);
      if (played === 0) return undefined;
      this.origin = (performance.timeOrigin + performance.now()) / 1000 - played / sampleRate;
    }
    return Math.round((t - this.origin) * sampleRate);
  }
}
