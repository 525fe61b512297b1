import { defineModule, ports, type BlockIO, type Kernel } from '../sdk';
import { GATE_HIGH_V, GATE_LOW_V } from '../dsp/schmitt';

const spec = ports({
  params: {},
  inputs: {
    a: { signal: 'gate', doc: 'Gate A.' },
    b: { signal: 'gate', doc: 'Gate B.' },
  },
  outputs: {
    and: { signal: 'gate', doc: 'A and B.' },
    or: { signal: 'gate', doc: 'A or B.' },
    xor: { signal: 'gate', doc: 'A or B but not both.' },
    nand: { signal: 'gate', doc: 'Not (A and B).' },
    notA: { signal: 'gate', doc: 'Not A.' },
  },
});

/**
 * Boolean logic on gates. Each input is read with hysteresis like a Schmitt trigger (high from 1 V,
 * low at 0.1 V or below, NaN low), so a noisy gate does not chatter; outputs are 10 V or 0 V.
 */
class LogicKernel implements Kernel<typeof spec> {
  private highA = false;
  private highB = false;

  reset(): void {
    this.highA = this.highB = false;
  }

  process(io: BlockIO<typeof spec>, start: number, end: number): void {
    const a = io.in.a, b = io.in.b;
    const and = io.out.and, or = io.out.or, xor = io.out.xor, nand = io.out.nand, notA = io.out.notA;
    let ha = this.highA, hb = this.highB;
    for (let i = start; i < end; i++) {
      const va = a[i], vb = b[i];
      ha = ha ? va > GATE_LOW_V : va >= GATE_HIGH_V;
      hb = hb ? vb > GATE_LOW_V : vb >= GATE_HIGH_V;
      and[i] = ha && hb ? 10 : 0;
      or[i] = ha || hb ? 10 : 0;
      xor[i] = ha !== hb ? 10 : 0;
      nand[i] = ha && hb ? 0 : 10;
      notA[i] = ha ? 0 : 10;
    }
    this.highA = ha;
    this.highB = hb;
  }
}

export const Logic = defineModule(spec, {
  type: 'logic',
  version: 1,
  title: 'Logic',
  category: 'utility',
  poly: ['a', 'b'],
  doc: 'AND, OR, XOR, NAND of two gates and NOT of the first, 10 V / 0 V. Inputs are read with hysteresis (high from 1 V, low at 0.1 V).',
  create: () => new LogicKernel(),
});
