/**
 * `modsynth module-test FILE...`: runs the conformance suite on each module file and prints the report
 * (exit 0 when every file passes, 1 otherwise). The same suite refuses a module at load.
 */
import { resolve } from 'node:path';
import { formatReport, runModuleTest } from '../user-modules/module-test';
import { readModuleSource } from '../user-modules/load';
import { ModuleFileError } from '../user-modules/source';

export async function moduleTestCommand(files: string[], opts: { json?: boolean }): Promise<number> {
  let failed = 0;
  const reports = [];
  for (const f of files) {
    const file = resolve(f);
    try {
      const src = await readModuleSource(file);
      const report = await runModuleTest(src);
      if (!report.ok) failed++;
      reports.push({ ...report, transpileMs: src.transpileMs });
      if (!opts.json) process.stdout.write(formatReport(report, src.transpileMs));
    } catch (e) {
      if (!(e instanceof ModuleFileError)) throw e;
      failed++;
      reports.push({ file, refused: e.message, results: [], ok: false });
      if (!opts.json) process.stdout.write(formatReport({ file, refused: e.message, results: [], ok: false }));
    }
  }
  if (opts.json) console.log(JSON.stringify(reports, null, 2));
  return failed ? 1 : 0;
}
