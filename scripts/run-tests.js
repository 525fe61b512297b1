#!/usr/bin/env node
'use strict';
// Runs every compiled test file (dist/test/**/*.test.js) with Node's built-in test runner.
const { readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { spawn } = require('node:child_process');

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return find(p);
    return name.endsWith('.test.js') ? [p] : [];
  });
}

const root = join(__dirname, '..', 'dist', 'test');
const filter = process.argv.slice(2);
const files = find(root).filter((f) => filter.length === 0 || filter.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error('no test files found under dist/test (did the build run?)');
  process.exit(1);
}
// Tests against real audio servers are timing-sensitive: they run in their own pass, after the
// others, on an otherwise idle machine (node --test runs files of one pass concurrently). The browser
// rack's tests (test/ui: a real Chromium beside a playing engine, frame rates measured) run there too.
const isRealtime = (f) => f.includes(`${join('dist', 'test', 'realtime')}`) || f.includes(`${join('dist', 'test', 'ui')}`);
const passes = [files.filter((f) => !isRealtime(f)), files.filter(isRealtime)].filter((p) => p.length > 0);
// Nothing may hold the run forever: each test has a time limit, and each pass runs in its own process
// group, killed whole (with anything a test started) if it is still going after PASS_LIMIT_MS.
const TEST_LIMIT_MS = 10 * 60_000;
const PASS_LIMIT_MS = 30 * 60_000;

function runPass(pass, concurrency) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--test', '--test-reporter=spec', `--test-timeout=${TEST_LIMIT_MS}`, ...(concurrency ? [`--test-concurrency=${concurrency}`] : []), ...pass], { stdio: 'inherit', detached: true });
    const killAll = (sig) => {
      try {
        process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const limit = setTimeout(() => {
      console.error(`run-tests: this pass is still running after ${PASS_LIMIT_MS / 60_000} min; killing it`);
      killAll('SIGKILL');
    }, PASS_LIMIT_MS);
    const onSignal = (sig) => killAll(sig);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    child.on('exit', (code, sig) => {
      clearTimeout(limit);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      killAll('SIGKILL'); // whatever a test file left behind
      resolve(code ?? (sig ? 1 : 0));
    });
  });
}

(async () => {
  let status = 0;
  for (const pass of passes) {
    const code = await runPass(pass, pass.some(isRealtime) ? 1 : undefined);
    if (code !== 0) status = code;
  }
  process.exit(status);
})();
