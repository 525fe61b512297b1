/**
 * The one-pole smoother, y ← y + (x − y)·a: the modules' de-zipper for params (SMOOTH_SECONDS), a
 * delay time's glide, a meter's ballistics, and the one-pole low-pass of a tone control. Contract:
 * unity gain at DC; for a step, y reaches 1 − 1/e of it after `seconds` (smoothingCoef), and the
 * low-pass made with cutoffCoef(hz) is 3 dB down at hz for hz well below fs/2. Pure.
 *
 * Kernels take the coefficient from here when they are created. Two things stay inline in the kernels,
 * for V8's sake: the step itself, `y += (x - y) * a` (called as a function from another file it cost
 * 4–15 % of a kernel's time: snare, reverb, meter, sum, old against new in one process), and a
 * coefficient recomputed every block (delay's tone, reverb's damping, meter's window, hat's tone): a
 * call V8 does not inline returns its double boxed, an allocation on the audio path (reverb: 32 bytes
 * a block in half of the allocation probe's runs).
 */
import type { Hz, Seconds } from './units';

/** Time constant of the modules' param smoothing: a step in a level or a mix settles in ~5 ms. */
export const SMOOTH_SECONDS: Seconds = 0.005;

/** Coefficient a of a one-pole whose time constant is `seconds`: 1 − e^(−1 / (seconds · fs)). */
export function smoothingCoef(seconds: Seconds, sampleRate: Hz): number {
  return 1 - Math.exp(-1 / (seconds * sampleRate));
}

/** Coefficient a of a one-pole low-pass with its cutoff at `hz` (time constant 1 / (2π·hz)). */
export function cutoffCoef(hz: Hz, sampleRate: Hz): number {
  return 1 - Math.exp((-2 * Math.PI * hz) / sampleRate);
}
