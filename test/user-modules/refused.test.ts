/**
 * Broken user modules are refused with their reason, one line naming the file: by `module-test`
 * (exit 1, the failing check in the report) and at load (`check --module-dir`, exit 1, the first
 * failure). Each module is written to a temp directory by the test. Also: `.js` (CommonJS) and `.mjs`
 * modules load; a user type never shadows a built-in; `user/x` without --module-dir fails `check`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modsynth } from '../support/cli';

const root = mkdtempSync(join(tmpdir(), 'modsynth-refused-'));

/** A module whose kernel body is `body` (runs per block with x = input, y = output, n = start..end). */
function kernelModule(name: string, body: string, extra = ''): string {
  return `import { defineModule, ports } from 'modsynth/sdk';
const spec = ports({
  params: { gain: { unit: 'gain', min: 0, max: 2, default: 1, doc: 'gain' } },
  inputs: { in: { signal: 'audio', doc: 'in' } },
  outputs: { out: { signal: 'audio', doc: 'out' } },
});
${extra}
class K {
  process(io: any, start: number, end: number): void {
    const x = io.in.in, y = io.out.out;
    ${body}
  }
  reset(): void {}
}
export default defineModule(spec, { type: '${name}', version: 1, title: '${name}', category: 'utility', doc: '', create: () => new K() });
`;
}

const clean = 'for (let i = start; i < end; i++) { const v = x[i]; y[i] = v === v ? Math.max(-10, Math.min(10, v)) : 0; }';

interface Case {
  name: string;
  file: string;
  text: string;
  /** What module-test prints. */
  report: RegExp;
  /** The one line a refused load prints (after "modsynth: FILE: "). */
  reason: RegExp;
}

const CASES: Case[] = [
  { name: 'throws in process', file: 'thrower.ts', text: kernelModule('thrower', `if (start >= 0) throw new Error('boom in the kernel');`), report: /FAIL {2}silence: threw: boom in the kernel/, reason: /fails module-test: silence: threw: boom in the kernel/ },
  {
    name: 'allocates in process', file: 'allocator.ts',
    text: kernelModule('allocator', `${clean} this.kept = [x[start], y[start]];`, ''),
    report: /FAIL {2}no-allocation: the block function allocates/, reason: /fails module-test: no-allocation: the block function allocates/,
  },
  { name: 'uses Math.random', file: 'dice.ts', text: kernelModule('dice', 'for (let i = start; i < end; i++) y[i] = Math.random();'), report: /FAIL {2}no-random-or-clock: uses Math\.random/, reason: /no-random-or-clock: uses Math\.random \(kernels use the SDK's Random/ },
  { name: 'reads the clock', file: 'clocky.ts', text: kernelModule('clocky', 'const t = Date.now() % 2; for (let i = start; i < end; i++) y[i] = t;'), report: /no-random-or-clock: uses Date\.now/, reason: /uses Date\.now/ },
  { name: 'NaN out of garbage in', file: 'naive.ts', text: kernelModule('naive', 'for (let i = start; i < end; i++) y[i] = Math.sin(x[i]);'), report: /FAIL {2}garbage: every input at NaN V gives out\[0\] = NaN/, reason: /garbage: every input at NaN V gives out\[0\] = NaN/ },
  { name: 'reset that does not reset', file: 'sticky.ts', text: kernelModule('sticky', 'for (let i = start; i < end; i++) { this.n = (this.n | 0) + 1; y[i] = this.n % 7; }'), report: /FAIL {2}reset: after reset\(\)/, reason: /reset: after reset\(\): out differs at sample 0/ },
  { name: 'wrong descriptor (default outside range)', file: 'range.ts', text: kernelModule('range', clean).replace('default: 1,', 'default: 3,'), report: /refused: .*range\.ts: wrong descriptor: params\.gain\.default: 3 is outside \[0, 2\]/, reason: /wrong descriptor: params\.gain\.default: 3 is outside \[0, 2\]/ },
  { name: 'wrong descriptor (unknown signal)', file: 'signal.ts', text: kernelModule('signal', clean).replace("signal: 'audio', doc: 'out'", "signal: 'sound', doc: 'out'"), report: /wrong descriptor: outputs\.out\.signal: "sound" is not one of/, reason: /wrong descriptor: outputs\.out\.signal: "sound"/ },
  { name: 'wrong descriptor (declares itself the sink)', file: 'sinky.ts', text: kernelModule('sinky', clean).replace("category: 'utility',", "category: 'utility', sink: true,"), report: /wrong descriptor: sink: reserved for the built-in output module/, reason: /sinky\.ts: wrong descriptor: sink: reserved for the built-in output module/ },
  { name: 'syntax error', file: 'syntax.ts', text: 'export default { type: "x", create( => 1 };\n', report: /refused: .*syntax\.ts: syntax error/, reason: /syntax\.ts: syntax error: / },
  { name: 'throws at load', file: 'loadthrow.js', text: 'throw new Error("no config found");\n', report: /threw at load: no config found/, reason: /loadthrow\.js: threw at load: no config found/ },
  { name: 'exports nothing valid', file: 'empty.mjs', text: 'export const answer = 42;\n', report: /exports no module/, reason: /empty\.mjs: exports no module \(export default defineModule/ },
  { name: 'takes too long to load', file: 'slow.js', text: 'for (;;) {}\n', report: /took more than 5000 ms to load/, reason: /slow\.js: took more than 5000 ms to load/ },
  { name: 'imports something besides the SDK', file: 'fsuser.ts', text: "import { readFileSync } from 'node:fs';\n" + kernelModule('fsuser', clean).replace("import { defineModule, ports } from 'modsynth/sdk';", "import { defineModule, ports } from 'modsynth/sdk'; void readFileSync;"), report: /imports "node:fs": a module file may import only "modsynth\/sdk"/, reason: /fsuser\.ts: imports "node:fs"/ },
];

for (const c of CASES) {
  test(`refused: ${c.name}: module-test fails with the reason, and loading it refuses the directory with one line naming the file`, () => {
    const dir = join(root, c.file.replace(/\W/g, '_'));
    mkdirSync(dir);
    const file = join(dir, c.file);
    writeFileSync(file, c.text);
    const t = modsynth(['module-test', file]);
    assert.equal(t.status, 1, t.stdout + t.stderr);
    assert.match(t.stdout, c.report);
    const patch = join(root, 'sine.json');
    writeFileSync(patch, JSON.stringify({ format: 'modsynth-patch', version: 1, modules: [{ id: 'o', type: 'output' }], cables: [] }));
    const r = modsynth(['check', patch, '--module-dir', dir]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0].startsWith(`modsynth: ${file}: `), lines[0]);
    assert.match(lines[0], c.reason);
  });
}

test('a .js (CommonJS) and a .mjs module load beside a .ts one; a user module named "vco" is user/vco and the built-in vco is untouched', () => {
  const dir = join(root, 'mixed');
  mkdirSync(dir);
  writeFileSync(join(dir, 'cjs.js'), `const { defineModule } = require('modsynth/sdk');
class K { process(io, s, e) { const x = io.in.in, y = io.out.out; for (let i = s; i < e; i++) { const v = x[i]; y[i] = v === v ? Math.max(-10, Math.min(10, -v)) : 0; } } reset() {} }
module.exports = defineModule({ params: {}, inputs: { in: { signal: 'audio', doc: '' } }, outputs: { out: { signal: 'audio', doc: '' } } },
  { type: 'invert', version: 1, title: 'Invert', category: 'utility', doc: 'out = -in', create: () => new K() });
`);
  writeFileSync(join(dir, 'esm.mjs'), `import { defineModule } from 'modsynth/sdk';
class K { process(io, s, e) { const y = io.out.out; for (let i = s; i < e; i++) y[i] = 1; } reset() {} }
export default defineModule({ params: {}, inputs: {}, outputs: { out: { signal: 'cv', doc: '' } } },
  { type: 'one', version: 1, title: 'One volt', category: 'source', doc: '1 V', create: () => new K() });
`);
  writeFileSync(join(dir, 'vco.ts'), kernelModule('vco', clean));
  writeFileSync(join(dir, 'notes.txt'), 'not a module');
  const r = modsynth(['modules', '--json', '--module-dir', dir]);
  assert.equal(r.status, 0, r.stderr);
  const refs = JSON.parse(r.stdout) as { type: string; title: string; params: { name: string }[] }[];
  const types = refs.map((m) => m.type);
  for (const t of ['user/invert', 'user/one', 'user/vco']) assert.ok(types.includes(t), `${t} in ${types.join(', ')}`);
  assert.equal(types.filter((t) => t === 'vco').length, 1);
  assert.equal(refs.find((m) => m.type === 'vco')!.title, 'VCO');
  assert.deepEqual(refs.find((m) => m.type === 'user/vco')!.params.map((p) => p.name), ['gain']);
});

test('a kernel that hangs in process is stopped and refused, naming the check it hung in', () => {
  const dir = join(root, 'hang');
  mkdirSync(dir);
  const file = join(dir, 'spin.ts');
  writeFileSync(file, kernelModule('spin', `${clean} if (start >= 0) for (;;) {}`));
  const env = { MODSYNTH_MODULE_TEST_TIMEOUT_MS: '1500' };
  const t = modsynth(['module-test', file], { env });
  assert.equal(t.status, 1, t.stdout + t.stderr);
  assert.match(t.stdout, /FAIL {2}silence: did not finish within 1\.5 s \(the kernel hangs\)/);
  const r = modsynth(['modules', '--module-dir', dir], { env });
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim(), `modsynth: ${file}: fails module-test: silence: did not finish within 1.5 s (the kernel hangs)`);
});

test('two files defining the same user type are refused, naming both', () => {
  const dir = join(root, 'dupes');
  mkdirSync(dir);
  writeFileSync(join(dir, 'a.ts'), kernelModule('twin', clean));
  writeFileSync(join(dir, 'b.ts'), kernelModule('twin', clean));
  const r = modsynth(['modules', '--module-dir', dir]);
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim(), `modsynth: ${join(dir, 'b.ts')}: user/twin is already defined by ${join(dir, 'a.ts')}`);
});

test('a patch naming user/x without --module-dir fails check with a clear message; a missing --module-dir is named', () => {
  const patch = join(root, 'needs-user.json');
  writeFileSync(patch, JSON.stringify({ format: 'modsynth-patch', version: 1, modules: [{ id: 'x', type: 'user/x' }, { id: 'o', type: 'output' }], cables: [] }));
  const r = modsynth(['check', patch]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /\$\.modules\[0\]\.type: unknown module type "user\/x": user module types are loaded from --module-dir DIR \(none loaded\)/);
  const missing = modsynth(['check', patch, '--module-dir', join(root, 'nowhere')]);
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr.trim(), `modsynth: --module-dir ${join(root, 'nowhere')}: no such directory`);
});
