#!/usr/bin/env node
'use strict';
// Entry point; the CLI lives in src/cli (compiled to dist/ by `npm run build`).
// Exits explicitly once the command is done: a native audio thread or handle left behind by a library
// must not keep a finished `play` alive. But only once stdout and stderr have been flushed: on a pipe
// they are asynchronous, and exiting at once cut `modsynth modules --json | jq` off at 64 KiB.
require('../dist/src/cli/main.js')
  .main(process.argv)
  .then((code) => {
    let pending = 2;
    const flushed = () => {
      if (--pending === 0) process.exit(code);
    };
    process.stdout.write('', flushed);
    process.stderr.write('', flushed);
  });
