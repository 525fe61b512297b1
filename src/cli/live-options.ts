/**
 * What `play` and `serve` are asked for on the command line, and the settings derived from it before
 * anything starts: the OSC address, the device buffer and the output ring. Control thread.
 */
import { defaultBufferFrames, type Backend } from '../io/backend-probe';
import { UsageError } from './errors';

export interface PlayOptions {
  block: number;
  /** Device buffer in frames; default: the backend's (io/backend-probe.ts). */
  buffer?: number;
  workers: number;
  seconds?: number;
  record?: string;
  device?: string;
  sampleRate: number;
  /** Output ring capacity in blocks (default: enough for one device buffer plus one block). */
  ring?: number;
  /** OSC server address HOST:PORT, or false (--no-osc). */
  osc: string | false;
  /** Browser rack address HOST:PORT, false (--no-http), or undefined: the default (src/ui/start-rack.ts). */
  http?: string | false;
  /** Directory /patch/load and /patch/save may use. */
  patchDir?: string;
  /** Log every applied command with its sample time (replay with render --session). */
  recordSession?: string;
  hangMs?: number;
  maxFaults: number;
  faultWindow: number;
  spares: number;
  /** A MIDI file to play into the patch's midi-cv modules. */
  midi?: string;
  /** Live MIDI input: true for the first port, or a substring of the port's name. */
  midiIn?: string | boolean;
  quiet?: boolean;
  /** Show the native audio libraries' own output while they probe (dropped otherwise). */
  verbose?: boolean;
}

/** `--osc HOST:PORT` (IPv6 as `[ADDR]:PORT`), or a UsageError naming the option. */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port > 65535) throw new UsageError(`--osc takes HOST:PORT (IPv6 as [ADDR]:PORT), got "${text}"`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

export interface DeviceSettings {
  /** The backend probed (it names the device line and sets the default buffer). */
  backend: Backend;
  /** Device buffer, frames. */
  buffer: number;
  /** Output ring capacity, blocks. */
  ringBlocks: number;
}

/**
 * The device buffer: as asked, or the backend's safe default (defaults never lose audio: see
 * io/backend-probe.ts). The ring must cover one device period plus the block being computed; the
 * default adds one block of margin, which absorbs a late wake-up on a loaded machine (measured:
 * period + 1 block at 256 frames gave 29 underruns a minute on the canonical 64-voice workload).
 */
export function deviceSettings(opts: PlayOptions, backend: Backend): DeviceSettings {
  const buffer = opts.buffer ?? defaultBufferFrames(backend);
  return { backend, buffer, ringBlocks: opts.ring ?? Math.ceil(buffer / opts.block) + 2 };
}
