/**
 * Allocation probe for a whole patch through the block loop, run in a fresh process by
 * test/engine/alloc.test.ts (GC counts in a shared test process are not reliable):
 * `node plan-probe.js canonical|EXAMPLE` (an examples/ name) prints {"gcs", "gcLog", "seconds", "growth"} for 30,000 blocks after warm-up.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePatch } from '../../src/plan/compile';
import { parsePatch, validatePatch } from '../../src/plan/patch';
import { probeHeap } from '../../bench/heap';
import { canonicalPatch } from '../../bench/canonical';
import { ROOT } from './cli';

async function main(): Promise<void> {
  const which = process.argv[2];
  const patch = which === 'canonical' ? validatePatch(canonicalPatch(16)) : parsePatch(readFileSync(join(ROOT, 'examples', `${which}.json`), 'utf8'));
  const plan = compilePatch(patch, { sampleRate: 48000, blockSize: 64 });
  const p = await probeHeap(plan, 30_000, 0, 20_000);
  process.stdout.write(JSON.stringify({ gcs: p.gcs, gcLog: p.gcLog, seconds: p.seconds, growth: p.heapAfter - p.heapBefore }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
