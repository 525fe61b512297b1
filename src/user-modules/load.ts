/**
 * Loads the user modules of the directories named on the command line (--module-dir, repeatable):
 * each `.ts`, `.js`, `.mjs` or `.dsp` file directly in them (not in subdirectories; `.d.ts` and hidden
 * files are skipped) is read, evaluated, validated, run through module-test and installed as
 * `user/NAME` on this thread; the engine's workers get the same sources (userModuleSources). Modules
 * load only from there: no network command names a file. Control thread, before the engine starts.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { findModule } from '../modules';
import type { AnyModule } from '../sdk/module-api';
import { readFaustModule } from './faust-compile';
import { describeSource, installUserModule, sourceOf } from './install';
import { firstFailure, runModuleTest, type ModuleTestReport } from './module-test';
import { ModuleFileError, MODULE_EXTENSIONS, type UserModuleSource } from './source';
import { readScriptModule } from './transpile';

/** Every problem found while loading, one line each (the command exits 1 with them). */
export class UserModulesError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'UserModulesError';
  }
}

export interface LoadedModule {
  desc: AnyModule;
  source: UserModuleSource;
  report?: ModuleTestReport;
}

/** The module files of a directory, sorted by name. */
export function moduleFiles(dir: string): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new UserModulesError([`--module-dir ${dir}: not a directory`]);
    names = readdirSync(dir);
  } catch (e) {
    if (e instanceof UserModulesError) throw e;
    throw new UserModulesError([`--module-dir ${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (e as Error).message}`]);
  }
  return names
    .filter((n) => !n.startsWith('.') && !n.endsWith('.d.ts') && (MODULE_EXTENSIONS as readonly string[]).includes(extname(n)))
    .sort()
    .map((n) => join(resolve(dir), n));
}

/** Reads one module file into a source (transpiled script or compiled Faust). */
export async function readModuleSource(file: string): Promise<UserModuleSource> {
  return extname(file) === '.dsp' ? readFaustModule(file) : readScriptModule(file);
}

/**
 * Reads, evaluates, validates and (unless `test: false`) module-tests a file; throws ModuleFileError
 * with the first problem. Does not install it.
 */
export async function prepareModule(file: string, opts: { test?: boolean } = {}): Promise<LoadedModule> {
  const source = await readModuleSource(file);
  const desc = describeSource(source);
  if (opts.test === false) return { desc, source };
  const report = await runModuleTest(source);
  const failure = firstFailure(report);
  if (failure) throw new ModuleFileError(file, failure.startsWith(`${file}: `) ? failure.slice(file.length + 2) : failure);
  return { desc, source, report };
}

/** Loads every module of the directories; throws UserModulesError listing every refused file. */
export async function loadModuleDirs(dirs: readonly string[], opts: { test?: boolean } = {}): Promise<LoadedModule[]> {
  const files = dirs.flatMap(moduleFiles);
  const problems: string[] = [];
  const loaded: LoadedModule[] = [];
  const byType = new Map<string, string>();
  for (const file of files) {
    try {
      const m = await prepareModule(file, opts);
      const type = m.desc.type;
      const other = byType.get(type) ?? sourceOf(type)?.file;
      if (findModule(type) && !sourceOf(type)) throw new ModuleFileError(file, `${type} is a built-in module type`);
      if (other && other !== file) throw new ModuleFileError(file, `${type} is already defined by ${other}`);
      byType.set(type, file);
      loaded.push(m);
    } catch (e) {
      if (e instanceof ModuleFileError) problems.push(e.message);
      else throw e;
    }
  }
  if (problems.length) throw new UserModulesError(problems);
  for (const m of loaded) installUserModule(m.source, m.desc);
  return loaded;
}
