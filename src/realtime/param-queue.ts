/**
 * One worker's param changes on their way into its kernels: the records it takes from its command
 * ring (memory/command-ring.ts) wait in `pending` until their block, then are handed to the runner in
 * `due`, sorted by their offset in the block (Runner.applyDue splits the module's block there).
 *
 * Records arrive in any frame order (a timed change never holds up an earlier one behind it); a record
 * whose frame has passed is applied at the start of the next block. At most MAX_DUE records are due in
 * one block (more wait for the next) and MAX_PENDING wait in all (the rest stay in the ring).
 *
 * Thread rules: owned by one DSP worker. `takeDue` and `record` are its audio path (no allocation);
 * `carryFrom` runs at a plan swap (not RT).
 */
import type { CommandRing, CommandSink } from '../memory/command-ring';

/** Param records due in one block, at most (more wait for the next block). */
export const MAX_DUE = 4096;
/** Records taken from the ring but not yet due (timed changes waiting for their block). */
export const MAX_PENDING = 16384;

export class ParamQueue implements CommandSink {
  /** Records due in the current block: [offset in block, local module, param index, value], by offset. */
  readonly due = new Float64Array(MAX_DUE * 4);
  dueCount = 0;
  /** Records taken from the ring, not yet due: [absolute frame, local module, param index, value]. */
  private readonly pending = new Float64Array(MAX_PENDING * 4);
  private pendingCount = 0;

  /**
   * @param commands this worker's command ring (its reader end)
   * @param localOf  plan position → local module index of this worker (-1: another worker's)
   */
  constructor(
    private readonly commands: CommandRing,
    private readonly localOf: Int32Array,
  ) {}

  /**
   * Takes every record from the command ring into `pending`, then moves those due before the end of
   * the block [blockFrame, blockFrame + frames) into `due`, sorted by offset (stable: equal offsets
   * keep their arrival order). Audio path, RT-safe: no allocation.
   */
  takeDue(blockFrame: number, frames: number): void {
    this.commands.take(MAX_PENDING - this.pendingCount, this);
    const pending = this.pending, np = this.pendingCount;
    const due = this.due, end = blockFrame + frames;
    let n = 0, keep = 0;
    for (let k = 0; k < np; k++) {
      const frame = pending[k * 4];
      if (frame < end && n < MAX_DUE) {
        const at = frame > blockFrame ? frame - blockFrame : 0;
        // Insertion by offset.
        let j = n;
        while (j > 0 && due[(j - 1) * 4] > at) {
          due[j * 4] = due[(j - 1) * 4];
          due[j * 4 + 1] = due[(j - 1) * 4 + 1];
          due[j * 4 + 2] = due[(j - 1) * 4 + 2];
          due[j * 4 + 3] = due[(j - 1) * 4 + 3];
          j--;
        }
        due[j * 4] = at;
        due[j * 4 + 1] = pending[k * 4 + 1];
        due[j * 4 + 2] = pending[k * 4 + 2];
        due[j * 4 + 3] = pending[k * 4 + 3];
        n++;
      } else {
        if (keep !== k) {
          pending[keep * 4] = frame;
          pending[keep * 4 + 1] = pending[k * 4 + 1];
          pending[keep * 4 + 2] = pending[k * 4 + 2];
          pending[keep * 4 + 3] = pending[k * 4 + 3];
        }
        keep++;
      }
    }
    this.pendingCount = keep;
    this.dueCount = n;
  }

  /**
   * CommandSink: one record taken from the command ring, kept in `pending` when it is for a module of
   * this worker (records for modules of a plan just replaced may still arrive). Audio path, RT-safe.
   */
  record(frame: number, position: number, param: number, value: number): void {
    const local = this.localOf[position];
    if (local < 0) return;
    const at = this.pendingCount++ * 4, pending = this.pending;
    pending[at] = frame;
    pending[at + 1] = local;
    pending[at + 2] = param;
    pending[at + 3] = value;
  }

  /**
   * Takes over the records another queue (of the plan this one replaces) still held; `localOf(k)` maps
   * its local module index to this one's (-1: the module was removed). Not RT (swap time).
   */
  carryFrom(from: ParamQueue, localOf: (fromLocal: number) => number): void {
    for (let k = 0; k < from.pendingCount && this.pendingCount < MAX_PENDING; k++) {
      const local = localOf(from.pending[k * 4 + 1]);
      if (local < 0) continue;
      const at = this.pendingCount++ * 4;
      this.pending[at] = from.pending[k * 4];
      this.pending[at + 1] = local;
      this.pending[at + 2] = from.pending[k * 4 + 2];
      this.pending[at + 3] = from.pending[k * 4 + 3];
    }
  }
}
