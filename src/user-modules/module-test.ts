/**
 * `modsynth module-test` and the test every user module passes at load: runs the conformance suite on
 * a module source in a worker thread of its own (conformance-entry.ts) and returns the report. A kernel
 * that hangs is stopped after CHECK_TIMEOUT_MS and blamed on the check it was in. A thread, not a
 * process: this also runs while audio plays (hot reload), where the engine never forks.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { CheckResult } from './conformance';
import type { FromTestWorker } from './conformance-entry';
import type { UserModuleSource } from './source';
import { createDemoted } from '../threads/thread-policy';

const ENTRY = join(__dirname, 'conformance-entry.js');
const TEST_HEAP_MB = 256;

/**
 * Starts a module-test thread ahead of its source (a hot reload keeps one ready: starting one costs
 * 0.3-0.7 s on the 2-core machines). Created at SCHED_OTHER when this process runs under SCHED_FIFO
 * (threads inherit their creator's policy): the suite must never compete with the audio threads. Pass it to runModuleTest once; terminate it if unused. Control thread.
 */
export async function startTestThread(): Promise<Worker> {
  const w = await createDemoted(() => new Worker(ENTRY, { workerData: null, resourceLimits: { maxOldGenerationSizeMb: TEST_HEAP_MB } }));
  w.unref();
  return w;
}

/**
 * How long one check may run before the kernel is declared hung (ms): 15 s, or
 * MODSYNTH_MODULE_TEST_TIMEOUT_MS (tests use a short one).
 */
export const CHECK_TIMEOUT_MS = Number(process.env.MODSYNTH_MODULE_TEST_TIMEOUT_MS) > 0 ? Number(process.env.MODSYNTH_MODULE_TEST_TIMEOUT_MS) : 15_000;

export interface ModuleTestReport {
  file: string;
  /** `user/NAME`, when the file loaded. */
  type?: string;
  /** Load (evaluate + validate) time in the test worker, ms; transpile time is on the source. */
  loadMs?: number;
  /** Set when the file was refused before any check (syntax error, wrong descriptor, ...). */
  refused?: string;
  results: CheckResult[];
  ok: boolean;
}

/** Runs the suite on `src` in a new thread, or in `ready` (from startTestThread; used up). */
export function runModuleTest(src: UserModuleSource, ready?: Worker): Promise<ModuleTestReport> {
  return new Promise((resolve) => {
    const worker = ready ?? new Worker(ENTRY, { workerData: src, resourceLimits: { maxOldGenerationSizeMb: TEST_HEAP_MB } });
    if (ready) {
      worker.ref();
      worker.postMessage(src);
    }
    const report: ModuleTestReport = { file: src.file, results: [], ok: false };
    let current = 'load';
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        report.results.push({ name: current, ok: false, detail: `did not finish within ${CHECK_TIMEOUT_MS / 1000} s (the kernel hangs)` });
        finish();
        void worker.terminate();
      }, CHECK_TIMEOUT_MS);
    };
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      report.ok = !report.refused && report.results.length > 0 && report.results.every((r) => r.ok);
      resolve(report);
    };
    arm();
    worker.on('message', (m: FromTestWorker) => {
      if (m.type === 'start') {
        current = m.check;
        arm();
      } else if (m.type === 'loaded') {
        report.type = m.moduleType;
        report.loadMs = m.loadMs;
      } else if (m.type === 'refused') {
        report.refused = m.message;
        finish();
      } else if (m.type === 'done') {
        report.results = m.results;
        finish();
        void worker.terminate();
      }
    });
    worker.on('error', (e) => {
      report.results.push({ name: current, ok: false, detail: `the test thread died: ${e.message.split('\n')[0]}` });
      finish();
    });
    worker.on('exit', () => {
      if (!done) report.results.push({ name: current, ok: false, detail: 'the test thread exited (heap exhausted?)' });
      finish();
    });
  });
}

/** The first failure of a report, as one line (what a refused load says). */
export function firstFailure(r: ModuleTestReport): string | undefined {
  if (r.refused) return r.refused;
  const f = r.results.find((x) => !x.ok && !x.skipped) ?? r.results.find((x) => !x.ok);
  return f && `${r.file}: fails module-test: ${f.name}: ${f.detail ?? 'failed'}`;
}

/** The report as text, one line per check. */
export function formatReport(r: ModuleTestReport, transpileMs?: number): string {
  const lines = [`module-test ${r.file}${r.type ? ` (${r.type})` : ''}`];
  if (r.refused) {
    lines.push(`  refused: ${r.refused}`);
  } else {
    if (r.loadMs !== undefined) lines.push(`  loaded in ${((transpileMs ?? 0) + r.loadMs).toFixed(1)} ms${transpileMs !== undefined ? ` (transpile ${transpileMs.toFixed(1)} ms)` : ''}`);
    for (const c of r.results) lines.push(`  ${c.skipped ? (c.ok ? 'skip' : '----') : c.ok ? 'pass' : 'FAIL'}  ${c.name}${c.detail ? `: ${c.detail}` : ''}`);
  }
  const failed = r.results.filter((c) => !c.ok && !c.skipped).length;
  lines.push(r.ok ? '  ok' : `  FAILED${failed ? ` (${failed} check${failed > 1 ? 's' : ''})` : ''}`);
  return lines.join('\n') + '\n';
}
