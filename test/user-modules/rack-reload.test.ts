/**
 * Hot reload events in the browser rack: a real `modsynth serve --module-dir` (null sink, real time)
 * with its rack open in a real headless Chromium. Saving a good version of the module file marks the
 * panel of each module of that type `reloaded`; saving a broken one marks it `reload failed` and shows
 * the reason in the message bar (the same /module/reload-failed a /notify subscriber gets).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureStopped, stopServers } from '../support/osc';
import { closeBrowser, openRack, serveRack } from '../ui/browser';
import { scaleModuleSource } from '../support/scale-module';

after(async () => {
  await closeBrowser();
  stopServers();
});

const moduleSource = scaleModuleSource;

test('rack: a hot reload marks the panels of that module type "reloaded"; a refused edit marks them "reload failed" with the reason in the message bar', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'modsynth-rack-reload-'));
  const live = join(tmp, 'live');
  mkdirSync(live);
  const file = join(live, 'scale.ts');
  writeFileSync(file, moduleSource('0.5'));
  const patch = join(tmp, 'patch.json');
  writeFileSync(patch, JSON.stringify({
    format: 'modsynth-patch', version: 1, name: 'rack reload',
    modules: [{ id: 'osc', type: 'vco' }, { id: 's', type: 'user/scale' }, { id: 't', type: 'user/scale' }, { id: 'out', type: 'output' }],
    cables: [{ from: 'osc.sin', to: 's.in' }, { from: 's.out', to: 't.in' }, { from: 't.out', to: 'out.left' }],
  }));
  const srv = await serveRack([patch, '--module-dir', live], tmp);
  t.after(() => ensureStopped(srv));
  const { page, errors } = await openRack(srv.url);
  await page.waitForSelector('.panel[data-id="s"]');
  await page.waitForSelector('.panel[data-id="t"]');

  writeFileSync(file, moduleSource('0.25'));
  await page.waitForFunction(() => ['s', 't'].every((id) => document.querySelector(`.panel[data-id="${id}"]`)?.classList.contains('reload-ok')), undefined, { timeout: 30_000 });
  assert.equal(await page.locator('.panel[data-id="osc"]').evaluate((el) => el.classList.contains('reload-ok')), false, 'only panels of that type');

  writeFileSync(file, moduleSource('0.25 +')); // a syntax error
  await page.waitForFunction(() => ['s', 't'].every((id) => document.querySelector(`.panel[data-id="${id}"]`)?.classList.contains('reload-failed')), undefined, { timeout: 30_000 });
  const message = await page.locator('#message').textContent();
  assert.match(message ?? '', /\/module\/reload-failed: .*scale\.ts: syntax error/);
  assert.deepEqual(errors, []);
  await page.close();
});
