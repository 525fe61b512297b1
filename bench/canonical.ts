/**
 * The canonical workload (issue #2), as a patch generator. Per voice i:
 *   vco saw at 110 Hz × 2^((i mod 24)/12)
 *   → 4-pole ladder low-pass, resonance 0.5, cutoff 1200 Hz moved ±600 Hz by a 0.5 Hz sine LFO
 *     (linear FM: 120 Hz/V × ±5 V)
 *   → VCA (linear) driven by an ADSR (A 10 ms, D 100 ms, S 0.6, R 200 ms), retriggered every 0.5 s
 *     by one shared 2 Hz square clock (gate high 0.25 s, low 0.25 s).
 * Voices are summed by a tree of 8-input mixers; the root's master is 1/N.
 *
 * The polyphonic form (issue #12, `canonicalPolyPatch`): the same voices built the way a VCV Rack user
 * patches many voices, from 16-channel polyphonic modules, N/16 of each. Per group g of 16 voices
 * (voices i = 16g … 16g+15): a `merge` of 16 constant pitches (i mod 24)/12 V into one poly vco (coarse
 * −15, so channel i plays 110 Hz × 2^((i mod 24)/12)), saw → poly vcf (same params) → poly vca, cv from a
 * poly adsr; the vcf's linfm from a poly 0.5 Hz lfo; then a `sum` per group. Shared by every group: the
 * 2 Hz clock lfo, the 24 constant pitches (attenuverters, unpatched: offset k/12 V), a `merge` copying the
 * clock's square to 16 gate channels, and a `merge` of 16 channels of 0 V into the lfo's rate input
 * (that is what makes the lfo 16 channels wide). The group sums go through the same 8-input mixer tree,
 * root master 1/N, so canonical-poly-N renders the same voices at the same level as canonical-N.
 *
 * `node dist/bench/canonical.js` writes bench/patches/canonical-{1,16,64,256}.json and
 * canonical-poly-{16,64,256}.json; `node dist/bench/canonical.js --check` exits 1 if the files on disk
 * differ from the generator.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hzToVolts } from '../src/dsp/pitch';
import { PATCH_FORMAT, PATCH_VERSION } from '../src/plan/patch';

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
  const level: string[] = [];
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
  mixTree(doc, level, voices);
  return doc;
}

/** Sums `level` (output port names) by a tree of 8-input mixers, root master 1/voices, into the output module. */
function mixTree(doc: Doc, sources: string[], voices: number): void {
  let level = sources;
  let depth = 0;
  do {
    const next: string[] = [];
    for (let g = 0; g < level.length; g += 8) {
      const id = `mix${depth}_${g / 8}`;
      const isRoot = level.length <= 8;
      doc.modules.push({ id, type: 'mixer', ...(isRoot ? { params: { master: 1 / voices } } : {}) });
      level.slice(g, g + 8).forEach((src, k) => doc.cables.push({ from: src, to: `${id}.in${k + 1}` }));
      next.push(`${id}.out`);
    }
    level = next;
    depth++;
  } while (level.length > 1);
  doc.modules.push({ id: 'out', type: 'output' });
  doc.cables.push({ from: level[0], to: 'out.left' });
}

/** Voices per polyphonic module (the engine's channel limit). */
export const POLY_WIDTH = 16;

/** The polyphonic form of the canonical workload: N/16 of each 16-channel module (N a multiple of 16). */
export function canonicalPolyPatch(voices: number): Doc {
  if (!Number.isInteger(voices) || voices < POLY_WIDTH || voices % POLY_WIDTH) throw new Error(`canonical-poly: voices must be a multiple of ${POLY_WIDTH}, got ${voices}`);
  const doc: Doc = { format: PATCH_FORMAT, version: PATCH_VERSION, name: `canonical workload, polyphonic form, ${voices} voices (${voices / POLY_WIDTH} × ${POLY_WIDTH} channels)`, seed: 1, modules: [], cables: [] };
  const add = (id: string, type: string, params?: Record<string, number>) => doc.modules.push({ id, type, ...(params ? { params } : {}) });
  const wire = (from: string, to: string) => doc.cables.push({ from, to });
  add('clock', 'lfo', { rate: 2 });
  // 16 gate channels, each the clock's square.
  add('gates', 'merge', { channels: POLY_WIDTH });
  for (let c = 1; c <= POLY_WIDTH; c++) wire('clock.sqr', `gates.in${c}`);
  // 16 channels of 0 V: the rate CV that makes each lfo 16 channels wide (rate stays the param, 0.5 Hz).
  add('zeros', 'merge', { channels: POLY_WIDTH });
  // The 24 pitches of the mono form's coarse −15 + (i mod 24), as 1 V/oct offsets above coarse −15.
  const distinct = Math.min(24, voices);
  for (let k = 0; k < distinct; k++) add(`note${k}`, 'attenuverter', { offset: k / 12 });
  const sums: string[] = [];
  for (let g = 0; g < voices / POLY_WIDTH; g++) {
    add(`pitch${g}`, 'merge', { channels: POLY_WIDTH });
    for (let c = 0; c < POLY_WIDTH; c++) wire(`note${(g * POLY_WIDTH + c) % 24}.out`, `pitch${g}.in${c + 1}`);
    add(`osc${g}`, 'vco', { coarse: -15 });
    add(`sweep${g}`, 'lfo', { rate: 0.5 });
    add(`filter${g}`, 'vcf', { cutoff: hzToVolts(1200), linFmHz: 120, res: 0.5 });
    add(`env${g}`, 'adsr', { attack: 0.01, decay: 0.1, sustain: 0.6, release: 0.2 });
    add(`amp${g}`, 'vca');
    add(`voices${g}`, 'sum');
    wire(`pitch${g}.out`, `osc${g}.pitch`);
    wire('zeros.out', `sweep${g}.rate`);
    wire(`osc${g}.saw`, `filter${g}.in`);
    wire(`sweep${g}.sin`, `filter${g}.linfm`);
    wire('gates.out', `env${g}.gate`);
    wire(`filter${g}.lp`, `amp${g}.in`);
    wire(`env${g}.env`, `amp${g}.cv`);
    wire(`amp${g}.out`, `voices${g}.in`);
    sums.push(`voices${g}.out`);
  }
  mixTree(doc, sums, voices);
  return doc;
}

export const CANONICAL_VOICES = [1, 16, 64, 256];
export const CANONICAL_POLY_VOICES = [16, 64, 256];

/** Every generated file: name → text. */
export function canonicalFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const n of CANONICAL_VOICES) files.set(`canonical-${n}.json`, JSON.stringify(canonicalPatch(n), null, 1) + '\n');
  for (const n of CANONICAL_POLY_VOICES) files.set(`canonical-poly-${n}.json`, JSON.stringify(canonicalPolyPatch(n), null, 1) + '\n');
  return files;
}

export const PATCH_DIR = join(__dirname, '../../bench/patches');

if (require.main === module) {
  const files = canonicalFiles();
  if (process.argv.includes('--check')) {
    const stale = [...files].filter(([name, text]) => !existsSync(join(PATCH_DIR, name)) || readFileSync(join(PATCH_DIR, name), 'utf8') !== text).map(([name]) => name);
    if (stale.length) {
      console.error(`bench/patches out of date (run node dist/bench/canonical.js): ${stale.join(', ')}`);
      process.exit(1);
    }
    console.log(`bench/patches: ${files.size} files match the generator`);
  } else {
    mkdirSync(PATCH_DIR, { recursive: true });
    for (const [name, text] of files) writeFileSync(join(PATCH_DIR, name), text);
    console.log(`wrote ${[...files.keys()].join(', ')} to bench/patches`);
  }
}
