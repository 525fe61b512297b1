/**
 * Band-limited step (BLEP) and ramp (BLAMP) corrections, linear phase.
 *
 * Contract: a naive waveform plus `jump · residualStep(t − τ)` at every discontinuity τ equals the ideal
 * waveform convolved with a Blackman–Harris windowed-sinc low-pass (cutoff `CUTOFF` × sample rate,
 * `HALF_WIDTH` samples each side), then sampled. Slope discontinuities use the BLAMP residual, the
 * integral of the step residual. The price is a fixed delay of `HALF_WIDTH` samples on every output
 * that goes through a `BlepLine` (all of an oscillator's outputs share it, so they stay aligned).
 *
 * Why not a 2-point PolyBLEP: its alias rejection at 5 kHz (48 kHz rate) is ~20–30 dB; this table keeps
 * every alias below 20 kHz ≥ 40 dB under the fundamental (see test/dsp/vco.test.ts).
 */

/** Samples on each side of the discontinuity that the correction spans. */
export const HALF_WIDTH = 16;
/** Table points per sample; linear interpolation between them. */
const OVERSAMPLE = 128;
/** Low-pass cutoff of the band-limiting kernel, as a fraction of the sample rate. */
export const CUTOFF = 0.42;

const TABLE_LEN = 2 * HALF_WIDTH * OVERSAMPLE + 1;

function blackmanHarris(x: number): number {
  // x in [0, 1]
  const a0 = 0.35875, a1 = 0.48829, a2 = 0.14128, a3 = 0.01168;
  const w = 2 * Math.PI * x;
  return a0 - a1 * Math.cos(w) + a2 * Math.cos(2 * w) - a3 * Math.cos(3 * w);
}

function buildTables(): { step: Float64Array; ramp: Float64Array } {
  const n = TABLE_LEN;
  const dt = 1 / OVERSAMPLE;
  const kernel = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = -HALF_WIDTH + i * dt; // samples
    const x = 2 * CUTOFF * t;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    kernel[i] = 2 * CUTOFF * sinc * blackmanHarris(i / (n - 1));
  }
  // Band-limited step: running integral (trapezoid), normalised to end at exactly 1.
  const blStep = new Float64Array(n);
  for (let i = 1; i < n; i++) blStep[i] = blStep[i - 1] + 0.5 * (kernel[i - 1] + kernel[i]) * dt;
  // The table keeps the smooth band-limited step; the naive step is subtracted analytically at lookup,
  // so interpolation never straddles the jump at t = 0.
  const total = blStep[n - 1];
  const step = new Float64Array(n);
  for (let i = 0; i < n; i++) step[i] = blStep[i] / total;
  // BLAMP residual: integral of the step residual (band-limited ramp minus max(t, 0)); continuous, so it
  // is stored as a residual. For a symmetric kernel it ends at 0; the tiny numerical remainder is
  // removed as a linear drift.
  const ramp = new Float64Array(n);
  let blRamp = 0;
  for (let i = 1; i < n; i++) {
    blRamp += 0.5 * (step[i - 1] + step[i]) * dt;
    const t = -HALF_WIDTH + i * dt;
    ramp[i] = blRamp - (t > 0 ? t : 0);
  }
  const end = ramp[n - 1];
  for (let i = 0; i < n; i++) ramp[i] -= (end * i) / (n - 1);
  return { step, ramp };
}

const TABLES = buildTables();

function lookup(table: Float64Array, t: number): number {
  const x = (t + HALF_WIDTH) * OVERSAMPLE;
  if (!(x > 0) || x >= TABLE_LEN - 1) return 0;
  const i = x | 0;
  const f = x - i;
  return table[i] + f * (table[i + 1] - table[i]);
}

/**
 * Step residual at time t (samples) after the discontinuity: band-limited step minus the naive step
 * (0 before t = 0, 1 from t = 0 on). Exposed for tests; BlepLine.step inlines the same lookup.
 */
export function residualStep(t: number): number {
  if (!(t > -HALF_WIDTH) || t >= HALF_WIDTH) return 0;
  return lookup(TABLES.step, t) - (t >= 0 ? 1 : 0);
}
/** Ramp residual at time t (samples) after the slope change. Exposed for tests. */
export function residualRamp(t: number): number {
  return lookup(TABLES.ramp, t);
}

/** Length of one output's delay ring (a power of two > 2·HALF_WIDTH + 1). */
export const RING = 64;
const MASK = RING - 1;

/**
 * The corrections of `BlepLine.stepAt` / `rampAt`, for a ring that is the RING floats from `base` of a
 * caller's Float64Array with its current sample at `base + pos` (an oscillator keeps all its outputs'
 * rings in one array and advances one position for all of them, in its own loop). args = [jump or
 * slope jump, d] as for BlepLine: a Float64Array, so no double is boxed on the way into this call.
 */
export function ringStep(buf: Float64Array, base: number, pos: number, args: Float64Array): void {
  const jump = args[0], d = args[1];
  const table = TABLES.step;
  let x = d * OVERSAMPLE;
  for (let k = -HALF_WIDTH; k < HALF_WIDTH; k++, x += OVERSAMPLE) {
    if (!(x > 0) || x >= TABLE_LEN - 1) continue;
    const i = x | 0;
    const f = x - i;
    const naive = k >= 0 ? 1 : 0;
    buf[base + ((pos + k) & MASK)] += jump * (table[i] + f * (table[i + 1] - table[i]) - naive);
  }
}

export function ringRamp(buf: Float64Array, base: number, pos: number, args: Float64Array): void {
  const slopeJump = args[0], d = args[1];
  const table = TABLES.ramp;
  let x = d * OVERSAMPLE;
  for (let k = -HALF_WIDTH; k < HALF_WIDTH; k++, x += OVERSAMPLE) {
    if (!(x > 0) || x >= TABLE_LEN - 1) continue;
    const i = x | 0;
    buf[base + ((pos + k) & MASK)] += slopeJump * (table[i] + (x - i) * (table[i + 1] - table[i]));
  }
}

/**
 * One output's delay line with correction accumulator. Per sample: `add(naive)` then `take()`.
 * Discontinuities are reported with the time since they happened, `d` in [0, 1) samples before the
 * current sample. RT-safe: fixed storage allocated in the constructor.
 */
export class BlepLine {
  private readonly buf = new Float64Array(RING);
  private pos = 0; // index of the current sample

  /**
   * Adds a step of height `jump` = args[0] that happened `d` = args[1] samples before the current
   * sample (0 ≤ d < 1). The arguments travel in a Float64Array because a double passed to a call the
   * compiler does not inline (discontinuities are the rare branch of an oscillator loop) is boxed: one
   * allocation per discontinuity on the audio path.
   */
  stepAt(args: Float64Array): void {
    const jump = args[0], d = args[1];
    // Corrections cover samples m with |m − τ| < HALF_WIDTH, τ = current − d, so the relative index
    // k = m − current runs over [−HALF_WIDTH, HALF_WIDTH) (t = k + d). The oldest of those is the sample
    // `next()` emits in this same step, so nothing is ever added to a sample already emitted.
    // The table lookup is written out here (no call per tap: a double returned from a call V8 does not
    // inline is boxed on the heap). x = (t + HALF_WIDTH)·OVERSAMPLE advances by OVERSAMPLE per tap.
    const buf = this.buf, table = TABLES.step, pos = this.pos;
    let x = d * OVERSAMPLE;
    for (let k = -HALF_WIDTH; k < HALF_WIDTH; k++, x += OVERSAMPLE) {
      if (!(x > 0) || x >= TABLE_LEN - 1) continue;
      const i = x | 0;
      const f = x - i;
      const naive = k >= 0 ? 1 : 0; // the naive step is 1 from t = k + d ≥ 0 on (0 ≤ d < 1)
      buf[(pos + k) & MASK] += jump * (table[i] + f * (table[i + 1] - table[i]) - naive);
    }
  }

  /** Adds a slope change of `slopeJump` = args[0] (units per sample) that happened `d` = args[1] samples ago. */
  rampAt(args: Float64Array): void {
    const slopeJump = args[0], d = args[1];
    const buf = this.buf, table = TABLES.ramp, pos = this.pos;
    let x = d * OVERSAMPLE;
    for (let k = -HALF_WIDTH; k < HALF_WIDTH; k++, x += OVERSAMPLE) {
      if (!(x > 0) || x >= TABLE_LEN - 1) continue;
      const i = x | 0;
      buf[(pos + k) & MASK] += slopeJump * (table[i] + (x - i) * (table[i + 1] - table[i]));
    }
  }

  /** Writes the naive value of the current sample, returns the corrected sample HALF_WIDTH ago, advances. */
  next(naive: number): number {
    const buf = this.buf;
    buf[this.pos] += naive;
    const outIdx = (this.pos - HALF_WIDTH) & MASK;
    const y = buf[outIdx];
    buf[outIdx] = 0;
    this.pos = (this.pos + 1) & MASK;
    return y;
  }

  reset(): void {
    this.buf.fill(0);
    this.pos = 0;
  }
}
