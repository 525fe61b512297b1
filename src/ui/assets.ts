/**
 * The files the rack serves: a fixed table built once at start, from the page's own folders only
 * (src/ui/page for the HTML and CSS, dist/ui-page for the compiled scripts). A request names an entry
 * of the table or gets 404: no URL is ever joined to a path, so nothing outside these files is read.
 * Control thread (synchronous reads at start; served from memory).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allReferences } from '../plan/reference';
import { findModule } from '../modules';

/** The repository root (this file runs as dist/src/ui/assets.js). */
const ROOT = join(__dirname, '..', '..', '..');
export const PAGE_DIR = join(ROOT, 'src', 'ui', 'page');
export const SCRIPT_DIR = join(ROOT, 'dist', 'ui-page');

export interface Asset {
  type: string;
  body: Buffer;
}

const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8', json: 'application/json; charset=utf-8', png: 'image/png' };

/** The module descriptors as the page needs them (`modsynth modules --json`, plus what the panels draw). */
export function moduleCatalogue(): unknown[] {
  return allReferences().map((r) => {
    const d = findModule(r.type)!;
    return {
      ...r,
      poly: Boolean(d.poly || d.channels),
      midi: Boolean(d.midi),
      readout: d.readout ? r.type : undefined,
      params: r.params.map((p) => ({ ...p, structural: Boolean(d.params[p.name].structural) })),
    };
  });
}

/** Path → asset. Throws when the page has not been built (`npm run build`). */
export function loadAssets(): Map<string, Asset> {
  const out = new Map<string, Asset>();
  const add = (url: string, file: string) => out.set(url, { type: TYPES[file.split('.').pop()!] ?? 'application/octet-stream', body: readFileSync(file) });
  add('/', join(PAGE_DIR, 'index.html'));
  add('/rack.css', join(PAGE_DIR, 'rack.css'));
  let scripts: string[];
  try {
    scripts = readdirSync(SCRIPT_DIR).filter((n) => /^[a-z][a-z0-9-]*\.js$/.test(n));
  } catch {
    throw new Error(`the rack's scripts are not built (${SCRIPT_DIR} is missing): run npm run build`);
  }
  for (const n of scripts) add(`/js/${n}`, join(SCRIPT_DIR, n));
  out.set('/modules.json', { type: TYPES.json, body: Buffer.from(JSON.stringify(moduleCatalogue())) });
  return out;
}
