/**
 * Hot reload of user modules while `play` or `serve` runs with --module-dir: each directory is watched
 * (fs.watch); a module file that changed (debounced RELOAD_DEBOUNCE_MS, so an editor's save lands whole)
 * is read, evaluated, validated and module-tested off the audio path. If it passes and keeps its ports
 * and param names, it is installed on this thread, and every worker that runs a module of its type is
 * handed over to a new thread started with the new code (old code cannot be unloaded from a thread):
 * the new thread loads and warms the worker's modules while the old one plays on, then takes over at a
 * block edge (Supervisor.handover), so no block is silent and the rest of the patch is untouched. A
 * version that faults in that warm-up is refused before the swap. For PROBATION_SECONDS of audio after
 * the swap the new version is on probation: if a module of its type faults (throws, NaN/±Inf, hangs,
 * exhausts its heap), the previous version is restored on its workers (the module is silent from the
 * fault until then, as for any fault) and the failure is reported. Every refusal and rollback is printed
 * on stderr and sent to /notify subscribers (/module/reload-failed); the browser rack shows them.
 * Reloads run one at a time. Control thread; nothing here runs per block.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { extname, join, resolve } from 'node:path';
import type { Engine } from '../engine/engine';
import type { OscServer } from '../control/osc-server';
import type { AnyModule } from '../sdk/module-api';
import { findModule } from '../modules';
import { readModuleSource } from '../user-modules/load';
import { describeSource, installUserModule, sourceOf, typeOfFile, userModuleSources } from '../user-modules/install';
import { firstFailure, runModuleTest, startTestThread } from '../user-modules/module-test';
import type { FaultEvent } from '../engine/supervisor';
import { ModuleFileError, MODULE_EXTENSIONS, type UserModuleSource } from '../user-modules/source';

export const RELOAD_DEBOUNCE_MS = 200;

/** Seconds of audio after a swap during which a fault of the new version rolls it back. */
export const PROBATION_SECONDS = 2;

/** Blocks a new thread warms the modules it takes over on (a private arena) before the hand-over. */
const WARM_BLOCKS = 200;

/** The part of a descriptor a running plan depends on: its ports and param names. */
function shape(d: AnyModule): string {
  return JSON.stringify([d.inputs, d.outputs, Object.keys(d.params)]);
}

interface Version {
  source: UserModuleSource;
  desc: AnyModule;
}

/** A version just swapped in, until PROBATION_SECONDS of audio have played without a fault. */
interface Probation {
  file: string;
  ids: ReadonlySet<string>;
  fromBlock: number;
  untilBlock: number;
  /** The last version that played through its probation (what a rollback restores). */
  previous: Version;
  /** Ends the probation (PROBATION_SECONDS after the swap). */
  timer: NodeJS.Timeout;
}

/** Milliseconds of each step of a reload, for the `reloaded:` line (and bench/reload.ts). */
export interface ReloadSteps {
  read: number;
  test: number;
  thread: number;
  swap: number;
}

export class ModuleReloader {
  private readonly watchers: FSWatcher[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private chain: Promise<void> = Promise.resolve();
  private spares: Promise<void> = Promise.resolve();
  private readonly probation = new Map<string, Probation>();
  /** A module-test thread started ahead, for the next reload. */
  private testThread: Promise<Worker> | undefined;
  private closed = false;

  constructor(
    private readonly engine: Engine,
    private readonly server: OscServer | undefined,
    dirs: readonly string[],
    private readonly say: (line: string) => void,
  ) {
    for (const dir of dirs.map((d) => resolve(d))) {
      const w = watch(dir, (_event, name) => {
        if (!name) return;
        const n = name.toString();
        if (n.startsWith('.') || n.endsWith('.d.ts') || !(MODULE_EXTENSIONS as readonly string[]).includes(extname(n))) return;
        this.changed(join(dir, n));
      });
      w.on('error', (e) => console.error(`modsynth: watching ${dir} stopped: ${e.message}`));
      this.watchers.push(w);
    }
    engine.supervisor?.onEvent((e) => this.onFault(e));
    if (this.watchers.length) this.testThread = startTestThread();
  }

  private changed(file: string): void {
    clearTimeout(this.timers.get(file));
    this.timers.set(
      file,
      setTimeout(() => {
        this.timers.delete(file);
        this.chain = this.chain.then(() => this.reload(file)).catch((e: Error) => this.refuse(file, e.message));
      }, RELOAD_DEBOUNCE_MS),
    );
  }

  private refuse(file: string, reason: string): void {
    console.error(`modsynth: reload of ${file} refused: ${reason}; the old version keeps playing`);
    this.server?.event('/module/reload-failed', [file, reason, typeOfFile(file)]);
  }

  /** Loads, tests and swaps in one changed file. */
  async reload(file: string): Promise<void> {
    if (this.closed) return;
    const t0 = performance.now();
    let desc: AnyModule;
    let source: UserModuleSource;
    try {
      if (statSync(file).size === 0) return; // being written (truncated first): its write comes next
      source = await readModuleSource(file);
      desc = describeSource(source);
    } catch (e) {
      if (e instanceof ModuleFileError) return this.refuse(file, e.reason);
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // removed or renamed: the old version stays
      throw e;
    }
    const t1 = performance.now();
    const type = desc.type, old = sourceOf(type);
    if (!old && findModule(type)) return this.refuse(file, `${type} is a built-in module type`);
    if (old && old.file !== file) return this.refuse(file, `${type} is already defined by ${old.file}`);
    const before = findModule(type) as AnyModule | undefined;
    if (before && shape(before) !== shape(desc)) return this.refuse(file, `${type} changed its ports or param names; restart with the patch to use them`);
    if (this.closed) return;
    const plan = this.engine.currentPlan, pool = this.engine.pool, supervisor = this.engine.supervisor;
    const workers = pool && supervisor ? [...new Set((plan?.modules ?? []).filter((m) => m.type === type).map((m) => m.worker))] : [];
    await this.spares; // the last reload's spares are ready (they are replaced below)
    // module-test (in the thread started ahead) and the new threads' start-up run at the same time; the
    // threads get the new source (not installed here until it passed).
    const sources = old ? userModuleSources().map((s) => (s === old ? source : s)) : [...userModuleSources(), source];
    const thread = this.testThread ?? startTestThread();
    this.testThread = undefined;
    let testMs = 0, threadMs = 0;
    const [report, fresh] = await Promise.all([
      thread.then((w) => runModuleTest(source, w)).then((r) => ((testMs = performance.now() - t1), r)),
      workers.length ? pool!.spawnFor(workers.length, sources).then((f) => ((threadMs = performance.now() - t1), f)) : Promise.resolve([]),
    ]);
    if (!this.closed) this.testThread = startTestThread(); // for the next reload
    const failure = firstFailure(report);
    if (failure || this.closed) {
      pool?.discard(fresh);
      if (failure) this.refuse(file, failure.startsWith(`${file}: `) ? failure.slice(file.length + 2) : failure);
      return;
    }
    const t2 = performance.now();
    // What a rollback restores: the version before, unless that one is itself still on probation.
    const previous: Version | undefined = this.probation.get(type)?.previous ?? (old && before ? { source: old, desc: before } : undefined);
    this.endProbation(type);
    installUserModule(source, desc);
    let block: number | undefined;
    let seamless = true;
    if (pool && supervisor && workers.length) {
      const done: number[] = [];
      for (const [i, w] of workers.entries()) {
        const r = await supervisor.handover(w, fresh[i], WARM_BLOCKS);
        if (!r.ok) {
          pool.discard(fresh.slice(i + 1));
          await this.restore(previous, done);
          return this.refuse(file, r.reason);
        }
        done.push(w);
        seamless &&= r.seamless;
        if (r.block !== undefined) block = Math.max(block ?? 0, r.block);
      }
    }
    // Spares for later fault replacements get the new code too, off the swap's path.
    if (pool) this.spares = pool.renewSpares(0).catch((e: Error) => console.error(`modsynth: warming spares after the reload failed: ${e.message}`));
    const t4 = performance.now();
    const B = plan?.blockSize ?? 128, sr = plan?.sampleRate ?? 48000;
    const frame = (block ?? 0) * B;
    const steps: ReloadSteps = { read: t1 - t0, test: testMs, thread: threadMs, swap: t4 - t2 };
    const where = block === undefined ? 'no module of that type is playing' : `playing from frame ${frame} (${(frame / sr).toFixed(3)} s)${seamless ? ', handed over at a block edge' : ', after a gap'}`;
    this.say(
      `reloaded: ${type} from ${file} on ${workers.length} new worker(s), ${where}; ${(t4 - t0).toFixed(0)} ms after the file settled ` +
        `(read ${steps.read.toFixed(0)}, then module-test ${steps.test.toFixed(0)} beside the new thread's start ${steps.thread.toFixed(0)}, then warm-up and hand-over ${steps.swap.toFixed(0)} ms)`,
    );
    this.server?.event('/module/reloaded', [type, file, frame]);
    if (block !== undefined && previous && plan && supervisor) {
      // On probation: a fault of these modules is not restarted with the new code (Supervisor.held).
      const ids = new Set(plan.modules.filter((m) => m.type === type).map((m) => m.id));
      for (const id of ids) supervisor.held.add(id);
      const timer = setTimeout(() => this.endProbation(type), PROBATION_SECONDS * 1000 + 500);
      timer.unref();
      this.probation.set(type, { file, ids, fromBlock: block, untilBlock: block + Math.ceil((PROBATION_SECONDS * sr) / B), previous, timer });
    }
  }

  /** The new version of `type` played through its probation, or was replaced or rolled back. */
  private endProbation(type: string): void {
    const p = this.probation.get(type);
    if (!p) return;
    this.probation.delete(type);
    clearTimeout(p.timer);
    for (const id of p.ids) this.engine.supervisor?.held.delete(id);
  }

  /** A fault of a module whose type is on probation rolls its version back. */
  private onFault(e: FaultEvent): void {
    if (e.type !== 'fault' || this.closed) return;
    for (const [type, p] of this.probation) {
      if (!p.ids.has(e.id)) continue;
      if (e.block < p.fromBlock || e.block >= p.untilBlock) continue; // an ordinary fault
      this.probation.delete(type);
      clearTimeout(p.timer);
      const plan = this.engine.currentPlan, B = plan?.blockSize ?? 128, sr = plan?.sampleRate ?? 48000;
      const what = `${e.kind} in ${e.id} at frame ${e.block * B} (${(((e.block - p.fromBlock) * B * 1000) / sr).toFixed(0)} ms after the swap)${e.detail ? ` [${e.detail}]` : ''}`;
      this.chain = this.chain
        .then(async () => {
          const workers = [...new Set((this.engine.currentPlan?.modules ?? []).filter((m) => m.type === type).map((m) => m.worker))];
          const back = await this.restore(p.previous, workers).finally(() => {
            for (const id of p.ids) this.engine.supervisor?.held.delete(id);
          });
          const when = back === undefined ? '' : ` from frame ${back * B}`;
          const reason = `the new version faulted in the patch: ${what}; the previous version plays again${when}`;
          console.error(`modsynth: reload of ${p.file} rolled back: ${reason}`);
          this.server?.event('/module/reload-failed', [p.file, reason, type]);
        })
        .catch((err: Error) => console.error(`modsynth: rolling back ${p.file} failed: ${err.message}`));
    }
  }

  /**
   * Puts `previous` back (installed here, and on these workers: each replaced by a thread started with
   * it, the fault history of its modules cleared); resolves with the block it plays from.
   */
  private async restore(previous: Version | undefined, workers: readonly number[]): Promise<number | undefined> {
    if (!previous) return undefined;
    installUserModule(previous.source, previous.desc);
    const pool = this.engine.pool, supervisor = this.engine.supervisor;
    if (!pool || !supervisor || this.closed || !workers.length) return undefined;
    // Threads with the previous code, without the generic warm-up (0.3-0.6 s rather than 1-3 s); the
    // spares get that code after, off the path.
    const fresh = await pool.spawnFor(workers.length);
    let block: number | undefined;
    for (const [i, w] of workers.entries()) {
      const at = await supervisor.renew(w, true, fresh[i]);
      if (at !== undefined) block = Math.max(block ?? 0, at);
    }
    await this.spares;
    this.spares = pool.renewSpares(0).catch((e: Error) => console.error(`modsynth: warming spares after the rollback failed: ${e.message}`));
    return block;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.watchers) w.close();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.chain.catch(() => undefined);
    await this.spares;
    for (const type of [...this.probation.keys()]) this.endProbation(type);
    const t = this.testThread;
    this.testThread = undefined;
    await t?.then((w) => w.terminate()).catch(() => undefined);
  }
}
