/**
 * Entry of the module-test worker: a thread of its own (a fresh heap, as a DSP worker's, for the
 * allocation check; the nondeterminism traps never touch the engine's threads; a kernel that hangs is
 * ended by terminating the thread). Installs the traps, evaluates the source, runs the suite, posts
 * progress (`start`, so a hang is blamed on its check) and the results. The source comes as its
 * workerData, or, for a thread started ahead (a hot reload's, module-test.ts startTestThread), as the
 * first message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { once } from 'node:events';
import { allocationCheck, runSyncChecks, type CheckResult } from './conformance';
import { installTraps } from './traps';
import { describeSource, installUserModule } from './install';
import type { UserModuleSource } from './source';

export type FromTestWorker =
  | { type: 'start'; check: string }
  | { type: 'loaded'; moduleType: string; loadMs: number }
  | { type: 'done'; results: CheckResult[] }
  | { type: 'refused'; message: string };

async function main(): Promise<void> {
  const port = parentPort!;
  const now = performance.now.bind(performance);
  const post = (m: FromTestWorker) => port.postMessage(m);
  installTraps();
  const src = (workerData ?? ((await once(port, 'message')) as [UserModuleSource])[0]) as UserModuleSource;
  let desc;
  const t0 = now();
  try {
    desc = installUserModule(src, describeSource(src));
  } catch (e) {
    post({ type: 'refused', message: (e as Error).message });
    return;
  }
  post({ type: 'loaded', moduleType: desc.type, loadMs: now() - t0 });
  const results = runSyncChecks(desc, (check) => post({ type: 'start', check }));
  if (results.every((r) => r.ok)) {
    post({ type: 'start', check: 'no-allocation' });
    results.push(await allocationCheck(desc, now));
  } else {
    results.push({ name: 'no-allocation', ok: false, skipped: true, detail: 'not run (an earlier check failed)' });
  }
  post({ type: 'done', results });
}

void main();
