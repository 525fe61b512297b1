/**
 * Plays a MIDI sequence into a live session: events are handed to the engine a few blocks before they
 * are due (control-thread timer), each on its exact frame counted from the moment playing starts. An
 * event whose frame can no longer be reached is applied at the first reachable frame and counted late.
 * Control thread only; nothing here runs on the audio path.
 */
import type { TimedMidi } from './file';
import { midiData1, midiData2, midiStatus } from './message';

export interface MidiTarget {
  /** First frame a command sent now is sure to reach (Engine.firstReachableFrame). */
  firstReachableFrame(): number;
  blockSize(): number;
  /** Sends one packed message to every module that takes MIDI, at `frame`. */
  send(status: number, data1: number, data2: number, frame: number): void;
}

/** How far ahead of the reachable frame events are handed over, in blocks. */
const LOOKAHEAD_BLOCKS = 8;
const TICK_MS = 2;

export class MidiFilePlayer {
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Engine frame of the sequence's frame 0. */
  private base = 0;
  late = 0;

  constructor(
    private readonly events: readonly TimedMidi[],
    private readonly target: MidiTarget,
  ) {}

  /** Starts playing now (frame 0 of the sequence is the first frame reachable from here). */
  start(): void {
    this.base = this.target.firstReachableFrame();
    this.timer = setInterval(() => this.release(), TICK_MS);
    this.release();
  }

  get done(): boolean {
    return this.next >= this.events.length;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private release(): void {
    const reachable = this.target.firstReachableFrame();
    const horizon = reachable + LOOKAHEAD_BLOCKS * this.target.blockSize();
    while (this.next < this.events.length && this.base + this.events[this.next].frame < horizon) {
      const e = this.events[this.next++];
      let frame = this.base + e.frame;
      if (frame < reachable) {
        this.late++;
        frame = reachable;
      }
      this.target.send(midiStatus(e.data), midiData1(e.data), midiData2(e.data), frame);
    }
    if (this.done) this.stop();
  }
}
