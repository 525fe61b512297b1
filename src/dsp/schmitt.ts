/**
 * Schmitt trigger for gates and triggers (VCV Rack standard): goes high at ≥ 1 V, low at ≤ 0.1 V.
 * `process` returns true exactly on the rising edge. RT-safe.
 */
export const GATE_HIGH_V = 1;
export const GATE_LOW_V = 0.1;

export class SchmittTrigger {
  high = false;

  /** Feeds one sample; true on a low→high transition. NaN counts as low. */
  process(v: number): boolean {
    if (this.high) {
      if (!(v > GATE_LOW_V)) this.high = false;
      return false;
    }
    if (v >= GATE_HIGH_V) {
      this.high = true;
      return true;
    }
    return false;
  }

  reset(): void {
    this.high = false;
  }
}
