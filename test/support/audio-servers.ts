/**
 * Real audio servers in user space for tests (no sound card needed): PulseAudio with a null sink,
 * JACK with the dummy driver, and PipeWire (with WirePlumber and pipewire-pulse) with a null sink.
 * Each returns a handle that stops the server. Never run two at once: node-web-audio-api picks JACK
 * whenever a JACK server runs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
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

/**
 * JACK with the dummy driver, under a server name of its own (`env.JACK_DEFAULT_SERVER`, which libjack,
 * jack_capture and Modsynth's backend probe all follow): on a machine shared by several test runs the
 * default server is shared too, and one run's `play` was heard in another's recording (two tones
 * summed) or lost its server when the other run stopped it.
 */
export async function startJack(periodFrames = 256): Promise<ServerHandle> {
  const name = `modsynth-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const env = { JACK_DEFAULT_SERVER: name };
  const full = { ...process.env, ...env };
  const proc = spawn('jackd', ['-n', name, '-R', '-d', 'dummy', '-r', '48000', '-p', String(periodFrames)], { stdio: 'ignore', env: full });
  await until(() => /^running/m.test(spawnSync('jack_wait', ['-c'], { encoding: 'utf8', env: full }).stdout), 10_000, 'jackd');
  return { env, stop: () => stopProcess(proc) };
}

/**
 * PipeWire in user space: a private runtime and config directory, a null sink named `system` (its
 * ports are then `system:playback_FL/FR` on PipeWire's JACK interface, the only ports
 * node-web-audio-api's JACK backend connects to, and `system:monitor_FL/FR` to record from), WirePlumber
 * as the session manager (without it Pulse streams are never linked), then pipewire-pulse. Started in
 * that order, each once the previous one answers. Headless: no D-Bus, so WirePlumber runs with device
 * reservation and the flatpak portal off (a fragment loaded before its `90-enable-all.lua`).
 *
 * `env` points clients at it: `XDG_RUNTIME_DIR` (= PIPEWIRE_RUNTIME_DIR, where Pulse clients find
 * `pulse/native` too). JACK clients run under `pw-jack` (`jackCommand`). `quantum` forces the graph's
 * period (pw-metadata clock.force-quantum), frames.
 */
export async function startPipewire(quantum = 256): Promise<ServerHandle & { jackCommand(cmd: string, args: string[]): [string, string[]] }> {
  const dir = mkdtempSync(join(tmpdir(), 'modsynth-pw-'));
  chmodSync(dir, 0o700);
  const run = join(dir, 'run'), cfg = join(dir, 'config');
  mkdirSync(run, { mode: 0o700 });
  mkdirSync(join(cfg, 'pipewire', 'pipewire.conf.d'), { recursive: true });
  mkdirSync(join(cfg, 'wireplumber', 'main.lua.d'), { recursive: true });
  writeFileSync(
    join(cfg, 'pipewire', 'pipewire.conf.d', 'modsynth-null-sink.conf'),
    [
      'context.properties = { default.clock.rate = 48000 }',
      'context.objects = [',
      '  { factory = adapter',
      '    args = {',
      '      factory.name = support.null-audio-sink',
      '      node.name = "system"',
      '      node.description = "system"',
      '      media.class = Audio/Sink',
      '      audio.rate = 48000',
      '      audio.channels = 2',
      '      audio.position = "FL,FR"',
      '      adapter.auto-port-config = { mode = dsp monitor = true position = preserve }',
      '    }',
      '  }',
      ']',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(cfg, 'wireplumber', 'main.lua.d', '51-modsynth-headless.lua'),
    ['alsa_monitor.properties["alsa.reserve"] = false', 'default_access.properties["enable-flatpak-portal"] = false', ''].join('\n'),
  );
  const env = { XDG_RUNTIME_DIR: run, PIPEWIRE_RUNTIME_DIR: run, XDG_CONFIG_HOME: cfg, PULSE_RUNTIME_PATH: join(run, 'pulse') };
  const full = { ...process.env, ...env };
  const procs: ChildProcess[] = [];
  const stop = async () => {
    for (const p of procs.reverse()) await stopProcess(p);
  };
  try {
    const start = (cmd: string) => {
      const p = spawn(cmd, [], { env: full, stdio: 'ignore' });
      procs.push(p);
      return p;
    };
    const pw = start('pipewire');
    await until(() => pw.exitCode === null && existsSync(join(run, 'pipewire-0')) && spawnSync('pw-cli', ['info', '0'], { env: full }).status === 0, 10_000, 'pipewire');
    const wp = start('wireplumber');
    // WirePlumber is ready once it has published the default sink.
    await until(() => wp.exitCode === null && /default\.audio\.sink/.test(spawnSync('pw-metadata', ['0'], { env: full, encoding: 'utf8', timeout: 2000 }).stdout ?? ''), 10_000, 'wireplumber');
    const pp = start('pipewire-pulse');
    await until(() => pp.exitCode === null && spawnSync('pactl', ['info'], { env: full, timeout: 2000 }).status === 0, 10_000, 'pipewire-pulse');
    if (spawnSync('pw-metadata', ['-n', 'settings', '0', 'clock.force-quantum', String(quantum)], { env: full }).status !== 0) throw new Error('pw-metadata clock.force-quantum failed');
  } catch (e) {
    await stop();
    throw e;
  }
  return { env, stop, jackCommand: (cmd, args) => ['pw-jack', [cmd, ...args]] };
}

/** Starts a recorder; `stop` sends `signal` (jack_capture finishes its file on SIGINT, like Ctrl-C). */
export function record(cmd: string, args: string[], env: Record<string, string>, signal: NodeJS.Signals = 'SIGTERM'): { stop(): Promise<void> } {
  const proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  return { stop: () => stopProcess(proc, signal) };
}
