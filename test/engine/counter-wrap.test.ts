/**
 * Ctrl.Underruns and Ctrl.CmdDropped are Int32 words bumped with Atomics.add, so past 2³¹ − 1 they
 * read negative. The engine reads them as wrapping counts (Count32, Arena.sinkCounters): started just
 * below the wrap, the counts it reports keep growing. The drops are real ones (a command ring refusing
 * records, worker-backend's canQueue); the underruns are bumped the way the device worklet bumps them.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine';
import { arenaViews, Ctrl } from '../../src/memory/layout';
import { feedbackPatch } from '../support/patches';

const WRAP = 2 ** 31;
const engines: Engine[] = [];
after(async () => {
  for (const e of engines) await e.close();
});

test('underruns and dropped params counted past 2³¹: the words wrap negative, the reported counts keep growing', { timeout: 60_000 }, async () => {
  const engine = await Engine.start({ workers: 1, spares: 0, warm: false });
  engines.push(engine);
  await engine.load(feedbackPatch(), { sampleRate: 48000, blockSize: 128 });
  const { sab, layout } = engine.arena!;
  const ctrl = arenaViews(sab, layout).ctrl;
  Atomics.store(ctrl, Ctrl.Underruns, WRAP - 2);
  Atomics.store(ctrl, Ctrl.CmdDropped, WRAP - 3);
  assert.equal(engine.sinkCounters().underruns, WRAP - 2);
  assert.equal(engine.sinkCounters().paramsDropped, WRAP - 3);

  const tooMany = layout.cmdRecords + 1;
  assert.equal(engine.canQueue('osc', tooMany), false, 'the ring cannot take more records than it holds');
  Atomics.add(ctrl, Ctrl.Underruns, 5); // as src/io/ring-worklet.ts counts a short quantum
  assert.ok(Atomics.load(ctrl, Ctrl.Underruns) < 0 && Atomics.load(ctrl, Ctrl.CmdDropped) < 0, 'both words really wrapped');
  assert.equal(engine.sinkCounters().underruns, WRAP + 3);
  assert.equal(engine.sinkCounters().paramsDropped, WRAP - 3 + tooMany);

  // And on past the second wrap (2³²), read often enough (the supervisor reads ten times a second).
  for (let i = 0; i < 3; i++) {
    Atomics.add(ctrl, Ctrl.Underruns, 2 ** 30);
    engine.sinkCounters();
  }
  assert.equal(Atomics.load(ctrl, Ctrl.Underruns), (WRAP + 3 + 3 * 2 ** 30) | 0);
  assert.equal(engine.sinkCounters().underruns, WRAP + 3 + 3 * 2 ** 30);
});
