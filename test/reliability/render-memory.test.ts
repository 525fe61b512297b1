/**
 * Issue 17, item 5: a long render streams to disk with flat memory. `render --seconds 600` (the issue
 * measured 1.1 GB RSS there, 6.1 GB at 3600 s) peaks within 40 MiB of `render --seconds 20` of the
 * same patch, and its file is whole (the header's length is the data's). Real processes; the peak
 * resident set from /proc/PID/status (VmHWM), read just before each exits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from '../support/cli';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-render-memory-'));

/** Runs `render examples/sine.json --seconds S --format 16 --workers 0` to a file; its peak RSS in MiB. */
function renderPeak(seconds: number): Promise<{ peakMiB: number; out: string; code: number }> {
  const out = join(tmp, `r${seconds}.wav`);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, 'render', 'examples/sine.json', '--out', out, '--seconds', String(seconds), '--format', '16', '--workers', '0', '--quiet'], { cwd: ROOT, env: { ...process.env, CI: 'true' } });
    let peak = 0, stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      try {
        const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1] ?? 0);
        peak = Math.max(peak, kb / 1024);
      } catch {
        // exited
      }
    }, 20);
    const limit = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`render --seconds ${seconds} still running after 300 s`));
    }, 300_000);
    p.on('exit', (code) => {
      clearInterval(poll);
      clearTimeout(limit);
      if (code !== 0) reject(new Error(`render exited ${code}: ${stderr}`));
      else resolve({ peakMiB: peak, out, code: code ?? -1 });
    });
  });
}

test('render --seconds 600 streams to disk: peak RSS within 40 MiB of a 20 s render; the file is whole', async () => {
  const short = await renderPeak(20);
  const long = await renderPeak(600);
  const bytes = statSync(long.out).size;
  const header = readFileSync(long.out).subarray(0, 44);
  const dataBytes = header.readUInt32LE(40);
  console.log(`# render peak RSS: 20 s ${short.peakMiB.toFixed(0)} MiB, 600 s ${long.peakMiB.toFixed(0)} MiB; file ${(bytes / 2 ** 20).toFixed(0)} MiB`);
  assert.equal(dataBytes, 600 * 48000 * 2 * 2, 'data chunk of 600 s, 16-bit stereo');
  assert.equal(bytes, 44 + dataBytes);
  assert.ok(short.peakMiB > 0 && long.peakMiB > 0, 'peak RSS was read');
  assert.ok(long.peakMiB - short.peakMiB < 40, `600 s peaked at ${long.peakMiB.toFixed(0)} MiB, 20 s at ${short.peakMiB.toFixed(0)} MiB`);
  rmSync(tmp, { recursive: true, force: true });
});
