/**
 * `--module-dir DIR` (repeatable) on render, play, serve, check and modules: the user modules of each
 * directory are loaded, module-tested and installed before the patch is read, so `user/NAME` types
 * validate, compile and run (docs/sdk.md). Without it, no user module exists.
 */
import type { Command } from 'commander';
import { loadModuleDirs, type LoadedModule } from '../user-modules/load';

export interface ModuleDirOptions {
  moduleDir?: string[];
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function withModuleDirOption(cmd: Command): Command {
  return cmd.option('--module-dir <dir>', 'load user modules (.ts, .js, .mjs, .dsp) from this directory as user/NAME (repeatable)', collect, []);
}

/** Loads the user modules named by the options (none without --module-dir). */
export async function loadUserModules(opts: ModuleDirOptions): Promise<LoadedModule[]> {
  return opts.moduleDir?.length ? loadModuleDirs(opts.moduleDir) : [];
}
