/** Multi-worker engine benchmarks (issue #3). Each function returns a section for bench/run.ts. */
import { Worker } from 'node:worker_threads';
import { canonicalPatch } from './canonical';
import { median, type BenchSection } from './report';
import { validatePatch, type Patch } from '../src/plan/patch';
import { Engine } from '../src/engine/engine';
import { WorkerPool } from '../src/engine/pool';

const SR = 48000;

async function timeRender(patch: Patch, workers: number, seconds: number, repeats: number, block: number): Promise<{ wall: number; engine: Engine }> {
  const engine = await Engine.start({ workers });
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    await engine.load(patch, { sampleRate: SR, blockSize: block });
    times.push(engine.render(seconds * SR).seconds);
  }
  return { wall: median(times), engine };
}

export async function canonicalParallel(seconds: number, repeats: number, voicesList = [16, 64, 256]): Promise<BenchSection> {
  const rows: (string | number)[][] = [];
  for (const voices of voicesList) {
    const patch = validatePatch(canonicalPatch(voices));
    const one = await timeRender(patch, 1, seconds, repeats, 64);
    await one.engine.close();
    const two = await timeRender(patch, 2, seconds, repeats, 64);
    const used = two.engine.currentPlan!.workers;
    await two.engine.close();
    rows.push([voices, (seconds / one.wall).toFixed(2), (seconds / two.wall).toFixed(2), used, (one.wall / two.wall).toFixed(2)]);
  }
  return {
    name: 'canonical workload: 1 vs 2 workers (speedup = wall(1) / wall(2))',
    settings: { sampleRate: SR, block: 64, seconds, repeats, statistic: 'median wall time' },
    columns: ['voices', 'x realtime (1w)', 'x realtime (2w)', 'workers used', 'speedup'],
    rows,
  };
}

/** 64 VCAs in one chain: a patch of tiny modules. 2 workers must not be slower than 1. */
export function tinyChain(n = 64): Patch {
  const modules: { id: string; type: string }[] = [{ id: 'src', type: 'lfo' }];
  const cables: { from: string; to: string }[] = [];
  for (let i = 0; i < n; i++) {
    modules.push({ id: `vca${i}`, type: 'vca' });
    cables.push({ from: i === 0 ? 'src.sin' : `vca${i - 1}.out`, to: `vca${i}.in` });
  }
  modules.push({ id: 'out', type: 'output' });
  cables.push({ from: `vca${n - 1}.out`, to: 'out.left' });
  return validatePatch({ format: 'modsynth-patch', version: 1, modules, cables });
}

export async function tinyModules(seconds: number, repeats: number): Promise<BenchSection> {
  const rows: (string | number)[][] = [];
  const patch = tinyChain();
  const walls: number[] = [];
  for (const w of [0, 1, 2]) {
    const { wall, engine } = await timeRender(patch, w, seconds, repeats, 64);
    rows.push([w, engine.currentPlan!.workers, (seconds / wall).toFixed(1), ((wall / ((seconds * SR) / 64)) * 1e6).toFixed(2)]);
    walls.push(wall);
    await engine.close();
  }
  rows.push(['2 vs 1', '', `${(walls[1] / walls[2]).toFixed(2)}x`, '']);
  return {
    name: '64 VCAs in one chain (tiny modules): workers 0, 1, 2',
    settings: { sampleRate: SR, block: 64, seconds, repeats },
    columns: ['workers', 'used', 'x realtime', 'us/block'],
    rows,
  };
}

/**
 * Scheduling overhead and hand-off cost per block: 2 workers, each with a near-empty chain (one VCA),
 * the second worker's module reading the first's output every block, forced onto separate workers.
 */
export async function handoff(seconds: number, repeats: number): Promise<BenchSection> {
  const rows: (string | number)[][] = [];
  for (const block of [64, 128, 256]) {
    const blocks = Math.round((seconds * SR) / block);
    const single = await timeRender(tinyChain(2), 1, seconds, repeats, block);
    await single.engine.close();
    // Force a cross-worker cable: two workers, chain split at the middle.
    const engine = await Engine.start({ workers: 2 });
    const times: number[] = [];
    for (let r = 0; r < repeats; r++) {
      await engine.loadForced(tinyChain(2), { sampleRate: SR, blockSize: block }, (order) => order.map((_, i) => (i < 2 ? 0 : 1)));
      times.push(engine.render(seconds * SR).seconds);
    }
    const st = engine.stats();
    await engine.close();
    const perBlockSingle = (single.wall / blocks) * 1e6, perBlockTwo = (median(times) / blocks) * 1e6;
    rows.push([block, perBlockSingle.toFixed(2), perBlockTwo.toFixed(2), (perBlockTwo - perBlockSingle).toFixed(2), st.perWorker.map((w) => w.sleeps).join('/')]);
  }
  return {
    name: 'hand-off: near-empty chain on 1 worker vs split across 2 (one cross-worker cable)',
    settings: { sampleRate: SR, seconds, repeats, note: 'us per block, wall; cost = split − single; sleeps = Atomics.wait calls per worker' },
    columns: ['block', '1 worker us', '2 workers us', 'hand-off us', 'sleeps'],
    rows,
  };
}

/** Cold spawn of a worker (thread + module code + JIT warm-up) vs placing a module on a warm worker. */
export async function spawnVsPlace(repeats: number): Promise<BenchSection> {
  const cold: number[] = [], bare: number[] = [], place: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const pool = await WorkerPool.start(1);
    cold.push(performance.now() - t0);
    await pool.close();
    const t1 = performance.now();
    await new Promise<void>((resolve) => {
      const w = new Worker('process.exit(0)', { eval: true });
      w.once('online', () => {
        bare.push(performance.now() - t1);
        resolve();
      });
    });
  }
  const engine = await Engine.start({ workers: 1 });
  const base = tinyChain(8);
  await engine.load(base, { sampleRate: SR, blockSize: 128 });
  for (let r = 0; r < Math.max(5, repeats * 3); r++) {
    const grown = validatePatch({ format: 'modsynth-patch', version: 1, modules: [...base.modules, { id: `extra${r}`, type: 'vco' }], cables: base.cables });
    const t = performance.now();
    await engine.load(grown, { sampleRate: SR, blockSize: 128 });
    place.push(performance.now() - t);
  }
  await engine.close();
  return {
    name: 'cold worker spawn vs placing a module on a warm worker',
    settings: { repeats, note: 'place = compile + install a plan with one more module into the running worker (no thread created)' },
    columns: ['what', 'median ms'],
    rows: [
      ['bare thread spawn (online)', median(bare).toFixed(2)],
      ['cold worker: spawn + load modules + JIT warm-up', median(cold).toFixed(2)],
      ['place a module on a warm worker', median(place).toFixed(3)],
    ],
  };
}
