/**
 * The canonical workload (issue #2), as a patch generator. Per voice i:
 *   vco saw at 110 Hz × 2^((i mod 24)/12)
 *   → 4-pole ladder low-pass, resonance 0.5, cutoff 1200 Hz moved ±600 Hz by a 0.5 Hz sine LFO
 *     (linear FM: 120 Hz/V × ±5 V)
 *   → VCA (linear) driven by an ADSR (A 10 ms, D 100 ms, S 0.6, R 200 ms), retriggered every 0.5 s
 *     by one shared 2 Hz square clock (gate high 0.25 s, low 0.25 s).
 * Voices are summed by a tree of 8-input mixers; the root's master is 1/N.
 * `node dist/bench/canonical.js` writes bench/patches/canonical-{1,16,64,256}.json.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hzToVolts } from '../src/dsp/pitch';
import { PATCH_FORMAT, PATCH_VERSION } from '../src/engine/patch';

interface Doc {
  format: string;
  version: number;
  name: string;
  seed: number;
  modules: { id: string; type: string; params?: Record<string, number> }[];
  cables: { from: string; to: string }[];
}

export function canonicalPatch(voices: number): Doc {
  const doc: Doc = { format: PATCH_FORMAT, version: PATCH_VERSION, name: `canonical workload, ${voices} voices`, seed: 1, modules: [], cables: [] };
  const add = (id: string, type: string, params?: Record<string, number>) => doc.modules.push({ id, type, ...(params ? { params } : {}) });
  const wire = (from: string, to: string) => doc.cables.push({ from, to });
  add('clock', 'lfo', { rate: 2 });
  let level: string[] = [];
  for (let i = 0; i < voices; i++) {
    add(`osc${i}`, 'vco', { coarse: -15 + (i % 24) });
    add(`sweep${i}`, 'lfo', { rate: 0.5 });
    add(`filter${i}`, 'vcf', { cutoff: hzToVolts(1200), linFmHz: 120, res: 0.5 });
    add(`env${i}`, 'adsr', { attack: 0.01, decay: 0.1, sustain: 0.6, release: 0.2 });
    add(`amp${i}`, 'vca');
    wire(`osc${i}.saw`, `filter${i}.in`);
    wire(`sweep${i}.sin`, `filter${i}.linfm`);
    wire('clock.sqr', `env${i}.gate`);
    wire(`filter${i}.lp`, `amp${i}.in`);
    wire(`env${i}.env`, `amp${i}.cv`);
    level.push(`amp${i}.out`);
  }
  let depth = 0;
  do {
    const next: string[] = [];
    for (let g = 0; g < level.length; g += 8) {
      const id = `mix${depth}_${g / 8}`;
      const isRoot = level.length <= 8;
      add(id, 'mixer', isRoot ? { master: 1 / voices } : undefined);
      level.slice(g, g + 8).forEach((src, k) => wire(src, `${id}.in${k + 1}`));
      next.push(`${id}.out`);
    }
    level = next;
    depth++;
  } while (level.length > 1);
  add('out', 'output');
  wire(level[0], 'out.left');
  return doc;
}

export const CANONICAL_VOICES = [1, 16, 64, 256];

if (require.main === module) {
  const dir = join(__dirname, '../../bench/patches');
  mkdirSync(dir, { recursive: true });
  for (const n of CANONICAL_VOICES) writeFileSync(join(dir, `canonical-${n}.json`), JSON.stringify(canonicalPatch(n), null, 1) + '\n');
  console.log(`wrote ${CANONICAL_VOICES.map((n) => `canonical-${n}.json`).join(', ')} to bench/patches`);
}
