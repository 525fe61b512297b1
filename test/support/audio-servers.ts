/**
 * Real audio servers in user space for tests (no sound card needed): PulseAudio with a null sink and
 * JACK with the dummy driver. Each returns a handle that stops the server. Never run both at once:
 * node-web-audio-api picks JACK whenever a JACK server runs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServerHandle {
  env: Record<string, string>;
  stop(): Promise<void>;
}

async function stopProcess(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    p.once('exit', () => resolve());
    p.kill(signal);
    setTimeout(() => p.kill('SIGKILL'), 2000).unref();
  });
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what} did not start within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startPulse(): Promise<ServerHandle & { sink: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'modsynth-pulse-'));
  chmodSync(dir, 0o700);
  const pa = join(dir, 'ci.pa');
  writeFileSync(
    pa,
    [
      'load-module module-native-protocol-unix auth-anonymous=1',
      'load-module module-null-sink sink_name=ci_sink rate=48000 channels=2 norewinds=1',
      'set-default-sink ci_sink',
      '',
    ].join('\n'),
  );
  const env = { XDG_RUNTIME_DIR: dir, PULSE_RUNTIME_PATH: join(dir, 'pulse') };
  const proc = spawn('pulseaudio', ['--daemonize=no', '--exit-idle-time=-1', '--disallow-exit', '-n', '-F', pa, '--log-target=stderr'], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  await until(() => spawnSync('pactl', ['info'], { env: { ...process.env, ...env } }).status === 0, 10_000, 'pulseaudio');
  return { env, sink: 'ci_sink', stop: () => stopProcess(proc) };
}

export async function startJack(periodFrames = 256): Promise<ServerHandle> {
  const proc = spawn('jackd', ['-R', '-d', 'dummy', '-r', '48000', '-p', String(periodFrames)], { stdio: 'ignore' });
  await until(() => /^running/m.test(spawnSync('jack_wait', ['-c'], { encoding: 'utf8' }).stdout), 10_000, 'jackd');
  return { env: {}, stop: () => stopProcess(proc) };
}

/** Starts a recorder process; `stop()` ends it and resolves when the file is complete. */
/** Starts a recorder; `stop` sends `signal` (jack_capture finishes its file on SIGINT, like Ctrl-C). */
export function record(cmd: string, args: string[], env: Record<string, string>, signal: NodeJS.Signals = 'SIGTERM'): { stop(): Promise<void> } {
  const proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  return { stop: () => stopProcess(proc, signal) };
}
