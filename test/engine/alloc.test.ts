import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePatch } from '../../src/plan/compile';
import { validatePatch } from '../../src/plan/patch';
import { probeHeap } from '../../bench/heap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

test('block loop: a patch of lfo, adsr, vca, mixer, noise and output allocates nothing per block', async () => {
  const patch = validatePatch({
    format: 'modsynth-patch', version: 1,
    modules: [
      { id: 'clock', type: 'lfo', params: { rate: 3 } }, { id: 'lfo', type: 'lfo', params: { rate: 0.7 } },
      { id: 'env', type: 'adsr' }, { id: 'n', type: 'noise' }, { id: 'amp', type: 'vca', params: { response: 1 } },
      { id: 'mix', type: 'mixer' }, { id: 'out', type: 'output' },
    ],
    cables: [
      { from: 'clock.sqr', to: 'env.gate' }, { from: 'clock.saw', to: 'lfo.reset' }, { from: 'n.pink', to: 'amp.in' },
      { from: 'env.env', to: 'amp.cv' }, { from: 'amp.out', to: 'mix.in1' }, { from: 'lfo.sin', to: 'mix.in2' },
      { from: 'n.white', to: 'mix.in3' }, { from: 'mix.out', to: 'out.left' },
    ],
  });
  const plan = compilePatch(patch, { sampleRate: 48000, blockSize: 64 });
  const p = await probeHeap(plan, 30_000, 0, 20_000);
  assert.equal(p.gcs, 0, `${p.gcs} garbage collections during 30,000 blocks: ${p.gcLog.join(', ')}`);
  assert.ok(p.heapAfter - p.heapBefore < 64 * 1024, `heap grew ${p.heapAfter - p.heapBefore} bytes`);
});

for (const which of ['canonical', 'pad', 'drums', 'bassline']) {
  test(`block loop, fresh process: ${which === 'canonical' ? 'the 16-voice canonical workload' : `examples/${which}.json`} allocates nothing per block (30,000 blocks)`, () => {
    const r = spawnSync(process.execPath, [join(__dirname, '..', 'support', 'plan-probe.js'), which], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const p = JSON.parse(r.stdout) as { gcs: number; gcLog: string[]; growth: number };
    assert.equal(p.gcs, 0, `${p.gcs} garbage collections during 30,000 blocks: ${p.gcLog.join(', ')}`);
    assert.ok(p.growth < 64 * 1024, `heap grew ${p.growth} bytes`);
  });
}
