/**
 * Seeded pseudo-random numbers. Every random source in Modsynth derives from the patch seed and the
 * module id, so a render is reproducible bit for bit.
 *
 * Generator: SFC32 (Chris Doty-Humphrey's Small Fast Chaotic PRNG, 32-bit variant), seeded through
 * SplitMix32. Period ≥ 2^32, passes PractRand to many GB; plenty for audio noise.
 * `next*` methods are RT-safe (no allocation).
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const a = this.a, b = this.b, c = this.c, d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    this.c = ((c << 21) | (c >>> 11)) + t | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [−1, 1). */
  nextBipolar(): number {
    return this.nextUint32() / 2147483648 - 1;
  }

  /** Standard normal deviate (Box–Muller; one value per call, the pair's twin is kept). */
  private spare = 0;
  private hasSpare = false;
  nextGaussian(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = this.nextFloat();
    if (u < 1e-12) u = 1e-12;
    const v = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    this.hasSpare = true;
    return r * Math.cos(2 * Math.PI * v);
  }
}

/**
 * Fills out[start..end) with standard normal deviates, one Box–Muller draw (two uint32s) per value,
 * so the sequence does not depend on how the samples are split into calls. RT-safe and, unlike the
 * value-returning methods, allocation-free even where V8 does not inline it (a double returned from a
 * call that is not inlined is boxed on the heap).
 */
export function fillGaussian(rng: Random, out: Float64Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    let u = rng.nextUint32() / 4294967296;
    if (u < 1e-12) u = 1e-12;
    const v = rng.nextUint32() / 4294967296;
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/**
 * Writes one uniform value in [−1, 1) to out[i] (the RT-safe form of nextBipolar: a double returned
 * from a call that is not inlined is boxed on the heap; one written to a Float64Array is not).
 */
export function bipolarInto(rng: Random, out: Float64Array, i: number): void {
  out[i] = rng.nextUint32() / 2147483648 - 1;
}

/** FNV-1a hash of a string, combined with a numeric seed: stable per-module seeds. Not RT-safe (string walk). */
export function hashSeed(seed: number, key: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
