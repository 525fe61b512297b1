#!/usr/bin/env node
'use strict';
// Entry point; the CLI lives in src/cli (compiled to dist/ by `npm run build`).
// Exits explicitly once the command is done: a native audio thread or handle left behind by a library
// must not keep a finished `play` alive (stdout and stderr are synchronous on pipes and files here).
require('../dist/src/cli/main.js')
  .main(process.argv)
  .then((code) => process.exit(code));
