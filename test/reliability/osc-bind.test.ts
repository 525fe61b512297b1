/**
 * Issue 17, item 9: `serve` on a busy port, on a host that does not resolve or that is not this
 * machine's exits non-zero (2, a usage problem) with one line naming the address and the reason, before
 * it plays; `--osc [::1]:PORT` serves OSC over IPv6 (a real udp6 socket gets its /status reply).
 * Real processes, real sockets.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, encode, Message } from 'node-osc';
import { BIN, ROOT } from '../support/cli';
import { killGroupAndWait, spawnGroup } from '../support/group';
import { collect, waitForStart } from '../support/started';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-osc-bind-'));
const env = { ...process.env, CI: 'true', XDG_RUNTIME_DIR: tmp, PULSE_SERVER: 'unix:/nonexistent' };
const started: ReturnType<typeof spawnGroup>[] = [];
after(async () => {
  for (const p of started) await killGroupAndWait(p);
});

/** Runs `serve` with these args to its exit (at most 60 s); its code and output. */
function serveExit(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, 'serve', '--no-http', '--patch-dir', tmp, ...args], { cwd: ROOT, env });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`serve ${args.join(' ')} still running after 60 s: ${stdout} ${stderr}`));
    }, 60_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

test('osc bind: a busy port, an unresolvable host and an address not on this machine each exit 2 with one line', async () => {
  const busy = createSocket('udp4');
  await new Promise<void>((r) => busy.bind(0, '127.0.0.1', () => r()));
  const port = busy.address().port;
  try {
    for (const [osc, reason] of [
      [`127.0.0.1:${port}`, /EADDRINUSE|address already in use/i],
      ['no-such-host.invalid:57130', /ENOTFOUND|EAI_AGAIN|not known|no-such-host/i],
      ['192.0.2.1:57130', /EADDRNOTAVAIL|cannot assign/i],
    ] as [string, RegExp][]) {
      const r = await serveExit(['--osc', osc]);
      const lines = r.stderr.trim().split('\n');
      assert.equal(r.code, 2, `--osc ${osc}: exit ${r.code}; stderr: ${r.stderr}`);
      assert.equal(lines.length, 1, `--osc ${osc}: one line, got: ${r.stderr}`);
      assert.match(lines[0], /^modsynth: cannot start the OSC server on /, `--osc ${osc}: ${lines[0]}`);
      assert.match(lines[0], reason, `--osc ${osc}: ${lines[0]}`);
      assert.doesNotMatch(r.stdout, /playing/, `--osc ${osc}: it must not play without its control plane`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  } finally {
    busy.close();
  }
});

test('osc bind: --osc [::1]:PORT serves OSC over IPv6', async (t) => {
  const proc = spawnGroup(process.execPath, [BIN, 'serve', '--no-http', '--osc', '[::1]:0', '--patch-dir', tmp], { cwd: ROOT, env });
  started.push(proc);
  t.after(() => killGroupAndWait(proc));
  const m = await waitForStart(proc, collect(proc), /OSC on udp:\/\/\[?::1\]?:(\d+)/, 'serve', 30_000);
  const port = Number(m[1]);
  const sock = createSocket('udp6');
  t.after(() => sock.close());
  const got: string[] = [];
  sock.on('message', (b) => got.push((decode(b) as { address: string }).address));
  await new Promise<void>((r) => sock.bind(0, '::1', () => r()));
  const end = Date.now() + 10_000;
  while (!got.includes('/status.reply')) {
    if (Date.now() > end) throw new Error(`no /status.reply over IPv6 (got ${got.join(', ') || 'nothing'})`);
    sock.send(encode(new Message('/status')), port, '::1');
    await new Promise((r) => setTimeout(r, 200));
  }
});
