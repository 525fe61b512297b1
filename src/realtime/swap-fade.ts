/**
 * Click-free structural edits: the output is faded out over the FADE_BLOCKS blocks before a plan swap
 * and back in over the FADE_BLOCKS after it (linear, per sample), in the output ring's slot, after the
 * output stage wrote it. The swap block is always known that far ahead (live: it is published at
 * least ringBlocks + 2 blocks ahead; replay: armed 2 blocks before), so the fade is the same live and
 * offline. RT-safe: no allocation.
 */

export const FADE_BLOCKS = 2;

/**
 * Applies the fades to block b's stereo slot (left, right: B frames each): fading out when the swap
 * block `swapAt` is at most FADE_BLOCKS ahead, fading in when this plan started at `startedAt` (-1:
 * it replaced none) at most FADE_BLOCKS ago; else leaves it as it is.
 */
export function applySwapFade(left: Float32Array, right: Float32Array, b: number, swapAt: number, startedAt: number, B: number): void {
  let g0 = 1, g1 = 1;
  if (b >= swapAt - FADE_BLOCKS && b < swapAt) {
    g0 = (swapAt - b) / FADE_BLOCKS;
    g1 = (swapAt - b - 1) / FADE_BLOCKS;
  } else if (startedAt >= 0 && b >= startedAt && b < startedAt + FADE_BLOCKS) {
    g0 = (b - startedAt) / FADE_BLOCKS;
    g1 = (b - startedAt + 1) / FADE_BLOCKS;
  } else return;
  const step = (g1 - g0) / B;
  for (let i = 0; i < B; i++) {
    const g = g0 + step * i;
    left[i] *= g;
    right[i] *= g;
  }
}
