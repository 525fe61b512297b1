/**
 * Control side of the watchdog thread (realtime/watchdog-entry.ts), the engine's hang detector.
 * Control thread only.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { RenderPlan } from '../plan/compile';
import type { ArenaLayout } from '../memory/layout';
import type { FromWatchdog, ToWatchdog, WatchdogInit } from '../realtime/messages';
import { acquirePriorityHelper, releasePriorityHelper, setThreadPriorityAsync, WATCHDOG_PRIORITY } from '../threads/thread-policy';

const ENTRY = join(__dirname, '../realtime/watchdog-entry.js');

export class Watchdog {
  /** Called when the watchdog declared a worker hung (after its modules went down), with what it saw. */
  onHung: ((worker: number, why: string) => void) | undefined;
  private readonly wake: Int32Array;

  private constructor(
    private readonly thread: Worker,
    mailbox: SharedArrayBuffer,
  ) {
    this.wake = new Int32Array(mailbox);
    thread.on('message', (m: FromWatchdog) => m.type === 'hung' && this.onHung?.(m.worker, m.why));
    thread.on('error', () => undefined);
  }

  static async start(): Promise<Watchdog> {
    const mailbox = new SharedArrayBuffer(4);
    // Under SCHED_FIFO: the helper through which the watchdog demotes a hung thread without forking.
    const helper = await acquirePriorityHelper();
    const init: WatchdogInit = { mailbox, priorityPipe: helper?.path };
    const thread = new Worker(ENTRY, { workerData: init, resourceLimits: { maxOldGenerationSizeMb: 32 } });
    const ready = await new Promise<Extract<FromWatchdog, { type: 'ready' }>>((resolve, reject) => {
      thread.once('message', resolve);
      thread.once('error', reject);
    });
    thread.removeAllListeners('error');
    if (helper) await setThreadPriorityAsync(ready.tid, WATCHDOG_PRIORITY);
    return new Watchdog(thread, mailbox);
  }

  /** Points the watchdog at a plan (after a load, a swap or a worker replacement). */
  watch(sab: SharedArrayBuffer, layout: ArenaLayout, plan: RenderPlan, tids: number[]): void {
    this.post({ type: 'watch', sab, layout, plan, tids });
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((r) => this.thread.once('exit', () => r()));
    this.post({ type: 'quit' });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 1000).unref())]);
    await this.thread.terminate().catch(() => undefined);
    releasePriorityHelper(); // every acquire under SCHED_FIFO counted, even one whose helper failed
  }

  private post(m: ToWatchdog): void {
    this.thread.postMessage(m);
    Atomics.add(this.wake, 0, 1);
    Atomics.notify(this.wake, 0);
  }
}
