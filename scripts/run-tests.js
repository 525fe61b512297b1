#!/usr/bin/env node
'use strict';
// Runs every compiled test file (dist/test/**/*.test.js) with Node's built-in test runner.
const { readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

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
// others, on an otherwise idle machine (node --test runs files of one pass concurrently).
const isRealtime = (f) => f.includes(`${join('dist', 'test', 'realtime')}`);
const passes = [files.filter((f) => !isRealtime(f)), files.filter(isRealtime)].filter((p) => p.length > 0);
let status = 0;
for (const pass of passes) {
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...pass], { stdio: 'inherit' });
  if (r.status !== 0) status = r.status ?? 1;
}
process.exit(status);
