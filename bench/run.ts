/**
 * `npm run bench`: the whole benchmark suite. Prints tables (with machine and settings) and writes JSON
 * to bench/results/. Options: --quick (short renders, for a smoke run), --seconds S, --repeats R,
 * --only a,b, --voices 64,256 (parallel, peers). `--only adversarial` (issue 17) takes --parts
 * loads,edits,amplification,idle,faults (default all; each part fits a 5-minute hold of the CPU lock
 * except the 5,000 edits), --edits N, --idle-patch FILE, --idle-seconds S, --fault-kinds
 * throw,nan,hang,heap and --fault-repeats N.
 * `--only peers` (bench/peers.ts: Modsynth beside scsynth/supernova, issue #12) runs only when named:
 * at the defaults (60 s, 64 and 256 voices, 3 repeats) it takes about an hour.
 */
import { faultRecovery } from './faults';
import { canonicalPatch, CANONICAL_VOICES } from './canonical';
import { machine, median, printSection, writeResults, type BenchSection } from './report';
import { validatePatch } from '../src/plan/patch';
import { compilePatch } from '../src/plan/compile';
import { renderOffline } from '../src/engine/local-backend';
import { canonicalParallel, handoff, spawnVsPlace, tinyModules } from './engine';
import { heapFlat } from './heap';
import { realtimeOutput } from './realtime';
import { oscControl } from './osc';
import { polyphony } from './poly';
import { pulseLoss } from './pulse-loss';
import { peers } from './peers';
import { latency } from './latency';
import { adversarial } from './adversarial';
import { reloadSwaps } from './reload';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const quick = process.argv.includes('--quick');
const seconds = arg('--seconds', quick ? 2 : 60);
const repeats = arg('--repeats', quick ? 1 : 3);
/** The single-threaded canonical table is one 60 s render per size unless asked (256 voices take minutes). */
const singleRepeats = arg('--single-repeats', 1);
const SR = 48000, BLOCK = 64;

function canonicalSingleThread(): BenchSection {
  const rows: (string | number)[][] = [];
  for (const voices of CANONICAL_VOICES) {
    const plan = compilePatch(validatePatch(canonicalPatch(voices)), { sampleRate: SR, blockSize: BLOCK });
    const times: number[] = [];
    for (let r = 0; r < singleRepeats; r++) times.push(renderOffline(plan, { frames: seconds * SR }).seconds);
    const t = median(times);
    rows.push([voices, plan.modules.length, t.toFixed(3), (seconds / t).toFixed(2), ((t / (seconds * SR / BLOCK)) * 1e6).toFixed(1)]);
  }
  return {
    name: 'canonical workload, single-threaded offline render (workers 0)',
    settings: { sampleRate: SR, block: BLOCK, seconds, repeats: singleRepeats, statistic: 'median' },
    columns: ['voices', 'modules', 'wall s', 'x realtime', 'us/block'],
    rows,
  };
}

async function main(): Promise<void> {
  console.log(`# Modsynth benchmarks\nmachine: ${JSON.stringify(machine())}`);
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : undefined;
  const want = (name: string) => !only || only.includes(name);
  const sections: BenchSection[] = [];
  const add = (s: BenchSection) => {
    printSection(s);
    sections.push(s);
  };
  if (want('canonical')) add(canonicalSingleThread());
  const voicesArg = process.argv.indexOf('--voices');
  const voices = voicesArg >= 0 ? process.argv[voicesArg + 1].split(',').map(Number) : undefined;
  if (want('parallel')) add(await canonicalParallel(seconds, repeats, voices));
  if (want('poly')) add(await polyphony(Math.min(seconds, 20), repeats));
  if (want('tiny')) add(await tinyModules(Math.min(seconds, 20), repeats));
  if (want('handoff')) add(await handoff(Math.min(seconds, 10), repeats));
  if (want('spawn')) add(await spawnVsPlace(Math.max(repeats, 5)));
  if (want('heap')) add(await heapFlat(quick ? 10_000 : 100_000));
  if (want('osc')) for (const s of await oscControl(quick ? 2 : 3)) add(s);
  if (want('realtime')) add(await realtimeOutput(quick ? 5 : 60));
  if (want('faults')) add(await faultRecovery(quick ? 2 : 5));
  if (want('pulse-loss')) add(await pulseLoss(8, quick ? 1 : 5));
  if (want('latency')) for (const s of await latency(quick ? 5 : seconds, arg('--starts', quick ? 3 : 10))) add(s);
  if (want('adversarial')) {
    const list = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1].split(',') : undefined);
    const num = (name: string) => (process.argv.includes(name) ? arg(name, NaN) : undefined);
    const idlePatch = process.argv.includes('--idle-patch') ? process.argv[process.argv.indexOf('--idle-patch') + 1] : undefined;
    const o = { quick, parts: list('--parts'), edits: num('--edits'), idlePatch, idleSeconds: num('--idle-seconds'), faultKinds: list('--fault-kinds'), faultRepeats: num('--fault-repeats') };
    for (const s of await adversarial(o)) add(s);
  }
  if (want('reload')) for (const s of await reloadSwaps(quick ? 4 : 12, 3000)) add(s);
  if (only?.includes('peers')) for (const s of await peers({ voices, seconds, repeats })) add(s);
  console.log(`\nJSON: ${writeResults(sections)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
