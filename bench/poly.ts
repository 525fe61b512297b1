/**
 * Polyphony cost: examples/pad.json (two VCOs, mixer, ADSR, VCF and VCA per voice, then chorus (its input
 * sums the voices) and reverb) with 1, 4, 8 and 16 voices all sounding (held notes sent at frame 0), rendered offline on one
 * thread and on the worker pool. Reports the real-time ratio and the cost per voice.
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../src/engine/engine';
import { parsePatch } from '../src/plan/patch';
import { renderWithEvents } from '../src/io/event-render';
import { packMidi } from '../src/midi/message';
import { median, type BenchSection } from './report';

const SR = 48000, BLOCK = 128;
export const POLY_VOICES = [1, 4, 8, 16];

export async function polyphony(seconds: number, repeats: number): Promise<BenchSection> {
  const text = readFileSync(join(__dirname, '..', '..', 'examples', 'pad.json'), 'utf8');
  const rows: (string | number)[][] = [];
  const pool = Math.max(1, availableParallelism());
  for (const voices of POLY_VOICES) {
    const patch = parsePatch(text);
    patch.modules.find((m) => m.id === 'keys')!.params.voices = voices;
    const events = Array.from({ length: voices }, (_, k) => ({ frame: 0, id: 'keys', data: packMidi(0x90, 40 + 3 * k, 100) }));
    const row: (string | number)[] = [voices];
    let single = 0;
    for (const workers of [0, pool]) {
      const times: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const engine = await Engine.start({ workers });
        try {
          await engine.load(patch, { sampleRate: SR, blockSize: BLOCK });
          times.push(renderWithEvents(engine, seconds * SR, events).seconds);
        } finally {
          await engine.close();
        }
      }
      const t = median(times);
      if (workers === 0) single = t;
      row.push((seconds / t).toFixed(1));
    }
    row.push(((single / (seconds * SR / BLOCK) / voices) * 1e6).toFixed(1));
    rows.push(row);
  }
  return {
    name: 'polyphony: examples/pad.json with every voice sounding, offline render',
    settings: { sampleRate: SR, block: BLOCK, seconds, repeats, statistic: 'median', poolWorkers: pool },
    columns: ['voices', 'x realtime (1 thread)', `x realtime (${pool} workers)`, 'us/block per voice (1 thread)'],
    rows,
  };
}
