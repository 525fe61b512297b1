/**
 * A replacement worker joining the stream (BlockLoop.join, the 'start' message after a hang, a death
 * or a hot reload) starts at a block no consumer on another worker has passed. A consumer runs on while
 * the modules it reads are down (it skips waits on them and reads 0 V); if it got past the block the
 * supervisor chose before the new thread read its message (seen under load in the hot-reload test:
 * 0 V at the reported frame, the new code a few blocks later), the thread starts after the consumer's
 * current block instead and says so, and its stamps are published there. Real plan, real arena and
 * block loops; the consumer's progress is its published stamp.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePatch } from '../../src/plan/compile';
import { validatePatch } from '../../src/plan/patch';
import { layoutArena } from '../../src/memory/layout';
import { BlockLoop } from '../../src/realtime/block-loop';

// osc (worker 0) → s (worker 1) → out (worker 0: the ring's worker).
const patch = validatePatch({
  format: 'modsynth-patch',
  version: 1,
  modules: [
    { id: 'osc', type: 'vco' },
    { id: 's', type: 'vca' },
    { id: 'out', type: 'output' },
  ],
  cables: [
    { from: 'osc.sin', to: 's.in' },
    { from: 's.out', to: 'out.left' },
  ],
});
const plan = compilePatch(patch, { sampleRate: 48000, blockSize: 64 }, (order) => ({ worker: order.map((_, i) => (patch.modules[i].id === 's' ? 1 : 0)), workers: 2 }));
const pos = (id: string) => plan.modules.findIndex((m) => m.id === id);

function arena() {
  const layout = layoutArena({ moduleCount: plan.modules.length, workers: 2, bufferFloats: plan.arenaFloats, ringBlocks: 4, blockSize: plan.blockSize });
  return { sab: new SharedArrayBuffer(layout.byteLength), layout };
}

test('join: a replacement starts at the chosen block when no consumer has reached it', () => {
  const { sab, layout } = arena();
  const loop = new BlockLoop(plan, sab, layout, 1);
  const stamps = loop.views.stamps;
  stamps.set(pos('s'), 50); // the supervisor sets the stamps to its block before 'start'
  stamps.set(pos('out'), 49); // the consumer completed 49 blocks: it is in block 49 at most
  loop.table.markWorkerDead(1, 40);
  assert.equal(loop.join(50, []), 50);
  assert.equal(stamps.value(pos('s')), 50);
  assert.ok(loop.table.isUp(pos('s')));
});

test('join: a consumer that passed the chosen block while the module was down moves the start past its current block', () => {
  const { sab, layout } = arena();
  const loop = new BlockLoop(plan, sab, layout, 1);
  const stamps = loop.views.stamps;
  stamps.set(pos('s'), 50);
  stamps.set(pos('out'), 57); // blocks 50..56 done with s down (0 V), maybe inside 57
  loop.table.markWorkerDead(1, 40);
  assert.equal(loop.join(50, []), 58);
  assert.equal(stamps.value(pos('s')), 58, 'the consumer waits for the new thread from block 58 on; before it, it reads the zeroed outputs');
  assert.ok(loop.table.isUp(pos('s')));
});

test("join: the ring's worker always starts at the chosen block (a later start would leave ring blocks unwritten)", () => {
  const { sab, layout } = arena();
  const loop = new BlockLoop(plan, sab, layout, 0);
  const stamps = loop.views.stamps;
  for (const id of ['osc', 'out']) stamps.set(pos(id), 50);
  stamps.set(pos('s'), 57); // osc's consumer ran ahead
  loop.table.markWorkerDead(0, 40);
  assert.equal(loop.join(50, []), 50);
  assert.equal(stamps.value(pos('osc')), 50);
});
