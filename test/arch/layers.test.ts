/**
 * The layer rule (.dependency-cruiser.cjs), run by dependency-cruiser itself: src/ keeps it, and a
 * tree with an import against each line of the layers, a loop and a folder outside the list is
 * refused with the rule that each breaks (so the check can fail), while downward imports pass.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const BIN = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
// The lines of the layers, from the ground up, as the rule file states them.
const LAYERS: string[][] = [['memory', 'protocol', 'dsp', 'midi', 'threads'], ['sdk'], ['modules'], ['plan'], ['user-modules'], ['realtime'], ['engine'], ['io'], ['control'], ['ui'], ['cli']];

function cruise(cwd: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [BIN, 'src', '--config', CONFIG, '--output-type', 'err'], { cwd, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('src/ keeps the layer rule (no import against the layers, no loop of files)', () => {
  const r = cruise(ROOT);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /no dependency violations found/);
});

test('an import against the layers, a loop or an unlisted folder fails the check, naming the rule', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modsynth-layers-'));
  try {
    const file = (path: string, text: string) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    file('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'commonjs', moduleResolution: 'node', strict: true } }));
    for (const folder of LAYERS.flat()) file(`src/${folder}/a.ts`, 'export const a = 1;\n');
    // Each line's first folder is imported by the line below it (an upward import), and each folder
    // imports the line below it (allowed).
    for (let level = 1; level < LAYERS.length; level++) {
      const [upper] = LAYERS[level], [lower] = LAYERS[level - 1];
      file(`src/${lower}/up-${upper}.ts`, `import { a } from '../${upper}/a';\nexport const b = a;\n`);
      file(`src/${upper}/down.ts`, `import { a } from '../${lower}/a';\nexport const b = a;\n`);
    }
    file('src/memory/to-dsp.ts', "import { a } from '../dsp/a';\nexport const b = a;\n"); // two leaves
    file('src/plan/loop-a.ts', "import { b } from './loop-b';\nexport const a = () => b;\n");
    file('src/plan/loop-b.ts', "import { a } from './loop-a';\nexport const b = () => a;\n");
    file('src/attic/old.ts', "import { a } from '../dsp/a';\nexport const b = a;\n");
    const r = cruise(dir);
    assert.notEqual(r.status, 0, r.out);
    for (let level = 1; level < LAYERS.length; level++) {
      const [upper] = LAYERS[level], [lower] = LAYERS[level - 1];
      assert.match(r.out, new RegExp(`error layer-${lower}: src/${lower}/up-${upper}\\.ts → src/${upper}/a\\.ts`), `${lower} → ${upper}`);
      assert.doesNotMatch(r.out, new RegExp(`src/${upper}/down\\.ts`), `${upper} → ${lower} is allowed`);
    }
    assert.match(r.out, /error layer-memory: src\/memory\/to-dsp\.ts → src\/dsp\/a\.ts/);
    assert.match(r.out, /error no-circular: src\/plan\/loop-[ab]\.ts →\s+src\/plan\/loop-[ab]\.ts/);
    assert.match(r.out, /error no-unknown-folder: src\/attic\/old\.ts/);
    const errors = r.out.match(/^\s*error /gm) ?? [];
    assert.equal(errors.length, LAYERS.length - 1 + 3, r.out); // one per upward import, two leaves, the loop, the folder
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
