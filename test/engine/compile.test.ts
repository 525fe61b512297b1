import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePatch } from '../../src/plan/compile';
import { validatePatch } from '../../src/plan/patch';
import { renderOffline } from '../../src/engine/local-backend';

const opts = { sampleRate: 48000, blockSize: 64 };

function patch(modules: { id: string; type: string; params?: Record<string, number> }[], cables: [string, string][]) {
  return validatePatch({ format: 'modsynth-patch', version: 1, modules, cables: cables.map(([from, to]) => ({ from, to })) });
}

test('compile: modules run in dependency order whatever their order in the file', () => {
  const p = patch(
    [{ id: 'out', type: 'output' }, { id: 'amp', type: 'vca' }, { id: 'osc', type: 'vco' }],
    [['osc.sin', 'amp.in'], ['amp.out', 'out.left']],
  );
  const plan = compilePatch(p, opts);
  assert.deepEqual(plan.modules.map((m) => m.id), ['osc', 'amp', 'out']);
  assert.deepEqual(plan.feedback, []);
});

test('compile: a cycle is broken at the first module of the patch, reported, and delays exactly one block', () => {
  // a → b → a. `a` comes first in the file, so b → a becomes the feedback cable.
  const p = patch(
    [
      { id: 'src', type: 'lfo', params: { rate: 50 } },
      { id: 'a', type: 'mixer', params: { level1: 0.2 } },
      { id: 'b', type: 'vca', params: { level: 0.5 } },
      { id: 'out', type: 'output' },
    ],
    [['src.saw', 'a.in1'], ['a.out', 'b.in'], ['b.out', 'a.in2'], ['a.out', 'out.left']],
  );
  const plan = compilePatch(p, opts);
  assert.deepEqual(plan.feedback, [{ from: 'b.out', to: 'a.in2' }]);
  assert.deepEqual(plan.modules.map((m) => m.id), ['src', 'a', 'b', 'out']);
  // By hand, in volts: a[n] = 0.2·src[n] + 0.5·a[n − 64]; the output is a/5. (Gains start at their
  // targets, so smoothing changes nothing here.)
  const frames = 64 * 20;
  const { left } = renderOffline(plan, { frames });
  const a = new Float64Array(frames);
  for (let n = 0; n < frames; n++) {
    const phase = ((50 * n) / 48000) % 1;
    a[n] = 0.2 * 5 * (2 * phase - 1) + (n >= 64 ? 0.5 * a[n - 64] : 0);
    assert.ok(Math.abs(left[n] - a[n] / 5) < 1e-5, `frame ${n}: ${left[n]} vs ${a[n] / 5}`);
  }
});

test('compile: a module fed by itself is a feedback cable', () => {
  const p = patch([{ id: 'm', type: 'mixer' }, { id: 'out', type: 'output' }], [['m.out', 'm.in1'], ['m.out', 'out.left']]);
  assert.deepEqual(compilePatch(p, opts).feedback, [{ from: 'm.out', to: 'm.in1' }]);
});

test('compile: unpatched inputs read their normal; unused outputs share scratch', () => {
  const p = patch([{ id: 'amp', type: 'vca' }, { id: 'osc', type: 'vco' }], [['osc.sin', 'amp.in']]);
  const plan = compilePatch(p, opts);
  const amp = plan.modules.find((m) => m.id === 'amp')!;
  const cv = amp.inputs[1];
  assert.equal(cv.connected, false);
  assert.equal(plan.constants.find((c) => c.offset === cv.offsets[0])?.value, 10);
  const osc = plan.modules.find((m) => m.id === 'osc')!;
  assert.equal(osc.outputs[0].used, true);
  assert.equal(osc.outputs[1].offsets[0], osc.outputs[2].offsets[0]);
});
