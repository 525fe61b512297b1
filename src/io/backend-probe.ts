/**
 * Which audio backend node-web-audio-api will open, asked before it opens: it takes JACK whenever a
 * JACK server answers, else ALSA (which on a desktop is PulseAudio or PipeWire behind ALSA's `default`
 * device). The answer decides the default device buffer (see `defaultBufferFrames`), which must be
 * known before the engine lays out its output ring. Control thread only, before audio starts.
 */
import { createConnection } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';

export type Backend = 'jack' | 'pulse' | 'alsa';

/**
 * The JACK server's request socket (jackd2 on Linux: /dev/shm/jack_<server>_<uid>_0). A connection
 * that opens means a server is listening; a stale file left by a crashed server refuses it.
 */
function jackSocketPath(): string {
  const server = process.env.JACK_DEFAULT_SERVER || 'default';
  return `/dev/shm/jack_${server}_${userInfo().uid}_0`;
}

/** True when something accepts connections on the unix socket `path` within `timeoutMs`. */
function socketAnswers(path: string, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ path });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** True when a JACK server accepts connections on its socket. */
export function jackServerRunning(): Promise<boolean> {
  return socketAnswers(jackSocketPath());
}

/**
 * The PulseAudio server's native socket (PipeWire's Pulse interface serves the same one), where ALSA's
 * pulse plugin connects: $PULSE_SERVER when it names a unix socket, else $PULSE_RUNTIME_PATH/native or
 * $XDG_RUNTIME_DIR/pulse/native.
 */
function pulseSocketPath(): string | undefined {
  const server = process.env.PULSE_SERVER;
  if (server) return server.startsWith('unix:') ? server.slice(5) : server.startsWith('/') ? server : undefined;
  if (process.env.PULSE_RUNTIME_PATH) return join(process.env.PULSE_RUNTIME_PATH, 'native');
  if (process.env.XDG_RUNTIME_DIR) return join(process.env.XDG_RUNTIME_DIR, 'pulse', 'native');
  return undefined;
}

/**
 * PipeWire's JACK interface: `pw-jack` (or a system that installed pipewire-jack as libjack) points the
 * JACK client library at PipeWire, which then plays the JACK server's part without a jackd socket.
 */
function pipewireJack(): boolean {
  return /pipewire[^:]*\/jack/.test(process.env.LD_LIBRARY_PATH ?? '');
}

/** JACK when a JACK server (or PipeWire's JACK interface) is there; else Pulse behind ALSA when a Pulse server answers; else plain ALSA (a sound card, or nothing: the null sink). */
export async function probeBackend(): Promise<Backend> {
  if (pipewireJack() || (await jackServerRunning())) return 'jack';
  const pulse = pulseSocketPath();
  return pulse && (await socketAnswers(pulse)) ? 'pulse' : 'alsa';
}

/**
 * Default device buffer (frames) per backend, when `--buffer` is not given. JACK plays at the server's
 * period whatever we ask, so the hint only sizes our ring: 256 frames; so does a sound card on plain ALSA,
 * and the null sink. Through ALSA to PulseAudio the
 * buffer is what the Pulse server gets from us; smaller ones lose audio downstream of the engine
 * whenever the server (normal priority, no real-time kit on a headless machine) is kept off its core
 * for a few periods: measured on the 2-core machine kind, an 8 s tone through a PulseAudio null sink
 * with the other core busy lost audio at 256, 1024 and 2048 frames and none at 4096 frames
 * (`bench/pulse-loss`). Defaults must never lose audio; lower latency is a flag away.
 */
export function defaultBufferFrames(backend: Backend): number {
  return backend === 'pulse' ? 4096 : 256;
}
