/**
 * What the page knows: the module catalogue (`/modules.json`, the descriptors as `modsynth modules
 * --json` gives them) and the live patch (from `/patch/get`, kept current by `/notify` events). The
 * server is the source of truth: the page never edits this copy except from what the server says.
 */
export interface ParamRef {
  name: string;
  unit: string;
  min: number;
  max: number;
  default: number;
  doc: string;
  choices?: string[];
  structural: boolean;
}
export interface PortRef {
  name: string;
  signal: string;
  doc: string;
}
export interface ModuleType {
  type: string;
  title: string;
  category: string;
  doc: string;
  poly: boolean;
  midi: boolean;
  readout?: string;
  params: ParamRef[];
  inputs: PortRef[];
  outputs: PortRef[];
}
export interface PatchModule {
  id: string;
  type: string;
  params: Record<string, number>;
  ui?: { x?: number; y?: number; [k: string]: unknown };
}
export interface Cable {
  from: string;
  to: string;
}
export interface Patch {
  name?: string;
  modules: PatchModule[];
  cables: Cable[];
}
export interface PatchInfo {
  seconds: number;
  load: number[];
  modules: Record<string, { worker: number; voices: number; cpuPercent: number }>;
  cables: { from: string; to: string; channels: number; feedback: boolean }[];
}

/** A whole-number param moves in steps of 1; others in 1/200 of their range per step. */
export function stepOf(p: ParamRef): number {
  return isDiscrete(p) ? 1 : (p.max - p.min) / 200;
}

export function isDiscrete(p: ParamRef): boolean {
  return p.unit === 'enum' || p.unit === 'count' || p.unit === 'semitones';
}

/** The value as a musician reads it: with its unit, and the choice's name for an enum. */
export function formatValue(p: ParamRef, v: number): string {
  if (p.unit === 'enum') return p.choices?.[Math.round(v)] ?? String(v);
  if (p.unit === 'count') return String(Math.round(v));
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  const unit = p.unit === 'ratio' || p.unit === 'gain' ? '' : p.unit === 'semitones' ? ' st' : p.unit === 'cents' ? ' ct' : ` ${p.unit}`;
  if (p.unit === 's' && abs < 1) return `${(v * 1000).toFixed(abs < 0.01 ? 2 : 1)} ms`;
  if (p.unit === 'Hz' && abs >= 1000) return `${(v / 1000).toFixed(2)} kHz`;
  return `${p.unit === 'semitones' && v > 0 ? '+' : ''}${v.toFixed(p.unit === 'semitones' ? 0 : digits)}${unit}`;
}

export const clamp = (v: number, p: ParamRef) => Math.min(p.max, Math.max(p.min, v));

/** A cable's colour, stable for its source jack (so a patch looks the same in every tab). */
export function cableColour(from: string): string {
  let h = 0;
  for (let i = 0; i < from.length; i++) h = (h * 31 + from.charCodeAt(i)) >>> 0;
  const hues = [4, 32, 50, 140, 190, 215, 275, 320];
  return `hsl(${hues[h % hues.length]} 80% 55%)`;
}
