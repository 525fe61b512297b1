#!/usr/bin/env node
'use strict';
// Entry point; the CLI lives in src/cli (compiled to dist/ by `npm run build`).
require('../dist/src/cli/main.js')
  .main(process.argv)
  .then((code) => { process.exitCode = code; });
