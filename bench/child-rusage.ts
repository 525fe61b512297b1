/**
 * Preload for timed child processes (`node -r dist/bench/child-rusage.js …`): when the process exits, write
 * its own resource usage (every thread: main, workers, libuv pool) as JSON to $MODSYNTH_RUSAGE_OUT.
 * The bench reads user + system CPU and max RSS from it; wall time is measured by the parent around the
 * whole process. Portable replacement for /usr/bin/time (also on machines without GNU time).
 */
import { writeFileSync } from 'node:fs';

const target = process.env.MODSYNTH_RUSAGE_OUT;
if (target) {
  process.on('exit', (code) => {
    const u = process.resourceUsage();
    writeFileSync(target, JSON.stringify({ code, userS: u.userCPUTime / 1e6, sysS: u.systemCPUTime / 1e6, maxRssKiB: u.maxRSS }) + '\n');
  });
}
