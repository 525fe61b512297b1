/**
 * The pre-warmed pool of DSP worker threads. Threads are spawned and JIT-warmed once, when the engine
 * starts; loading a plan, adding, moving or removing modules reuses them (no thread is created or ended).
 * Control thread only; nothing here runs per block.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { join } from 'node:path';
import type { FromWorker, ToWorker, WorkerInit } from '../realtime/worker-entry';

const ENTRY = join(__dirname, '../realtime/worker-entry.js');

export interface PoolWorker {
  readonly index: number;
  readonly thread: Worker;
  readonly threadId: number;
  readonly port: MessagePort;
  /** Milliseconds from spawn to warm and ready. */
  readonly startMs: number;
  readonly warmMs: number;
}

export class WorkerPool {
  /** Threads spawned over the pool's life (stays equal to its size unless a worker is replaced). */
  spawned = 0;
  readonly workers: PoolWorker[] = [];
  private readonly mailbox = new SharedArrayBuffer(4);
  private readonly wake = new Int32Array(this.mailbox);

  private constructor() {}

  /** Spawns `size` workers and resolves when all are warm. */
  static async start(size: number): Promise<WorkerPool> {
    const pool = new WorkerPool();
    const started = await Promise.all(Array.from({ length: size }, (_, i) => pool.spawn(i)));
    pool.workers.push(...started);
    return pool;
  }

  /** Spawns one warm worker (cold start: thread, module code, JIT warm-up). */
  async spawn(index: number): Promise<PoolWorker> {
    const t0 = performance.now();
    const { port1, port2 } = new MessageChannel();
    const init: WorkerInit = { mailbox: this.mailbox, port: port2, index };
    const thread = new Worker(ENTRY, { workerData: init, transferList: [port2], resourceLimits: { maxOldGenerationSizeMb: 256 } });
    this.spawned++;
    const ready = await new Promise<Extract<FromWorker, { type: 'ready' }>>((resolve, reject) => {
      port1.once('message', (m: FromWorker) => (m.type === 'ready' ? resolve(m) : reject(new Error(`worker ${index}: ${JSON.stringify(m)}`))));
      thread.once('error', reject);
      thread.once('exit', (code) => reject(new Error(`worker ${index} exited with code ${code} while starting`)));
    });
    thread.removeAllListeners('error');
    thread.removeAllListeners('exit');
    thread.on('error', () => undefined); // fault handling is the supervisor's (issue: fault isolation)
    return { index, thread, threadId: ready.threadId, port: port1, startMs: performance.now() - t0, warmMs: ready.warmMs };
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
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.thread.once('exit', () => resolve());
            w.port.postMessage({ type: 'quit' } satisfies ToWorker);
            this.kick();
          }),
      ),
    );
    for (const w of this.workers) w.port.close();
    this.workers.length = 0;
  }
}
