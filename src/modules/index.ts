import type { AnyModule } from '../engine/module-api';
import { Adsr } from './adsr';
import { Fault } from './fault';
import { Lfo } from './lfo';
import { Mixer } from './mixer';
import { Noise } from './noise';
import { Output } from './output';
import { Vca } from './vca';
import { Vcf } from './vcf';
import { Vco } from './vco';

/** Every module type, in the order the reference lists them. Type names are append-only. */
export const MODULES: readonly AnyModule[] = [Vco, Lfo, Noise, Vcf, Adsr, Vca, Mixer, Output, Fault];

const byType = new Map<string, AnyModule>(MODULES.map((m) => [m.type, m]));

export function findModule(type: string): AnyModule | undefined {
  return byType.get(type);
}
