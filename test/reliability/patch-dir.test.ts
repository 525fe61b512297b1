/**
 * The patch directory as a sandbox (control/patch-dir.ts), on a real file system with real symlinks:
 * links are refused on read and on write (dangling ones too) and the file outside stays untouched;
 * saves are atomic (no temp file left, an existing file replaced whole); names with directories are
 * refused; oversized and non-regular files are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_PATCH_BYTES, PatchDirectory } from '../../src/control/patch-dir';

function setup() {
  const base = mkdtempSync(join(tmpdir(), 'modsynth-patchdir-'));
  const dir = join(base, 'patches');
  mkdirSync(dir);
  const outside = join(base, 'secret.json');
  writeFileSync(outside, '{"aws_access_key_id": "AKIA-SECRET"}');
  return { base, dir, outside, pd: new PatchDirectory(dir) };
}

test('a symlink to a file outside is refused on read and on write; the file outside is untouched', () => {
  const { dir, outside, pd } = setup();
  symlinkSync(outside, join(dir, 'link-out.json'));
  assert.throws(() => pd.read('link-out'), /symbolic link/);
  assert.throws(() => pd.write('link-out', '{"x":1}'), /symbolic link/);
  assert.equal(readFileSync(outside, 'utf8'), '{"aws_access_key_id": "AKIA-SECRET"}');
});

test('a dangling symlink is refused on write: nothing is created where it points', () => {
  const { base, dir, pd } = setup();
  const target = join(base, 'created-by-link.json');
  symlinkSync(target, join(dir, 'dangling.json'));
  assert.throws(() => pd.write('dangling', '{}'), /symbolic link/);
  assert.deepEqual(readdirSync(base).filter((f) => f === 'created-by-link.json'), []);
});

test('save is atomic: the whole new text replaces the old, no temp file is left', () => {
  const { dir, pd } = setup();
  writeFileSync(join(dir, 'p.json'), 'old');
  pd.write('p', '{"new": true}');
  assert.equal(readFileSync(join(dir, 'p.json'), 'utf8'), '{"new": true}');
  assert.deepEqual(readdirSync(dir).sort(), ['p.json']);
  assert.equal(pd.read('p').bytes.toString('utf8'), '{"new": true}');
});

test('names with directories or dots leading out are refused; non-files and oversized files too', () => {
  const { dir, pd } = setup();
  for (const bad of ['../x', 'a/b', '..', '.hidden', '']) assert.throws(() => pd.file(bad), /bad patch name/, bad);
  mkdirSync(join(dir, 'sub.json'));
  assert.throws(() => pd.read('sub'), /not a regular file/);
  assert.throws(() => pd.write('sub', '{}'), /not a regular file/);
  writeFileSync(join(dir, 'big.json'), Buffer.alloc(MAX_PATCH_BYTES + 1, 32));
  assert.throws(() => pd.read('big'), /at most/);
  assert.throws(() => pd.read('missing'), /no patch "missing"/);
});
