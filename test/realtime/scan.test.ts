/**
 * The runner's scan for non-finite outputs: it is skipped only for built-in modules that declare
 * bounded outputs (proven by test/modules/conformance.test.ts); a user module saying the same is
 * still scanned, and faulted when it outputs NaN.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineModule, ports, type Kernel } from '../../src/sdk';
import { registerUserModule } from '../../src/modules';
import { compilePatch } from '../../src/plan/compile';
import { validatePatch } from '../../src/plan/patch';
import { Runner, fillConstants } from '../../src/realtime/runner';

const spec = ports({ params: {}, inputs: {}, outputs: { out: { signal: 'audio', doc: 'NaN from block 2 on.' } } });

function nanAfter(type: string, boundedOutputs: boolean) {
  return defineModule(spec, {
    type,
    version: 1,
    title: 'NaN source',
    category: 'debug',
    doc: 'Outputs 0 V, then NaN from its third block on.',
    boundedOutputs,
    create: (): Kernel<typeof spec> => {
      let blocks = 0;
      return {
        process(io, start, end) {
          const v = blocks++ >= 2 ? NaN : 0;
          for (let i = start; i < end; i++) io.out.out[i] = v;
        },
        reset() {
          blocks = 0;
        },
      };
    },
  });
}

function faultsAfter(type: string, blocks: number): number {
  const patch = validatePatch({
    format: 'modsynth-patch',
    version: 1,
    modules: [{ id: 'src', type }, { id: 'out', type: 'output' }],
    cables: [{ from: 'src.out', to: 'out.left' }],
  });
  const plan = compilePatch(patch, { sampleRate: 48000, blockSize: 64 });
  const arena = new Float32Array(new SharedArrayBuffer(plan.arenaFloats * 4));
  fillConstants(plan, arena);
  const runner = new Runner(plan, arena, plan.modules.map((_, i) => i));
  for (let b = 0; b < blocks; b++) runner.runBlock(b, b * 64, 64);
  return runner.faults;
}

for (const bounded of [false, true]) {
  test(`a user module that outputs NaN is faulted${bounded ? ', even when it declares bounded outputs' : ''}`, () => {
    const type = `user/nan-${bounded ? 'bounded' : 'plain'}`;
    registerUserModule(nanAfter(type, bounded));
    assert.equal(faultsAfter(type, 2), 0, 'finite output: no fault');
    assert.equal(faultsAfter(type, 3), 1, 'NaN in the third block: one fault');
  });
}
