/**
 * User modules in the real-time engine: `play` (pre-warmed workers, the user modules' code sent to
 * each in its start-up message, each user type on a worker of its own) plays a patch with a
 * TypeScript and a Faust module into the null sink (no audio server: PULSE_SERVER points nowhere) and
 * records what the device took; the recording is sample-identical to `render` of the same patch, and
 * no module faulted. Timing-insensitive: the recording holds what was played, underruns or not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modsynth, ROOT } from '../support/cli';
import { readWav } from '../../src/io/wav';

const DIR = join(ROOT, 'examples/modules');
const PATCH = join(DIR, 'patches/folded-space.json');

test('play with --module-dir: a wavefolder (.ts) into a Zita reverb (.dsp) plays in real time, sample-identical to render, no faults', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'modsynth-user-live-'));
  const played = join(tmp, 'played.wav'), rendered = join(tmp, 'rendered.wav');
  const env = { PULSE_SERVER: 'unix:/nonexistent', JACK_DEFAULT_SERVER: `modsynth-none-${process.pid}`, XDG_RUNTIME_DIR: tmp, MODSYNTH_RT: '0' };
  const p = modsynth(['play', PATCH, '--module-dir', DIR, '--seconds', '1.5', '--record', played, '--no-osc', '--no-http', '--workers', '2'], { env });
  assert.equal(p.status, 0, p.stdout + p.stderr);
  const summary = JSON.parse(/\[json\] (\{.*\})/.exec(p.stdout + p.stderr)![1]) as { faults: number; restarts: number; workersReplaced: number };
  assert.deepEqual([summary.faults, summary.restarts, summary.workersReplaced], [0, 0, 0]);
  const r = modsynth(['render', PATCH, '--module-dir', DIR, '--seconds', '1.5', '--format', '32f', '--out', rendered, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const a = readWav(played).channels, b = readWav(rendered).channels;
  assert.equal(a[0].length, 72000);
  for (let c = 0; c < 2; c++) {
    assert.equal(a[c].length, b[c].length);
    for (let i = 0; i < a[c].length; i++) if (a[c][i] !== b[c][i]) assert.fail(`channel ${c} differs at frame ${i}: played ${a[c][i]}, rendered ${b[c][i]}`);
  }
  let energy = 0;
  for (const x of a[0]) energy += x * x;
  assert.ok(Math.sqrt(energy / a[0].length) > 0.01, 'it sounds');
});
