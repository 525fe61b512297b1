/**
 * Allocation probe for one built-in module type, run in a fresh process by the conformance test:
 * `node alloc-probe.js TYPE` prints {"gcs": n, "growth": bytes}: the allocation probe of module-test
 * (src/user-modules/alloc-probe.ts: warm-up, then up to 3 windows of 20,000 blocks of 64 frames) on
 * the kernel fed lively seeded signals on every input, every output used (the module-test harness's
 * block runner), so built-in and user modules are held to the same measure.
 */
import { findModule } from '../../src/modules';
import { probeAllocation } from '../../src/user-modules/alloc-probe';
import { blockRunner, makeHarness } from '../../src/user-modules/harness';

async function main(): Promise<void> {
  const desc = findModule(process.argv[2]);
  if (!desc) throw new Error(`no module type ${process.argv[2]}`);
  const probe = await probeAllocation(blockRunner(desc, makeHarness(desc, 64, {}, 3)));
  process.stdout.write(JSON.stringify(probe));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
