/**
 * The fault → OSC event bridge: the supervisor's events are printed as they happen (with the engine
 * frame) and sent to /notify subscribers. Control thread.
 */
import type { Engine } from '../engine/engine';
import type { OscServer } from '../control/osc-server';

export function reportFaults(engine: Engine, server: OscServer | undefined, say: (line: string) => void, B: number, sr: number): void {
  engine.supervisor!.onEvent((e) => {
    const at = (block: number) => `frame ${block * B} (${((block * B) / sr).toFixed(3)} s)`;
    if (e.type === 'fault') {
      say(`fault: ${e.id} (${e.kind}) at ${at(e.block)}; its outputs read 0 V${e.detail ? ` [watchdog: ${e.detail}]` : ''}`);
      server?.event('/fault', [e.id, e.kind, e.block * B]);
    } else if (e.type === 'restarted') {
      say(`restarted: ${e.id} at ${at(e.block)}${e.replacedWorker ? ' on a replacement worker' : ''}; down ${((e.downBlocks * B * 1000) / sr).toFixed(1)} ms of audio`);
      server?.event('/restarted', [e.id, e.block * B, e.downBlocks * B]);
    } else if (e.type === 'disabled') {
      say(`disabled: ${e.id} after ${e.faults} faults within ${e.windowS} s (last: ${e.kind}); enable with /module/enable ${e.id}`);
      server?.event('/disabled', [e.id, e.kind]);
    } else if (e.type === 'enabled') {
      say(`enabled: ${e.id}`);
      server?.event('/enabled', [e.id]);
    } else console.warn(`modsynth: ${e.message}`);
  });
}
