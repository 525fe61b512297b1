/** Patches several engine tests share. */
import { validatePatch, type Patch } from '../../src/plan/patch';

/**
 * A feedback loop (osc → sum → filt → sum, one block of delay) with a noise source mixed in: its
 * halves land on different workers when forced apart. `level2` is the loop's feedback level.
 */
export function feedbackPatch(level2 = 0.7): Patch {
  return validatePatch({
    format: 'modsynth-patch', version: 1, seed: 3,
    modules: [
      { id: 'osc', type: 'vco', params: { coarse: -12 } },
      { id: 'sum', type: 'mixer', params: { level2 } },
      { id: 'filt', type: 'vcf', params: { cutoff: 1, res: 0.3 } },
      { id: 'hiss', type: 'noise' },
      { id: 'mix', type: 'mixer', params: { level2: 0.05 } },
      { id: 'out', type: 'output' },
    ],
    cables: [
      { from: 'osc.saw', to: 'sum.in1' }, { from: 'sum.out', to: 'filt.in' }, { from: 'filt.lp', to: 'sum.in2' },
      { from: 'filt.lp', to: 'mix.in1' }, { from: 'hiss.pink', to: 'mix.in2' }, { from: 'mix.out', to: 'out.left' },
    ],
  });
}
