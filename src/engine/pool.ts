/**
 * The pre-warmed pool of DSP worker threads. Threads are spawned and JIT-warmed once, when the engine
 * starts; loading a plan, adding, moving or removing modules reuses them (no thread is created or ended).
 * Warm spares wait aside: when a worker hangs or dies, `replace` puts a spare in its place at once and
 * warms a new spare in the background (a cold spawn with JIT warm-up takes ~400 ms).
 * Control thread only; nothing here runs per block.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { join } from 'node:path';
import type { FromWorker, ToWorker, WorkerInit } from '../realtime/messages';
import { userModuleSources } from '../user-modules/install';
import { currentTid, processIsRealtime, setThreadPriorityAsync, WORKER_PRIORITY } from '../threads/thread-policy';

/**
 * Heap limit of a DSP worker (old generation). Kernels keep their state in typed arrays (outside this
 * heap); 256 voices of the canonical patch use about 20 MB. A module that leaks hits the limit quickly
 * and its worker dies with ERR_WORKER_OUT_OF_MEMORY (then it is replaced), before garbage collection
 * near the limit stalls it for long.
 */
export const WORKER_HEAP_MB = 64;

/** Delay before new spares are warmed after a replacement (keeps their start-up out of the recovery). */
const REFILL_DELAY_MS = 250;

const ENTRY = join(__dirname, '../realtime/worker-entry.js');

export interface PoolWorker {
  readonly thread: Worker;
  readonly threadId: number;
  /** Linux thread id (for scheduling policy), or -1. */
  readonly tid: number;
  readonly port: MessagePort;
  /** Milliseconds from spawn to warm and ready. */
  readonly startMs: number;
  readonly warmMs: number;
  /** Why the thread failed on its own, if it did (e.g. code ERR_WORKER_OUT_OF_MEMORY). */
  error?: Error & { code?: string };
}

export class WorkerPool {
  /** Threads spawned over the pool's life (stays equal to its size unless a worker is replaced). */
  spawned = 0;
  readonly workers: PoolWorker[] = [];
  /** Warm workers not in use, for `replace`. */
  readonly spares: PoolWorker[] = [];
  /** Workers replaced (terminated) over the pool's life. */
  replaced = 0;
  /** Called when a worker in `workers` exits or fails on its own (not through `replace` or `close`). */
  onExit: ((index: number, error: (Error & { code?: string }) | undefined) => void) | undefined;
  private readonly mailbox = new SharedArrayBuffer(4);
  private readonly wake = new Int32Array(this.mailbox);
  private refilling: Promise<void> | undefined;
  private closing = false;

  private constructor(
    private readonly spareTarget: number,
    /** Workers run the JIT warm-up (realtime/warmup.ts) before they report ready. */
    private readonly warm: boolean,
  ) {}

  /**
   * Spawns `size` workers, and with `warm` also the `spares`, and resolves when all are ready. Without
   * `warm` (offline renders: no deadline) no spare is spawned until a worker has to be replaced.
   * (Warming the spares in the background instead, to bring the first sound earlier, was tried and not
   * kept: with it, CI saw a 1 s `play` exit 134 and 3-5 underruns in the first 0.3 s on PipeWire; its
   * priority changes may go through `chrt` forks while audio starts.)
   */
  static async start(size: number, spares = 1, warm = true): Promise<WorkerPool> {
    const pool = new WorkerPool(spares, warm);
    const count = warm ? size + spares : size;
    const started = await Promise.all(Array.from({ length: count }, (_, i) => pool.spawn(i)));
    pool.workers.push(...started.slice(0, size));
    pool.spares.push(...started.slice(size));
    return pool;
  }

  /** Grows the pool to at least `size` workers (cold spawns; at load time, not while playing). */
  async grow(size: number): Promise<void> {
    const more = await Promise.all(Array.from({ length: Math.max(0, size - this.workers.length) }, (_, i) => this.spawn(this.workers.length + i)));
    this.workers.push(...more);
  }

  /**
   * Puts a warm spare in place of worker `w` and terminates the old thread in the background (a hung
   * one included: terminate interrupts running JavaScript). A new spare is warmed in the background at
   * once; with none ready (faults in quick succession), this waits for a cold one (its start-up and JIT
   * warm-up: about 2 s on the 2-core test machines, see the faults bench).
   */
  async replace(w: number): Promise<{ fresh: PoolWorker; old: PoolWorker }> {
    const old = this.workers[w];
    old.port.close();
    const ending = old.thread.terminate().catch(() => 0);
    this.terminating.add(ending);
    void ending.finally(() => this.terminating.delete(ending));
    const fresh = this.spares.shift() ?? (await this.spawn(w, true));
    this.workers[w] = fresh;
    this.replaced++;
    if (this.warm) this.refill();
    return { fresh, old };
  }

  /**
   * Replaces the spares by `count` (at least the spare target) fresh ones, warmed with the user module
   * code installed now (a module file was reloaded), in the background; resolves when they are ready.
   */
  async renewSpares(count: number): Promise<void> {
    await this.refilling;
    const fresh = await Promise.all(Array.from({ length: Math.max(count, this.spareTarget) }, () => this.spawn(-1, true)));
    for (const s of this.spares.splice(0, this.spares.length, ...fresh)) {
      s.port.close();
      void s.thread.terminate().catch(() => 0);
    }
  }

  /** Terminations still under way. */
  private readonly terminating = new Set<Promise<number>>();

  /**
   * Warms new spares up to the target, starting REFILL_DELAY_MS later (so the start-up work stays out
   * of the recovery that called it). Under SCHED_FIFO each spare is created at SCHED_OTHER (the main
   * thread drops to SCHED_OTHER around the thread's creation; threads inherit the creator's policy), so
   * its ~400 ms of start-up and JIT warm-up never competes with the audio threads, and is raised to
   * FIFO 5 once warm and asleep, so that taking it later costs nothing. `chrt` runs asynchronously.
   */
  private refill(): void {
    if (this.refilling || this.closing || this.spares.length >= this.spareTarget) return;
    this.refilling = (async () => {
      await new Promise((r) => setTimeout(r, REFILL_DELAY_MS));
      while (!this.closing && this.spares.length < this.spareTarget) {
        const s = await this.spawn(-1, true).catch(() => undefined);
        if (!s) break;
        if (this.closing) await s.thread.terminate();
        else this.spares.push(s);
      }
    })().finally(() => (this.refilling = undefined));
  }

  /** Spawns one warm worker (cold start: thread, module code, JIT warm-up). */
  async spawn(index: number, background = false): Promise<PoolWorker> {
    const t0 = performance.now();
    const { port1, port2 } = new MessageChannel();
    const init: WorkerInit = { mailbox: this.mailbox, port: port2, index, warm: this.warm, userModules: userModuleSources() };
    // A spare warmed while audio plays is created at SCHED_OTHER (threads inherit the creating thread's
    // policy): its start-up and JIT warm-up must not compete with the real-time threads. It gets FIFO
    // back when it replaces a worker (see thread-policy.ts).
    const demote = background && processIsRealtime();
    if (demote) await setThreadPriorityAsync(currentTid(), 0);
    let thread: Worker;
    try {
      thread = new Worker(ENTRY, { workerData: init, transferList: [port2], resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    } finally {
      if (demote) await setThreadPriorityAsync(currentTid(), WORKER_PRIORITY);
    }
    this.spawned++;
    const ready = await new Promise<Extract<FromWorker, { type: 'ready' }>>((resolve, reject) => {
      port1.once('message', (m: FromWorker) => (m.type === 'ready' ? resolve(m) : reject(new Error(`worker ${index}: ${JSON.stringify(m)}`))));
      thread.once('error', reject);
      thread.once('exit', (code) => reject(new Error(`worker ${index} exited with code ${code} while starting`)));
    });
    thread.removeAllListeners('error');
    thread.removeAllListeners('exit');
    // A worker that fails on its own (heap exhausted, uncaught error) is reported to the supervisor.
    const worker: PoolWorker = { thread, threadId: ready.threadId, tid: ready.tid, port: port1, startMs: performance.now() - t0, warmMs: ready.warmMs };
    thread.on('error', (e: Error & { code?: string }) => (worker.error = e));
    thread.on('exit', () => {
      const at = this.workers.indexOf(worker);
      if (at >= 0 && !this.closing) this.onExit?.(at, worker.error);
    });
    if (demote) await setThreadPriorityAsync(worker.tid, WORKER_PRIORITY);
    return worker;
  }

  /** Sends a control message and wakes the worker. */
  send(w: number, msg: ToWorker): void {
    this.workers[w].port.postMessage(msg);
    this.kick();
  }

  /** Sends and waits for the reply of the given type. */
  request<T extends FromWorker['type']>(w: number, msg: ToWorker, replyType: T): Promise<Extract<FromWorker, { type: T }>> {
    return new Promise((resolve, reject) => {
      const port = this.workers[w].port;
      const onMessage = (m: FromWorker) => {
        if (m.type === replyType) {
          port.off('message', onMessage);
          resolve(m as Extract<FromWorker, { type: T }>);
        } else if (m.type === 'error') {
          port.off('message', onMessage);
          reject(new Error(`worker ${w}: ${m.message}`));
        }
      };
      port.on('message', onMessage);
      this.send(w, msg);
    });
  }

  /** Wakes every sleeping worker so it reads its mailbox and the run controls. RT-safe. */
  kick(): void {
    Atomics.add(this.wake, 0, 1);
    Atomics.notify(this.wake, 0);
  }

  get threadIds(): number[] {
    return this.workers.map((w) => w.threadId);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.refilling;
    await Promise.all(this.terminating);
    const all = [...this.workers, ...this.spares];
    this.spares.length = 0;
    // Each worker is asked to quit; one that does not within a second (hung, or already gone) is
    // terminated.
    await Promise.all(
      all.map(async (w) => {
        const exited = new Promise<void>((resolve) => w.thread.once('exit', () => resolve()));
        w.port.postMessage({ type: 'quit' } satisfies ToWorker);
        this.kick();
        const quit = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1000).unref())]);
        if (!quit) await w.thread.terminate().catch(() => undefined);
      }),
    );
    for (const w of all) w.port.close();
    this.workers.length = 0;
  }
}
