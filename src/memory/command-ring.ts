/**
 * The per-worker command ring: fixed records of CMD_FIELDS Float64 (absolute frame, plan position,
 * param index or EVENT_INDEX, value) sent by the control thread to one worker. This file owns the
 * record layout and both ends' arithmetic.
 *
 * Single producer (the control thread), single consumer (the worker that owns the ring). The
 * positions are free-running Int32 counters in the index words [head, tail]: head counts records
 * written, tail records taken. They wrap at 2³¹ like any Int32 (after ~2.1 billion records, weeks of a
 * fader at full rate): the fill is the wrapping difference `(head − tail) | 0` and a record's slot is
 * `position & (capacity − 1)`, so both stay right across the wrap (the capacity is a power of two).
 * The producer writes a record's fields, then publishes head (Atomics.store); the consumer reads head
 * (Atomics.load) before the fields and publishes tail after it copied them, so a slot is never
 * rewritten while it is read.
 *
 * Thread and real-time rules: `push` runs on the control thread only, `take` on the owning worker
 * only (audio path: no allocation); `pending` on any thread.
 */

/** Float64 fields per record. */
export const CMD_FIELDS = 4;

/** Records in flight: head − tail, right across the Int32 wrap. */
export function ringFill(head: number, tail: number): number {
  return (head - tail) | 0;
}

export class CommandRing {
  /**
   * @param index    the Int32 index words of every ring: [head, tail] per worker
   * @param records  the Float64 records of every ring: `capacity` × CMD_FIELDS per worker
   * @param worker   which ring
   * @param capacity records per ring, a power of two
   */
  constructor(
    private readonly index: Int32Array,
    private readonly records: Float64Array,
    readonly worker: number,
    readonly capacity: number,
  ) {
    if (capacity <= 0 || (capacity & (capacity - 1)) !== 0) throw new Error(`command ring capacity ${capacity} is not a power of two`);
  }

  /** Control thread. Appends one record; false (and nothing written) when the ring is full. */
  push(frame: number, position: number, param: number, value: number): boolean {
    const h = 2 * this.worker;
    const head = this.index[h], tail = Atomics.load(this.index, h + 1);
    if (ringFill(head, tail) >= this.capacity) return false;
    const r = (this.worker * this.capacity + (head & (this.capacity - 1))) * CMD_FIELDS;
    const rec = this.records;
    rec[r] = frame;
    rec[r + 1] = position;
    rec[r + 2] = param;
    rec[r + 3] = value;
    Atomics.store(this.index, h, (head + 1) | 0);
    return true;
  }

  /** Records written and not yet taken. Any thread. */
  pending(): number {
    return ringFill(Atomics.load(this.index, 2 * this.worker), Atomics.load(this.index, 2 * this.worker + 1));
  }

  /** The head position now (control thread: what `taken` compares against). */
  head(): number {
    return Atomics.load(this.index, 2 * this.worker);
  }

  /** True once the consumer has taken every record up to head position `head`. Any thread. */
  taken(head: number): boolean {
    return ringFill(head, Atomics.load(this.index, 2 * this.worker + 1)) <= 0;
  }

  /**
   * Worker, audio path. Calls `take(frame, position, param, value)` for up to `max` records in order,
   * then frees them. Returns the number taken. No allocation (pass a method bound once, not a closure
   * made per call).
   */
  take(max: number, sink: CommandSink): number {
    const h = 2 * this.worker, cap = this.capacity, base = this.worker * cap * CMD_FIELDS, rec = this.records;
    const head = Atomics.load(this.index, h);
    let tail = this.index[h + 1];
    let n = 0;
    while (n < max && ringFill(head, tail) > 0) {
      const r = base + (tail & (cap - 1)) * CMD_FIELDS;
      sink.record(rec[r], rec[r + 1], rec[r + 2], rec[r + 3]);
      tail = (tail + 1) | 0;
      n++;
    }
    Atomics.store(this.index, h + 1, tail);
    return n;
  }
}

/** What a worker does with each record it takes (see CommandRing.take). */
export interface CommandSink {
  record(frame: number, position: number, param: number, value: number): void;
}
