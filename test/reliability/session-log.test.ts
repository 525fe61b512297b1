/**
 * A session log that lost its end line (the session was killed) is not replayed as "0 s, exit 0": the
 * render says why and how to render it anyway (--seconds).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modsynth, ROOT } from '../support/cli';

test('render --session of a log without its end line: one line, exit 2; with --seconds it renders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modsynth-session-'));
  const patch = JSON.parse(readFileSync(join(ROOT, 'examples/sine.json'), 'utf8'));
  const log = join(dir, 'killed.session');
  writeFileSync(log, JSON.stringify({ type: 'start', sampleRate: 48000, blockSize: 128, patch }) + '\n' + JSON.stringify({ type: 'param', frame: 4800, id: 'osc', param: 'coarse', value: 12 }) + '\n');
  const r = modsynth(['render', 'examples/sine.json', '--session', log, '--out', join(dir, 'x.wav'), '-q']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr.trim(), /^modsynth: .*killed\.session: the session log has no end line .*last event is at 0\.100 s: give --seconds/);
  const ok = modsynth(['render', 'examples/sine.json', '--session', log, '--out', join(dir, 'y.wav'), '--seconds', '0.5', '-q']);
  assert.equal(ok.status, 0, ok.stderr);
});
