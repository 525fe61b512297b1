/**
 * Schmitt trigger for gates and triggers (VCV Rack standard): goes high at ≥ 1 V, low at ≤ 0.1 V.
 * `process` returns true exactly on the rising edge. RT-safe.
 */
export const GATE_HIGH_V = 1;
export const GATE_LOW_V = 0.1;
/** What a gate or trigger output writes when high (VCV Rack: 10 V). */
export const GATE_ON_V = 10;

export class SchmittTrigger {
  high = false;

  /**
   * Feeds sample `buf[i]`; true on a low→high transition. NaN counts as low. Takes the buffer and an
   * index rather than the value: passing a double to a call V8 does not inline boxes it on the heap,
   * and this runs per sample.
   */
  processAt(buf: Float32Array, i: number): boolean {
    const v = buf[i];
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
