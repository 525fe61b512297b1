/**
 * Hot reload of user modules while `play` or `serve` runs with --module-dir: each directory is watched
 * (fs.watch); a module file that changed (debounced RELOAD_DEBOUNCE_MS, so an editor's save lands whole)
 * is read, evaluated, validated and module-tested off the audio path. If it passes and keeps its ports
 * and param names, it is installed on this thread, fresh spares are warmed with the new code, and every
 * worker that runs a module of its type is replaced by one of them (old code cannot be unloaded from a
 * thread): those modules are silent from the swap's first block until the new thread starts, then play
 * the new code with their params. Otherwise the old version keeps playing and the refusal is printed
 * on stderr and sent to /notify subscribers (/module/reload-failed). Reloads run one at a time.
 * Control thread; nothing here runs per block.
 */
import { watch, type FSWatcher } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { Engine } from '../engine/engine';
import type { OscServer } from '../control/osc-server';
import type { AnyModule } from '../sdk/module-api';
import { findModule } from '../modules';
import { prepareModule } from '../user-modules/load';
import { installUserModule, sourceOf } from '../user-modules/install';
import { ModuleFileError, MODULE_EXTENSIONS, type UserModuleSource } from '../user-modules/source';

export const RELOAD_DEBOUNCE_MS = 200;

/** The part of a descriptor a running plan depends on: its ports and param names. */
function shape(d: AnyModule): string {
  return JSON.stringify([d.inputs, d.outputs, Object.keys(d.params)]);
}

export class ModuleReloader {
  private readonly watchers: FSWatcher[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private chain: Promise<void> = Promise.resolve();
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
    this.server?.event('/module/reload-failed', [file, reason]);
  }

  /** Loads, tests and swaps in one changed file. */
  async reload(file: string): Promise<void> {
    if (this.closed) return;
    const t0 = performance.now();
    let desc: AnyModule;
    let source: UserModuleSource;
    try {
      ({ desc, source } = await prepareModule(file));
    } catch (e) {
      if (e instanceof ModuleFileError) return this.refuse(file, e.reason);
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // removed or renamed: the old version stays
      throw e;
    }
    const type = desc.type, old = sourceOf(type);
    if (!old && findModule(type)) return this.refuse(file, `${type} is a built-in module type`);
    if (old && old.file !== file) return this.refuse(file, `${type} is already defined by ${old.file}`);
    const before = findModule(type) as AnyModule | undefined;
    if (before && shape(before) !== shape(desc)) return this.refuse(file, `${type} changed its ports or param names; restart with the patch to use them`);
    if (this.closed) return;
    installUserModule(source, desc);
    const plan = this.engine.currentPlan, pool = this.engine.pool, supervisor = this.engine.supervisor;
    const workers = [...new Set((plan?.modules ?? []).filter((m) => m.type === type).map((m) => m.worker))];
    let block: number | undefined;
    if (pool && supervisor && workers.length) {
      await pool.renewSpares(workers.length);
      for (const w of workers) {
        const at = await supervisor.renew(w);
        if (at !== undefined) block = Math.max(block ?? 0, at);
      }
    } else if (pool) await pool.renewSpares(0); // later workers start with the new code
    const B = plan?.blockSize ?? 128, sr = plan?.sampleRate ?? 48000;
    const frame = (block ?? 0) * B;
    const where = block === undefined ? 'no module of that type is playing' : `playing from frame ${frame} (${(frame / sr).toFixed(3)} s)`;
    this.say(`reloaded: ${type} from ${file} on ${workers.length} new worker(s), ${where}; ${(performance.now() - t0).toFixed(0)} ms after the file settled`);
    this.server?.event('/module/reloaded', [type, file, frame]);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.watchers) w.close();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.chain.catch(() => undefined);
  }
}
