/**
 * The AudioWorkletProcessor behind `modsynth play`: the device's pull end of the output ring.
 *
 * It runs on node-web-audio-api's worklet thread, once per render quantum (128 frames), and only copies:
 * from the engine's output ring (in the shared arena; its consumer end is memory/output-ring.ts's
 * OutputRingReader, which frees each slot and wakes the engine's workers as it takes a block's last
 * frame: pull model, nothing on the main thread can stall the device) to the device, and the same
 * samples into the record ring when recording. If the engine has not written enough frames yet, the
 * rest of the quantum is silence and the underrun is counted; the missing frames are played late,
 * never dropped, so the stream stays intact.
 *
 * RT rules: no allocation, no messages, no logging in `process`.
 * This file is loaded by the worklet scope (a Node worker that provides AudioWorkletProcessor and
 * registerProcessor, and imports this file from disk, so its own imports resolve: only memory/ leaves
 * and io/worklet-poll.ts).
 */
import { Ctrl } from '../memory/layout';
import { OutputRingReader, sinkLimit } from '../memory/output-ring';
import { installWorkletPoll, markServed } from './worklet-poll';

interface RingOptions {
  sab: SharedArrayBuffer;
  ctrlOffset: number;
  ringOffset: number;
  ringBlocks: number;
  blockSize: number;
  /** Optional record ring: Float32 stereo interleaved, `recordFrames` frames, write counter in recordCtrl[0]. */
  recordSab?: SharedArrayBuffer;
  recordFrames?: number;
  /** Render quanta of silence before the first frame is taken from the ring (see device.ts PREROLL_MS). */
  prerollQuanta?: number;
}

declare const AudioWorkletProcessor: { new (): { port: unknown } };
declare function registerProcessor(name: string, ctor: unknown): void;

// The scope's poll for render requests sleeps until the device is due (worklet-poll.ts: it would
// otherwise spin at the top real-time priority, or wake ~6 times per quantum).
installWorkletPoll(globalThis as never);

/** Zeroes frames [from, n) of both channels. */
function silence(outL: Float32Array, outR: Float32Array, from: number, n: number): void {
  for (let k = from; k < n; k++) outL[k] = outR[k] = 0;
}

class RingReader extends AudioWorkletProcessor {
  private readonly ctrl: Int32Array;
  private readonly reader: OutputRingReader;
  private readonly rec: Float32Array | undefined;
  private readonly recCtrl: Int32Array | undefined;
  private readonly recFrames: number;
  /** Quanta of start-up silence still to play. */
  private preroll: number;
  /** Every call of `process` (published as DEVICE_QUANTA: the device is alive). */
  private quanta = 0;

  constructor(options: { processorOptions: RingOptions }) {
    super();
    const o = options.processorOptions;
    this.ctrl = new Int32Array(o.sab, o.ctrlOffset, Ctrl.Count);
    const ring = new Float32Array(o.sab, o.ringOffset, o.ringBlocks * o.blockSize * 2);
    this.reader = new OutputRingReader(this.ctrl, ring, o.ringBlocks, o.blockSize);
    this.recFrames = o.recordFrames ?? 0;
    this.preroll = o.prerollQuanta ?? 0;
    if (o.recordSab) {
      this.recCtrl = new Int32Array(o.recordSab, 0, 2);
      this.rec = new Float32Array(o.recordSab, 8, this.recFrames * 2);
    }
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    markServed();
    const outL = outputs[0][0], outR = outputs[0][1]; // outputChannelCount: [2]
    const n = outL.length;
    this.quanta = (this.quanta + 1) & 0x7fffffff;
    const ctrl = this.ctrl, reader = this.reader;
    Atomics.store(ctrl, Ctrl.DeviceQuanta, this.quanta);
    const limit = sinkLimit(ctrl);
    // Silence that is not an underrun: the start-up pre-roll (the device's first periods come
    // irregularly, several at once while its threads start; the ring's first frame goes out once it
    // runs at its pace), or the end (--seconds).
    if (this.preroll > 0 || reader.frame >= limit) {
      if (this.preroll > 0) this.preroll--;
      silence(outL, outR, 0, n);
      return true;
    }
    const i = reader.read(outL, outR, n, limit);
    if (i < n) {
      if (reader.frame < limit) Atomics.add(ctrl, Ctrl.Underruns, 1);
      silence(outL, outR, i, n);
    }
    Atomics.store(ctrl, Ctrl.SinkFrames, reader.frame % 0x80000000);
    const rec = this.rec, recCtrl = this.recCtrl;
    if (rec && recCtrl) {
      // The engine's stream: every frame taken from the ring, in order. The silence an underrun puts
      // in its place on the device is not recorded (the frames it delayed follow it, late), so the
      // recording is the stream the engine rendered, sample for sample the offline render of the same
      // session, whatever the scheduling did; underruns are counted and reported apart.
      let w = Atomics.load(recCtrl, 0);
      for (let k = 0; k < i; k++, w++) {
        const at = (w % this.recFrames) * 2;
        rec[at] = outL[k];
        rec[at + 1] = outR[k];
      }
      Atomics.store(recCtrl, 0, w);
    }
    return true;
  }
}

registerProcessor('modsynth-ring-reader', RingReader);
