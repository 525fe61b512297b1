/**
 * `node dist/bench/user-modules.js [--blocks N] [--repeats R]`: the cost of user modules.
 * - Per block: each example module's kernel against the built-in module doing the same job (Faust's
 *   Zita reverb vs the built-in reverb, the Faust Butterworth lowpass vs the built-in VCF, the
 *   TypeScript wavefolder vs the built-in distortion), µs per 128-frame block on one thread after a
 *   warm-up, lively inputs (the harness module-test uses), median of the repeats. For Faust this is
 *   the whole edge: param check, copy in (×0.2, clamp), `compute`, copy out (×5, finiteness).
 * - Load: transpile (sucrase) or compile (Faust) time, and the time of module-test on the file.
 * Prints the table and writes bench/results/user-modules-*.json.
 */
import { join } from 'node:path';
import { findModule } from '../src/modules';
import type { AnyModule } from '../src/sdk/module-api';
import { makeHarness, blockRunner } from '../src/user-modules/harness';
import { prepareModule, readModuleSource } from '../src/user-modules/load';
import { runModuleTest } from '../src/user-modules/module-test';
import { machine, median, printSection, writeResults, type BenchSection } from './report';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const BLOCKS = arg('--blocks', 20_000);
const REPEATS = arg('--repeats', 5);
const B = 128;
const DIR = join(__dirname, '../../examples/modules');

function usPerBlock(desc: AnyModule): number {
  const run = blockRunner(desc, makeHarness(desc, B));
  run(0, 5000); // warm-up: JIT (and Liftoff → TurboFan for WebAssembly)
  const times: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    run(5000 + r * BLOCKS, BLOCKS);
    times.push(((performance.now() - t0) * 1000) / BLOCKS);
  }
  return median(times);
}

async function main(): Promise<void> {
  console.log(`# user modules\nmachine: ${JSON.stringify(machine())}`);
  const pairs: [string, string][] = [['zita.dsp', 'reverb'], ['lowpass.dsp', 'vcf'], ['wavefolder.ts', 'distortion'], ['chord-osc.ts', 'vco']];
  const costRows: (string | number)[][] = [];
  const loadRows: (string | number)[][] = [];
  for (const [file, builtin] of pairs) {
    const path = join(DIR, file);
    const t0 = performance.now();
    const src = await readModuleSource(path);
    const readMs = performance.now() - t0;
    const { desc } = await prepareModule(path, { test: false });
    const t1 = performance.now();
    const report = await runModuleTest(src);
    const testMs = performance.now() - t1;
    loadRows.push([file, src.kind === 'faust' ? 'Faust compile' : 'sucrase', readMs.toFixed(1), testMs.toFixed(0), report.ok ? 'pass' : 'FAIL']);
    const user = usPerBlock(desc);
    const ref = usPerBlock(findModule(builtin)!);
    costRows.push([desc.type, user.toFixed(2), builtin, ref.toFixed(2), (user / ref).toFixed(2), ((user / ((B / 48000) * 1e6)) * 100).toFixed(2)]);
  }
  const sections: BenchSection[] = [
    {
      name: 'user module kernels against the built-in module doing the same job (one thread, per 128-frame block)',
      settings: { sampleRate: 48000, block: B, blocks: BLOCKS, repeats: REPEATS, statistic: 'median' },
      columns: ['user module', 'us/block', 'built-in', 'us/block', 'ratio', '% of a block (2.67 ms)'],
      rows: costRows,
    },
    {
      name: 'loading a user module: read + transpile or compile (first file of a process includes starting the Faust compiler), and module-test',
      settings: { note: 'module-test includes the 20,000-block allocation check' },
      columns: ['file', 'step', 'read ms', 'module-test ms', 'result'],
      rows: loadRows,
    },
  ];
  sections.forEach(printSection);
  console.log(`results: ${writeResults(sections, 'user-modules')}`);
  process.exit(0);
}

void main();
