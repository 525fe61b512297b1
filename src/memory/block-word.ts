/**
 * Block numbers in shared Int32 words, right past 2³¹ blocks (66 days at 48 kHz and 64 frames).
 *
 * Every thread keeps its own block number as a plain number (exact to 2⁵³); only the shared words
 * wrap. Two kinds of word:
 *
 *   - a count (completion stamps, Health.Block, the output ring's counters): the block number's low
 *     32 bits, `b | 0`, which is what Atomics.store keeps of any number. It is compared with the
 *     wrapping difference `(word − b) | 0` (blockAhead), right while the two are less than 2³¹ apart,
 *     and turned back into a block number beside a known one with unwrapBlock.
 *   - a mark (Ctrl.SwapAt, Ctrl.RunTo): one block, or none, in one word. A block is stored as the odd
 *     number `2·b + 1` (mod 2³²), so none (0) can never equal a block, and a reader compares with
 *     equality (isMark) or asks how far ahead the marked block is (markAhead, within ±2³⁰ blocks). A
 *     mark names the same block again every 2³¹ blocks; it is always set at most a few rings ahead.
 *
 * Thread and real-time rules: pure arithmetic and single Atomics loads and stores; every function is
 * RT-safe (no allocation) and may run on any thread. A word has the writer its owner names (layout.ts).
 */

/** The low 32 bits of block number `b`, as an Int32 count word holds it. */
export function blockWord(b: number): number {
  return b | 0;
}

/** How far count word `word` is ahead of block number (or word) `b`, right across the Int32 wrap. */
export function blockAhead(word: number, b: number): number {
  return (word - b) | 0;
}

/** The block number whose low 32 bits are `word`, nearest to block number `near` (within ±2³¹). */
export function unwrapBlock(word: number, near: number): number {
  return near + ((word - near) | 0);
}

/** A mark word that names no block. */
export const NO_MARK = 0;

/** The mark word of block `b` (odd: never NO_MARK). Exact for b below 2⁵². */
export function markWord(b: number): number {
  return (b * 2 + 1) | 0;
}

/** True when mark word `word` names block `b`. */
export function isMark(word: number, b: number): boolean {
  return word === markWord(b);
}

/** Blocks from `b` to the block mark word `word` names (negative: passed), or Infinity for NO_MARK. */
export function markAhead(word: number, b: number): number {
  return word === NO_MARK ? Infinity : ((word - markWord(b)) | 0) >> 1;
}

/** Stores block `b` as a mark (or NO_MARK for `b` = Infinity) and wakes sleepers on the word. */
export function setMark(arr: Int32Array, index: number, b: number): void {
  Atomics.store(arr, index, b === Infinity ? NO_MARK : markWord(b));
  Atomics.notify(arr, index);
}

/** The block mark `index` names, as a block number near `near`, or Infinity for none. */
export function loadMark(arr: Int32Array, index: number, near: number): number {
  return near + markAhead(Atomics.load(arr, index), near);
}

/**
 * A count word read as a growing block number: each read unwraps beside the previous one, so it stays
 * exact for any run that is read at least once every 2³¹ blocks (the control thread reads the ring's
 * counters many times a second). One reader per instance; not shared between threads.
 */
export class BlockCount {
  constructor(private last = 0) {}

  /** The block number of `word`. RT-safe. */
  read(word: number): number {
    return (this.last = unwrapBlock(word, this.last));
  }

  /** Restarts the count at block number `b` (a new run that starts there). */
  reset(b: number): void {
    this.last = b;
  }
}

/**
 * A counter the device sink keeps modulo 2³¹ (Ctrl.SinkFrames, Ctrl.DeviceQuanta: it only counts up)
 * read as a growing count: each read adds how far the word moved forward. Exact for any counter read
 * at least once every 2³¹ steps (12.4 h of frames at 48 kHz; the supervisor reads it ten times a
 * second). One reader per instance.
 */
export class Count31 {
  constructor(private last = 0) {}

  /** The count of `word`. RT-safe. */
  read(word: number): number {
    return (this.last += (word - this.last) & 0x7fffffff);
  }
}

/**
 * A counter bumped with Atomics.add on an Int32 word (Ctrl.Underruns, Ctrl.CmdDropped), read as a
 * growing count: the word wraps from 2³¹ − 1 to −2³¹ (Atomics.add is modulo 2³²), and each read adds
 * how far it moved forward modulo 2³². Exact for any counter read at least once every 2³² steps (the
 * supervisor reads them ten times a second). One reader per instance.
 */
export class Count32 {
  constructor(private last = 0) {}

  /** The count of `word`. RT-safe. */
  read(word: number): number {
    return (this.last += (word - this.last) >>> 0);
  }
}
