import { defineModule, ports, type BlockIO, type Kernel } from '../sdk';
import { clamp } from '../dsp/numeric';

const spec = ports({
  params: {
    threshold: { unit: 'V', min: -10, max: 10, default: 0, doc: 'Compared against when b is unpatched.' },
    hysteresis: { unit: 'V', min: 0, max: 5, default: 0.01, doc: 'a must cross b by half this much either way to switch.' },
  },
  inputs: {
    a: { signal: 'cv', doc: 'Signal compared.' },
    b: { signal: 'cv', doc: 'Reference (unpatched: the threshold param).' },
  },
  outputs: {
    gt: { signal: 'gate', doc: '10 V while a > b.' },
    lt: { signal: 'gate', doc: '10 V while a < b (the complement of gt).' },
  },
});

/**
 * Comparator with hysteresis: gt switches high when a > b + h/2 and low when a < b − h/2 (NaN reads as
 * low). lt is its complement. Block-size invariant.
 */
class CompareKernel implements Kernel<typeof spec> {
  private high = false;

  reset(): void {
    this.high = false;
  }

  process(io: BlockIO<typeof spec>, start: number, end: number): void {
    const h = clamp(io.params.hysteresis, 0, 5) / 2, th = clamp(io.params.threshold, -10, 10);
    const a = io.in.a, b = io.in.b, gt = io.out.gt, lt = io.out.lt;
    const useB = io.connected.b;
    let high = this.high;
    for (let i = start; i < end; i++) {
      const ref = useB ? b[i] : th;
      high = high ? !(a[i] < ref - h) && a[i] === a[i] : a[i] > ref + h;
      gt[i] = high ? 10 : 0;
      lt[i] = high ? 0 : 10;
    }
    this.high = high;
  }
}

export const Compare = defineModule(spec, {
  type: 'compare',
  version: 1,
  title: 'Comparator',
  category: 'utility',
  poly: ['a', 'b'],
  doc: 'Gate high while a > b (b unpatched: the threshold param), with hysteresis to keep a slow or noisy signal from chattering; lt is the complement.',
  create: () => new CompareKernel(),
});
