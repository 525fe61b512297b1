/**
 * Timed changes waiting for their frame (timed OSC bundles, a MIDI file played live), in frame order,
 * with a count of what each owner (an OSC client) has waiting so the control plane can bound it.
 * Control thread only.
 */

/** A timed change: a param value, or (param '') a packed MIDI message. */
export interface TimedChange {
  frame: number;
  id: string;
  param: string;
  value: number;
  /** Who queued it (an OSC client), for the per-client bound; none for a MIDI file. */
  owner?: string;
}

export class TimedQueue {
  /** From `head` on, in frame order; equal frames keep the order they were added in. */
  private items: TimedChange[] = [];
  /** Changes before it are taken (dropped in one splice now and then: no O(n) shift per take). */
  private head = 0;
  private readonly byOwner = new Map<string, number>();
  private owned = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  /** Changes `owner` has waiting (no owner: every owner's together; changes without one not counted). */
  pending(owner?: string): number {
    return owner === undefined ? this.owned : (this.byOwner.get(owner) ?? 0);
  }

  /** Adds changes. A few at a time are inserted in place (binary search): a long queue costs no full sort. */
  add(changes: readonly TimedChange[]): void {
    if (changes.length > 64) {
      this.items = this.items.slice(this.head).concat(changes);
      this.head = 0;
      this.items.sort((a, b) => a.frame - b.frame);
    } else {
      for (const c of changes) {
        let lo = this.head, hi = this.items.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (this.items[mid].frame <= c.frame) lo = mid + 1;
          else hi = mid;
        }
        this.items.splice(lo, 0, c);
      }
    }
    for (const c of changes) this.count(c.owner, 1);
  }

  /** Removes and returns the first change if its frame is below `frame`. */
  takeBefore(frame: number): TimedChange | undefined {
    if (this.head >= this.items.length || this.items[this.head].frame >= frame) return undefined;
    const c = this.items[this.head++];
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    this.count(c.owner, -1);
    return c;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.byOwner.clear();
    this.owned = 0;
  }

  private count(owner: string | undefined, n: number): void {
    if (owner === undefined) return;
    const left = (this.byOwner.get(owner) ?? 0) + n;
    if (left > 0) this.byOwner.set(owner, left);
    else this.byOwner.delete(owner);
    this.owned += n;
  }
}
