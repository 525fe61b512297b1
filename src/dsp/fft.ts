/**
 * In-place iterative radix-2 FFT over (re, im) of length 2^k: X[k] = Σ x[n]·e^{sign·2πikn/N}, unscaled.
 * sign −1 is the forward transform, +1 the inverse (divide by N to undo a forward one). Not RT-safe in
 * spirit (it is for building tables and for analysis), though it allocates nothing.
 */
export function fft(re: Float64Array, im: Float64Array, sign: -1 | 1 = -1): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (sign * 2 * Math.PI) / len, half = len >> 1;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < half; k++) {
        const wr = Math.cos(ang * k), wi = Math.sin(ang * k);
        const a = i + k, b = a + half;
        const tr = re[b] * wr - im[b] * wi, ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}
