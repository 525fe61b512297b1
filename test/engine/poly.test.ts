/**
 * Polyphonic cables, by VCV Rack's rules: the primary input decides the channel count, a mono input is
 * broadcast to every voice, missing channels read 0 V; `merge`, `split` and `sum`; the output stage
 * sums channels. Rendered through the real compiler and runner (single-threaded, then on workers).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { compilePatch } from '../../src/plan/compile';
import { Engine } from '../../src/engine/engine';
import { validatePatch, type Patch } from '../../src/plan/patch';
import { renderOffline } from '../../src/engine/local-backend';
import { zeroCrossingHz } from '../support/analysis';
import { VOLTS_TO_FULL_SCALE } from '../../src/modules/output';

const SR = 48000;
const C4 = 261.6255653005986;
const engines: Engine[] = [];
after(async () => {
  for (const e of engines) await e.close();
});

type Mod = { id: string; type: string; params?: Record<string, number> };

/** Constant voltages (attenuverter offsets) merged into one polyphonic cable `poly.out`. */
function constants(volts: number[]): { modules: Mod[]; cables: { from: string; to: string }[] } {
  return {
    modules: [
      ...volts.map((v, k) => ({ id: `k${k}`, type: 'attenuverter', params: { offset: v } })),
      { id: 'poly', type: 'merge' },
    ],
    cables: volts.map((_, k) => ({ from: `k${k}.out`, to: `poly.in${k + 1}` })),
  };
}

function patch(modules: Mod[], cables: { from: string; to: string }[]): Patch {
  return validatePatch({ format: 'modsynth-patch', version: 1, seed: 5, modules, cables });
}

function render(p: Patch, frames: number, blockSize = 128): Float32Array {
  return renderOffline(compilePatch(p, { sampleRate: SR, blockSize }), { frames }).left;
}

/** Volts on the left output (the output stage maps ±5 V to ±1.0). */
const volts = (x: Float32Array, i: number) => x[i] / VOLTS_TO_FULL_SCALE;

test('channel counts: merge follows its highest patched input; a poly module takes the most channels of its primary inputs', () => {
  const k = constants([0, 1, 2]);
  const p = patch(
    [...k.modules, { id: 'osc', type: 'vco' }, { id: 'f', type: 'vcf' }, { id: 'lfo', type: 'lfo' }, { id: 's', type: 'sum' }, { id: 'out', type: 'output' }],
    [...k.cables, { from: 'poly.out', to: 'osc.pitch' }, { from: 'osc.saw', to: 'f.in' }, { from: 'lfo.sin', to: 'f.cutoff' }, { from: 'f.lp', to: 's.in' }, { from: 's.out', to: 'out.left' }],
  );
  const plan = compilePatch(p, { sampleRate: SR, blockSize: 64 });
  const m = (id: string) => plan.modules.find((x) => x.id === id)!;
  assert.equal(m('poly').outputs[0].channels, 3);
  assert.equal(m('osc').voices, 3);
  assert.equal(m('f').voices, 3, 'vcf: channels of `in` (its cutoff CV is mono)');
  assert.equal(m('lfo').voices, 1);
  assert.equal(m('s').outputs[0].channels, 1);
  assert.equal(m('f').inputs[0].channels, 3);
  // A 3-channel output buffer holds 3 blocks.
  const off = m('osc').outputs.find((o) => o.used)!.offsets[0];
  assert.ok(plan.modules.every((x) => x.outputs.every((o) => !o.used || o.offsets[0] <= off || o.offsets[0] >= off + 3 * 64)));
});

test('a 4-channel pitch cable plays four VCO voices, each at its own pitch (split reads each channel)', () => {
  const pitches = [0, 1, -1, 0.75];
  const k = constants(pitches);
  for (let c = 0; c < 5; c++) {
    const p = patch(
      [...k.modules, { id: 'osc', type: 'vco' }, { id: 'sp', type: 'split' }, { id: 'out', type: 'output' }],
      [...k.cables, { from: 'poly.out', to: 'osc.pitch' }, { from: 'osc.sin', to: 'sp.in' }, { from: `sp.out${c + 1}`, to: 'out.left' }],
    );
    const x = render(p, SR / 2);
    if (c === 4) {
      assert.ok(x.every((v) => v === 0), 'split: a channel the cable does not have reads 0 V');
      continue;
    }
    const hz = zeroCrossingHz(x, SR, 2400, x.length);
    const want = C4 * 2 ** pitches[c];
    assert.ok(Math.abs(1200 * Math.log2(hz / want)) < 1, `voice ${c}: ${hz.toFixed(2)} Hz, want ${want.toFixed(2)}`);
  }
});

test('VCV rules on a VCA: the primary input decides; a mono CV is broadcast; missing CV channels read 0 V', () => {
  const audio = constants([1, 2, 3, 4]); // in: 4 channels
  const cvPoly = { modules: [{ id: 'c0', type: 'attenuverter', params: { offset: 10 } }, { id: 'c1', type: 'attenuverter', params: { offset: 5 } }, { id: 'cv', type: 'merge' }], cables: [{ from: 'c0.out', to: 'cv.in1' }, { from: 'c1.out', to: 'cv.in2' }] };
  const read = (cvFrom: string, extra: typeof cvPoly, c: number) => {
    const p = patch(
      [...audio.modules, ...extra.modules, { id: 'vca', type: 'vca' }, { id: 'sp', type: 'split' }, { id: 'out', type: 'output' }],
      [...audio.cables, ...extra.cables, { from: 'poly.out', to: 'vca.in' }, { from: cvFrom, to: 'vca.cv' }, { from: 'vca.out', to: 'sp.in' }, { from: `sp.out${c + 1}`, to: 'out.left' }],
    );
    const x = render(p, 4096);
    return volts(x, x.length - 1);
  };
  // Two-channel CV (10 V, 5 V) against four channels of audio: channels 3 and 4 get 0 V of CV.
  const got = [0, 1, 2, 3].map((c) => read('cv.out', cvPoly, c));
  const want = [1, 2 * 0.5, 0, 0];
  got.forEach((g, c) => assert.ok(Math.abs(g - want[c]) < 1e-4, `channel ${c + 1}: ${g} V, want ${want[c]} V`));
  // A mono CV (5 V) is broadcast to all four voices.
  const mono = { modules: [{ id: 'c1', type: 'attenuverter', params: { offset: 5 } }], cables: [] };
  [0, 1, 2, 3].forEach((c) => {
    const g = read('c1.out', mono, c);
    assert.ok(Math.abs(g - (c + 1) * 0.5) < 1e-4, `broadcast, channel ${c + 1}: ${g} V`);
  });
  // The primary input decides: 2 channels of audio against 4 channels of CV give 2 voices.
  const p = patch(
    [...constants([1, 1]).modules, ...constants([10, 10, 10, 10]).modules.map((m) => ({ ...m, id: `x${m.id}` })), { id: 'vca', type: 'vca' }],
    [...constants([1, 1]).cables, ...constants([10, 10, 10, 10]).cables.map((c) => ({ from: `x${c.from}`, to: `x${c.to}` })), { from: 'poly.out', to: 'vca.in' }, { from: 'xpoly.out', to: 'vca.cv' }],
  );
  assert.equal(compilePatch(p, { sampleRate: SR, blockSize: 64 }).modules.find((m) => m.id === 'vca')!.voices, 2);
});

test('the output stage and `sum` add every channel; merge with `channels` set pads with 0 V channels', () => {
  const k = constants([0.5, 1, 1.5]);
  const direct = render(patch([...k.modules, { id: 'out', type: 'output' }], [...k.cables, { from: 'poly.out', to: 'out.left' }]), 2048);
  assert.ok(Math.abs(volts(direct, 2047) - 3) < 1e-5, `output: ${volts(direct, 2047)} V`);
  const summed = render(patch([...k.modules, { id: 's', type: 'sum', params: { level: 0.5 } }, { id: 'out', type: 'output' }], [...k.cables, { from: 'poly.out', to: 's.in' }, { from: 's.out', to: 'out.left' }]), 2048);
  assert.ok(Math.abs(volts(summed, 2047) - 1.5) < 1e-5, `sum: ${volts(summed, 2047)} V`);
  const fixed = patch([...k.modules.map((m) => (m.id === 'poly' ? { ...m, params: { channels: 6 } } : m)), { id: 'out', type: 'output' }], [...k.cables, { from: 'poly.out', to: 'out.left' }]);
  assert.equal(compilePatch(fixed, { sampleRate: SR, blockSize: 64 }).modules.find((m) => m.id === 'poly')!.outputs[0].channels, 6);
  assert.ok(Math.abs(volts(render(fixed, 1024), 1023) - 3) < 1e-5);
});

test('a mono module sums a polyphonic cable into an audio input (every voice heard), and reads channel 0 of a CV cable', () => {
  const k = constants([0.5, 1, 1.5]);
  // fault is a mono pass-through (in × gain): a 3-channel cable into its audio input gives the sum.
  const through = render(patch([...k.modules, { id: 'f', type: 'fault' }, { id: 'out', type: 'output' }], [...k.cables, { from: 'poly.out', to: 'f.in' }, { from: 'f.out', to: 'out.left' }]), 1024);
  assert.ok(Math.abs(volts(through, 1023) - 3) < 1e-5, `fault: ${volts(through, 1023)} V`);
  // A chorus fed three VCO voices sounds exactly as when fed their sum.
  const voices = (into: string, viaSum: boolean) =>
    render(
      patch(
        [...k.modules, { id: 'osc', type: 'vco' }, ...(viaSum ? [{ id: 's', type: 'sum', params: { level: 1 } }] : []), { id: 'ch', type: 'chorus' }, { id: 'out', type: 'output' }],
        [...k.cables, { from: 'poly.out', to: 'osc.pitch' }, ...(viaSum ? [{ from: 'osc.sin', to: 's.in' }, { from: 's.out', to: into }] : [{ from: 'osc.sin', to: into }]), { from: 'ch.left', to: 'out.left' }],
      ),
      4096,
    );
  const direct = voices('ch.in', false), viaSum = voices('ch.in', true);
  assert.ok(direct.some((x) => Math.abs(x) > 0.1), 'the chorus sounds');
  assert.deepEqual(direct, viaSum);
  // A CV input reads channel 0: the 3-channel cable into a mono random's rate CV acts as its 0.5 V.
  const random = (cable: string) =>
    render(
      patch([...k.modules, { id: 'r', type: 'random', params: { rate: 200 } }, { id: 'out', type: 'output' }], [...k.cables, { from: cable, to: 'r.rate' }, { from: 'r.smooth', to: 'out.left' }]),
      SR / 4,
    );
  const poly = random('poly.out');
  assert.deepEqual(poly, random('k0.out'));
  assert.notDeepEqual(poly, random('k2.out'));
});

test('a polyphonic patch is block-size invariant and gives the same samples on 3 workers as on one thread', async () => {
  const k = constants([0, 0.25, 0.5833, -1]);
  const p = patch(
    [...k.modules, { id: 'osc', type: 'vco' }, { id: 'f', type: 'vcf', params: { res: 0.5 } }, { id: 'env', type: 'lfo', params: { rate: 3, unipolar: 1 } }, { id: 'vca', type: 'vca' }, { id: 'out', type: 'output', params: { level: 0.2 } }],
    [...k.cables, { from: 'poly.out', to: 'osc.pitch' }, { from: 'osc.saw', to: 'f.in' }, { from: 'f.lp', to: 'vca.in' }, { from: 'env.tri', to: 'vca.cv' }, { from: 'vca.out', to: 'out.left' }],
  );
  const frames = SR / 2;
  const a = render(p, frames, 128), b = render(p, frames, 32);
  let diff = -1;
  for (let i = 0; i < frames && diff < 0; i++) if (a[i] !== b[i]) diff = i;
  assert.equal(diff, -1, `block 128 vs 32 differ at frame ${diff}`);
  const e = await Engine.start({ workers: 3 });
  engines.push(e);
  await e.load(p, { sampleRate: SR, blockSize: 128 });
  const w = e.render(frames).left;
  diff = -1;
  for (let i = 0; i < frames && diff < 0; i++) if (a[i] !== w[i]) diff = i;
  assert.equal(diff, -1, `3 workers vs one thread differ at frame ${diff}`);
});
