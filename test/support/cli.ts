import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '../../..');
export const BIN = join(ROOT, 'bin/modsynth.js');

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `modsynth` command line in a child process. */
export function modsynth(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', ...opts.env },
    timeout: 120_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs an external program and returns its output; throws when it cannot be started. */
export function run(cmd: string, args: string[]): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message} (is it installed? see .ci/setup.sh)`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Parses `sox FILE -n stat` output into a map of field → number. */
export function soxStat(file: string, effects: string[] = []): Record<string, number> {
  const r = run('sox', [file, '-n', ...effects, 'stat']);
  if (r.status !== 0) throw new Error(`sox failed: ${r.stderr}`);
  const fields: Record<string, number> = {};
  for (const line of r.stderr.split('\n')) {
    const m = /^([A-Za-z ()]+?):\s+(-?[0-9.]+)/.exec(line.trim());
    if (m) fields[m[1].replace(/\s+/g, ' ')] = Number(m[2]);
  }
  return fields;
}

/**
 * Frequency of a pure sine from sox's stat figures. For x[n] = A·sin(ωn) the RMS of the first
 * difference is 2·sin(ω/2)·RMS(x), so ω = 2·asin(RMSdelta / (2·RMS)). (sox's own "Rough frequency"
 * is the small-angle version of this, truncated to an integer.)
 */
export function soxSineHz(stat: Record<string, number>, sampleRate: number): number {
  return ((2 * Math.asin(stat['RMS delta'] / (2 * stat['RMS amplitude']))) * sampleRate) / (2 * Math.PI);
}
