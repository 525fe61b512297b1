/**
 * Files written whole or not at all (issue 17, "Files written atomically"; issue 12, "WAV I/O off the
 * critical path"): the streaming WAV writer's bytes against wavefile's, a render into a full tmpfs, a
 * render killed mid-write, unwritable output paths. Real mounts and signals; the mount tests need
 * root and skip with the reason otherwise.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, modsynth, ROOT } from '../support/cli';
import { encodeWav, readWav, writeWav } from '../../src/io/wav';
import { WavWriter } from '../../src/io/wav-writer';
import { FileWriteError } from '../../src/io/file-error';
import type { WavFormat } from '../../src/io/wav-header';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-files-'));
const mounts: string[] = [];
after(() => {
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
  rmSync(tmp, { recursive: true, force: true });
});

/** Mounts a tmpfs of `size` at a new directory; the reason it could not, as a string. */
function tmpfs(name: string, options: string): string | { skip: string } {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { skip: `cannot mount a tmpfs here (needs root): ${r.error?.message ?? r.stderr.trim()}` };
  mounts.push(dir);
  return dir;
}

/** Test signals: a ramp with values past ±1, NaN (two payloads), ±0 and ±Inf. */
function signal(frames: number, seed: number): Float32Array {
  const a = new Float32Array(frames);
  for (let i = 0; i < frames; i++) a[i] = 1.3 * Math.sin(0.001 * i * (seed + 1) + seed) + (i % 7) * 1e-5;
  a[3] = NaN;
  new Uint32Array(a.buffer)[4] = 0x7fc01234; // a NaN with a payload
  a[5] = -0;
  a[6] = Infinity;
  a[7] = -Infinity;
  a[8] = 0.5 / 32767; // rounds half away from zero
  a[9] = -0.5 / 32767;
  return a;
}

function pcm16(x: number): number {
  const v = x > 1 ? 1 : x < -1 ? -1 : x || 0;
  return Math.round(v * 32767) / 32768;
}

/** Writes `channels` in blocks of the given sizes, cycling. */
function writeInBlocks(path: string, channels: Float32Array[], format: WavFormat, sizes: number[], bufferBytes?: number): void {
  const w = WavWriter.open(path, { sampleRate: 44100, channels: channels.length, format, bufferBytes });
  for (let at = 0, k = 0; at < channels[0].length; k++) {
    const n = Math.min(sizes[k % sizes.length], channels[0].length - at);
    w.write(channels, n, at);
    at += n;
  }
  assert.equal(w.frames, channels[0].length);
  w.close();
}

test('files: the WAV writer decodes to exactly the samples given, any block sizes, both formats, and its bytes are encodeWav’s', () => {
  const frames = 20011;
  for (const format of ['32f', '16'] as const) {
    for (const nch of [1, 2]) {
      const channels = Array.from({ length: nch }, (_, c) => signal(frames, c));
      const reference = Buffer.from(encodeWav(channels, 44100, format));
      // Odd blocks, a block bigger than the buffer, and a buffer that is not a whole number of frames.
      for (const [sizes, bufferBytes] of [[[1, 3, 61, 64, 127, 5000], undefined], [[7, 9973], 1001], [[frames], 6]] as [number[], number | undefined][]) {
        const path = join(tmp, `w-${format}-${nch}.wav`);
        writeInBlocks(path, channels, format, sizes, bufferBytes);
        assert.ok(readFileSync(path).equals(reference), `${format}, ${nch} ch, blocks ${sizes.join('/')}, buffer ${bufferBytes}: bytes differ from encodeWav`);
        const back = readWav(path);
        assert.equal(back.channels.length, nch);
        assert.equal(back.sampleRate, 44100);
        channels.forEach((src, c) => {
          const want = format === '32f' ? src : Float32Array.from(src, pcm16);
          assert.equal(back.channels[c].length, frames);
          // Object.is: NaN equals NaN (whatever its payload), -0 differs from 0.
          const got = back.channels[c], bad = want.findIndex((v, i) => !Object.is(got[i], format === '32f' ? v : v || 0));
          assert.equal(bad, -1, `${format} channel ${c}: sample ${bad} is ${got[bad]}, not ${want[bad]}`);
        });
      }
      // Interleaved input gives the same file.
      const inter = new Float32Array(frames * nch);
      for (let i = 0; i < frames; i++) for (let c = 0; c < nch; c++) inter[i * nch + c] = channels[c][i];
      const path = join(tmp, `i-${format}-${nch}.wav`);
      const w = WavWriter.open(path, { sampleRate: 44100, channels: nch, format, bufferBytes: 999 });
      for (let at = 0; at < frames; at += 333) w.writeInterleaved(inter, Math.min(333, frames - at), at);
      w.close();
      assert.ok(readFileSync(path).equals(reference), `${format}, ${nch} ch interleaved`);
    }
  }
  // Empty file: the header alone, as wavefile writes it.
  writeWav(join(tmp, 'empty.wav'), [new Float32Array(0), new Float32Array(0)], 48000, '32f');
  assert.ok(readFileSync(join(tmp, 'empty.wav')).equals(Buffer.from(encodeWav([new Float32Array(0), new Float32Array(0)], 48000, '32f'))));
});

test('files: nothing at the final path until close; abort leaves nothing; close replaces the old file whole', () => {
  const dir = join(tmp, 'atomic'), path = join(dir, 'out.wav');
  mkdirSync(dir);
  writeFileSync(path, 'old content');
  const w = WavWriter.open(path, { sampleRate: 48000, channels: 2, format: '32f', bufferBytes: 4096 });
  assert.match(w.tempPath, /out\.wav\.[0-9a-f]{12}\.tmp$/);
  w.write([signal(10000, 0), signal(10000, 1)]);
  assert.equal(readFileSync(path, 'utf8'), 'old content', 'the final path is untouched while writing');
  assert.ok(statSync(w.tempPath).size > 40000, 'the data is streamed to the temp file as it comes');
  w.close();
  assert.equal(readWav(path).channels[0].length, 10000);
  assert.deepEqual(readdirSync(dir), ['out.wav']);
  const a = WavWriter.open(path, { sampleRate: 48000, channels: 1, format: '16' });
  a.write([signal(5000, 2)]);
  a.abort();
  a.abort();
  assert.deepEqual(readdirSync(dir), ['out.wav'], 'abort removes its temp file');
  assert.equal(readWav(path).channels[0].length, 10000, 'and leaves the old file as it was');
  assert.throws(() => a.write([signal(1, 0)]), /closed/);
});

test('files: --out through a symlink replaces the file it points to; --out /dev/stdout streams into a pipe', () => {
  const dir = join(tmp, 'links');
  mkdirSync(dir);
  writeFileSync(join(dir, 'target.wav'), 'old');
  symlinkSync('target.wav', join(dir, 'link.wav'));
  assert.equal(modsynth(['render', 'examples/sine.json', '--out', join(dir, 'link.wav'), '--seconds', '0.5', '--quiet']).status, 0);
  assert.ok(lstatSync(join(dir, 'link.wav')).isSymbolicLink(), 'the link stays a link');
  assert.equal(readWav(join(dir, 'target.wav')).channels[0].length, 24000);
  assert.deepEqual(readdirSync(dir).sort(), ['link.wav', 'target.wav']);
  // A pipe cannot be seeked: the header carries the known length from the start.
  const piped = join(dir, 'piped.wav'), file = join(dir, 'copy.wav');
  const q = (x: string) => `'${x.replace(/'/g, `'\\''`)}'`;
  const r = spawnSync('sh', ['-c', `${q(process.execPath)} ${q(BIN)} render examples/sine.json --out /dev/stdout --seconds 0.5 --quiet --format 32f | cat > ${q(piped)}`], { cwd: ROOT, env: { ...process.env, CI: 'true' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(modsynth(['render', 'examples/sine.json', '--out', file, '--seconds', '0.5', '--quiet', '--format', '32f']).status, 0);
  assert.ok(readFileSync(piped).equals(readFileSync(file)), 'the piped bytes are the file’s');
});

test('files: a WAV longer than 4 GiB is refused before rendering (exit 2, one line, no file)', () => {
  assert.equal(WavWriter.maxFrames(2, '32f'), Math.floor((2 ** 32 - 1 - 36) / 8));
  const out = join(tmp, 'long', 'x.wav');
  const r = modsynth(['render', 'examples/sine.json', '--out', out, '--seconds', '20000', '--format', '32f']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^modsynth: 20000\.0 s is too long for one WAV file: it holds at most 4 GiB, 11184 s of stereo 32-bit float at 48000 Hz\n$/);
  assert.equal(existsSync(join(tmp, 'long')), false);
});

function assertOneLineFileError(r: { status: number; stderr: string; stdout: string }, out: string, reason: RegExp): void {
  assert.equal(r.status, 6, `exit ${r.status}: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], new RegExp(`^modsynth: cannot write ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${reason.source}$`));
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  assert.equal(existsSync(out), false, 'nothing at the final path');
}

test('files: a render into a full disk (a real 1 MiB tmpfs) exits 6 with one line and leaves no file', (t) => {
  const dir = tmpfs('full', 'size=1m');
  if (typeof dir !== 'string') return t.skip(dir.skip);
  for (const workers of ['0', '2']) {
    for (const format of ['32f', '16']) {
      const out = join(dir, `w${workers}-${format}.wav`);
      const r = modsynth(['render', 'examples/sine.json', '--out', out, '--seconds', '10', '--format', format, '--workers', workers]);
      assertOneLineFileError(r, out, /no space left on device/);
      assert.deepEqual(readdirSync(dir), [], `workers ${workers}, ${format}: the temp file is removed too`);
    }
  }
  // A file that fits is written whole.
  const ok = join(dir, 'fits.wav');
  assert.equal(modsynth(['render', 'examples/sine.json', '--out', ok, '--seconds', '1', '--format', '16']).status, 0);
  assert.equal(readWav(ok).channels[0].length, 48000);
});

test('files: unwritable output paths are one line with exit 6 (read-only mount, a path under a file, no permission)', (t) => {
  const underFile = join(tmp, 'a-file');
  writeFileSync(underFile, '');
  const out1 = join(underFile, 'x.wav');
  assertOneLineFileError(modsynth(['render', 'examples/sine.json', '--out', out1, '--seconds', '0.1']), out1, /a component of the path is not a directory/);
  // The writer's own error names the final path and the errno code.
  assert.throws(() => WavWriter.open(out1, { sampleRate: 48000, channels: 2, format: '16' }), (e: unknown) => e instanceof FileWriteError && e.code === 'ENOTDIR' && e.path === out1);

  const ro = tmpfs('ro', 'ro,size=64k');
  if (typeof ro === 'string') {
    const out2 = join(ro, 'x.wav');
    assertOneLineFileError(modsynth(['render', 'examples/sine.json', '--out', out2, '--seconds', '0.1']), out2, /read-only file system/);
  } else t.diagnostic(`read-only mount not tried: ${ro.skip}`);

  // EACCES for real: root bypasses permissions, so the render runs as `nobody` into a root-owned directory.
  const locked = join(tmp, 'locked');
  mkdirSync(locked, { mode: 0o755 });
  chmodSync(tmp, 0o755);
  const asNobody = (args: string[]) => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 120_000 });
  const probe = asNobody(['-e', `require(${JSON.stringify(BIN)}.replace(/bin.modsynth\\.js$/, 'package.json'))`]);
  if (process.getuid?.() !== 0 || probe.error || probe.status !== 0) {
    t.diagnostic(`EACCES not tried: cannot run node as nobody here (${probe.error?.message ?? probe.stderr.trim().split('\n')[0]})`);
    return;
  }
  const out3 = join(locked, 'x.wav');
  const r = asNobody([BIN, 'render', 'examples/sine.json', '--out', out3, '--seconds', '0.1']);
  assertOneLineFileError({ status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }, out3, /permission denied/);
});

test('files: a render killed with SIGKILL mid-write leaves no file at the final path (and the old file intact)', async () => {
  const dir = join(tmp, 'killed'), out = join(dir, 'out.wav');
  mkdirSync(dir);
  writeFileSync(out, 'previous render');
  const child = spawn(process.execPath, [BIN, 'render', 'examples/sine.json', '--out', out, '--seconds', '3000', '--format', '32f', '--workers', '0', '--quiet'], { cwd: ROOT, stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
  // Wait until the render is well into writing (2 MB in its temp file).
  const deadline = Date.now() + 60_000;
  let temp: string | undefined;
  while (Date.now() < deadline) {
    temp = readdirSync(dir).find((f) => f.endsWith('.tmp'));
    if (temp && statSync(join(dir, temp)).size > 2e6) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(temp, 'the render started writing its temp file');
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  assert.equal(readFileSync(out, 'utf8'), 'previous render', 'the final path still holds the old file, not a truncated WAV');
  // What the killed process left: only its temp file, whose header claims no data.
  assert.deepEqual(readdirSync(dir).sort(), ['out.wav', temp].sort());
  assert.equal(readFileSync(join(dir, temp!)).readUInt32LE(40), 0);
});

test('files: a render stopped by SIGINT or SIGTERM removes its temp file, says so in one line and exits 128 + signal', async () => {
  for (const [signal, code, workers] of [['SIGTERM', 143, '0'], ['SIGINT', 130, '2']] as const) {
    const dir = join(tmp, `stopped-${signal}`), out = join(dir, 'out.wav');
    mkdirSync(dir);
    writeFileSync(out, 'previous render');
    const child = spawn(process.execPath, [BIN, 'render', 'examples/sine.json', '--out', out, '--seconds', '3000', '--format', '32f', '--workers', workers, '--quiet'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    const deadline = Date.now() + 60_000;
    let temp: string | undefined;
    while (Date.now() < deadline) {
      temp = readdirSync(dir).find((f) => f.endsWith('.tmp'));
      if (temp && statSync(join(dir, temp)).size > 2e6) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(temp, 'the render started writing its temp file');
    child.kill(signal);
    assert.equal(await exited, code, stderr);
    assert.equal(stderr, `modsynth: stopped by ${signal}: ${out} not written\n`);
    assert.deepEqual(readdirSync(dir), ['out.wav'], 'the temp file is removed');
    assert.equal(readFileSync(out, 'utf8'), 'previous render');
  }
});

test('files: TMPDIR=/nonexistent does not break render (single-threaded and with workers)', () => {
  for (const workers of ['0', '2']) {
    const out = join(tmp, `tmpdir-${workers}.wav`);
    const r = modsynth(['render', 'examples/sine.json', '--out', out, '--seconds', '0.5', '--workers', workers], { env: { TMPDIR: '/nonexistent' } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readWav(out).channels[0].length, 24000);
  }
});
