/**
 * Watches a live engine every 50 ms until the run ends: a live line on a terminal, the end after
 * --seconds, a device that stopped asking for audio, and when each underrun happened. Control thread.
 */
import type { Engine } from '../engine/engine';
import type { DeviceSink, RecordTap } from '../io/device';
import type { StopRequest } from './stop-signals';

/**
 * The device asking for no audio at all for this long (no render quantum, silent ones included; a
 * stalled engine only makes underruns) means it has stopped: a JACK server that went away leaves the
 * audio library spinning, and the stream would never end. `play` stops with exit code 5. Not checked
 * on the null sink, which cannot go away (its thread can be starved for seconds by other real-time
 * processes on a loaded machine: seen in CI with several engines running at once).
 */
export const DEVICE_SILENT_MS = 2_000;

export type SinkCounters = ReturnType<Engine['sinkCounters']>;

/** The device counters, noting the time (seconds of audio) of every new underrun. */
export class UnderrunLog {
  readonly times: number[] = [];
  private last = 0;
  constructor(private readonly engine: Engine, private readonly sr: number) {}

  read(): SinkCounters {
    const c = this.engine.sinkCounters();
    if (c.underruns > this.last) {
      this.times.push(c.framesPlayed / this.sr);
      this.last = c.underruns;
    }
    return c;
  }
}

export type WatchEnd = 'end' | 'device-lost' | 'signal';

/** Resolves when --seconds of audio have played, the device went silent, or a stop signal came. */
export function watchPlayback(w: {
  engine: Engine;
  sink: DeviceSink;
  underruns: UnderrunLog;
  tap: RecordTap | undefined;
  seconds: number | undefined;
  sr: number;
  liveLine: boolean;
  stop: StopRequest;
  /** Set once: when the engine's frame 0 reached the device (epoch ms; the benchmark's time to first sound). */
  firstFrame: { at: number };
  /** Called once, when `firstFrame.at` is set. */
  onFirstFrame?: () => void;
}): Promise<WatchEnd> {
  const { engine, sink, sr } = w;
  let lastQuanta = -1, lastQuantumAt = Date.now();
  return new Promise<WatchEnd>((resolveDone) => {
    const timer = setInterval(() => {
      const c = w.underruns.read();
      if (!w.firstFrame.at && c.framesPlayed > 0) {
        w.firstFrame.at = Date.now() - (c.framesPlayed * 1000) / sr;
        w.onFirstFrame?.();
      }
      w.tap?.drain();
      if (w.liveLine) {
        const load = engine.stats().load.map((l) => `${(l * 100).toFixed(0)}%`).join('/');
        process.stdout.write(`\r  ${(c.framesPlayed / sr).toFixed(1)} s  underruns ${c.underruns}  load ${load}   `);
      }
      if (w.seconds !== undefined && c.framesPlayed >= w.seconds * sr) {
        finish('end');
      } else if (c.deviceQuanta !== lastQuanta || sink.info.backend === 'null') {
        lastQuanta = c.deviceQuanta;
        lastQuantumAt = Date.now();
      } else if (Date.now() - lastQuantumAt > DEVICE_SILENT_MS) {
        console.error(
          `modsynth: the audio device stopped asking for audio at ${(c.framesPlayed / sr).toFixed(2)} s ` +
            `(nothing for ${DEVICE_SILENT_MS / 1000} s: has the audio server gone?); stopping`,
        );
        finish('device-lost');
      }
    }, 50);
    let done = false;
    const finish = (why: WatchEnd) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      resolveDone(why);
    };
    void w.stop.received.then(() => finish('signal'));
  });
}
