#!/usr/bin/env node
'use strict';
// Regenerates docs/rack.png: the demo patch (with a scope and a meter added on its mix over OSC) in
// the browser rack, in Debian's headless Chromium. Needs `npm run build` and scripts/setup.sh.
const { spawn } = require('node:child_process');
const { createSocket } = require('node:dgram');
const { join } = require('node:path');
const { encode, Message } = require('node-osc');
const { chromium } = require('playwright-core');

const ROOT = join(__dirname, '..');
const p = spawn(process.execPath, [join(ROOT, 'bin/modsynth.js'), 'play', 'examples/demo.json', '--osc', '127.0.0.1:0', '--http', '127.0.0.1:0', '--seconds', '30'], { cwd: ROOT, env: { ...process.env, CI: 'true' }, detached: true });
let out = '';
p.stdout.on('data', async (d) => {
  out += d;
  const osc = /OSC on udp:\/\/127\.0\.0\.1:(\d+)/.exec(out), rack = /rack on (http:\S+)/.exec(out);
  if (!osc || !rack || p.started) return;
  p.started = true;
  const sock = createSocket('udp4');
  const send = (...a) => sock.send(encode(new Message(...a)), Number(osc[1]), '127.0.0.1');
  send('/module/add', 'scope', 'scope', 'time', 0.01);
  send('/module/add', 'meter', 'meter');
  send('/cable/connect', 'mix.out', 'scope.in');
  send('/cable/connect', 'mix.out', 'meter.in');
  await new Promise((r) => setTimeout(r, 1500));
  const b = await chromium.launch({ executablePath: process.env.MODSYNTH_CHROMIUM || '/usr/bin/chromium-headless-shell', args: ['--no-sandbox'] });
  const page = await b.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.goto(rack[1]);
  await page.waitForSelector('.panel[data-id="scope"] canvas');
  await page.waitForTimeout(3000);
  await page.screenshot({ path: join(ROOT, 'docs/rack.png') });
  await b.close();
  sock.close();
  process.kill(-p.pid, 'SIGTERM');
  console.log('wrote docs/rack.png');
});
p.stderr.on('data', () => undefined);
