/**
 * Opens the audio device for a live engine and prints what a musician needs to know about it: the
 * backend, the sample rate, the workers and the output latency (ring + device). Control thread.
 */
import { DeviceSink, type RecordTap } from '../io/device';
import type { RenderPlan } from '../plan/compile';
import type { ArenaLayout } from '../memory/layout';
import type { DeviceSettings, PlayOptions } from './live-options';
import { UsageError } from './errors';

export interface OpenedDevice {
  sink: DeviceSink;
  /** Device latency, ms: as the device reports it, else the buffer asked for. */
  deviceMs: number;
}

/** The output latency the ring adds, ms. */
export function ringMs(settings: DeviceSettings, opts: PlayOptions): number {
  return (settings.ringBlocks * opts.block * 1000) / opts.sampleRate;
}

export async function openDevice(
  arena: { sab: SharedArrayBuffer; layout: ArenaLayout },
  tap: RecordTap | undefined,
  settings: DeviceSettings,
  opts: PlayOptions,
  plan: RenderPlan,
  path: string | undefined,
  say: (line: string) => void,
): Promise<OpenedDevice> {
  const sr = opts.sampleRate;
  let sink: DeviceSink;
  try {
    sink = await DeviceSink.open({
      sampleRate: sr,
      bufferFrames: settings.buffer,
      device: opts.device,
      sab: arena.sab,
      layout: arena.layout,
      record: tap ? { sab: tap.sab, frames: tap.frames } : undefined,
      onFallback: (reason) => console.warn(`modsynth: ${reason}`),
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const reported = sink.info.reportedLatency > 0;
  const deviceMs = reported ? sink.info.reportedLatency * 1000 : (settings.buffer * 1000) / sr;
  const ring = ringMs(settings, opts);
  say(
    `playing ${path ?? '(empty patch)'} — ${sink.info.backend === 'null' ? 'null sink' : settings.backend === 'pulse' ? 'PulseAudio (through ALSA)' : 'device'} at ${sink.info.sampleRate} Hz, block ${opts.block}, ` +
      `${plan.workers} of ${opts.workers} workers; latency ${(ring + deviceMs).toFixed(1)} ms ` +
      `(ring ${ring.toFixed(1)} ms = ${settings.ringBlocks} blocks, device ${deviceMs.toFixed(1)} ms${reported ? '' : ' requested'})`,
  );
  return { sink, deviceMs };
}
