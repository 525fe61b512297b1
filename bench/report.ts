/** Shared bench reporting: machine description, medians, text table and JSON next to it. */
import { cpus, totalmem, type as osType, release } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function machine(): Record<string, string | number> {
  const c = cpus();
  return { cpu: c[0]?.model ?? 'unknown', cores: c.length, memGiB: Math.round(totalmem() / 2 ** 30), os: `${osType()} ${release()}`, node: process.version };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface BenchSection {
  name: string;
  settings: Record<string, unknown>;
  columns: string[];
  rows: (string | number)[][];
}

export function printSection(s: BenchSection): void {
  console.log(`\n## ${s.name}`);
  console.log(`settings: ${JSON.stringify(s.settings)}`);
  const widths = s.columns.map((c, i) => Math.max(c.length, ...s.rows.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]) => cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
  console.log(line(s.columns));
  for (const r of s.rows) console.log(line(r));
}

export function writeResults(sections: BenchSection[], name = 'bench'): string {
  const dir = join(__dirname, '../../bench/results');
  mkdirSync(dir, { recursive: true });
  const doc = { date: new Date().toISOString(), machine: machine(), sections };
  const stamp = doc.date.replace(/[:.]/g, '-');
  const file = join(dir, `${name}-${stamp}.json`);
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  writeFileSync(join(dir, `${name}-latest.json`), JSON.stringify(doc, null, 2) + '\n');
  return file;
}
