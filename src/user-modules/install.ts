/**
 * The user module types of this thread: sources turned into descriptors and registered beside the
 * built-ins (modules/index.ts). The control thread installs what it loaded and tested; each DSP worker
 * installs the same sources (posted in its WorkerInit) before it warms up. Never on the audio path.
 */
import { registerUserModule } from '../modules';
import type { AnyModule } from '../sdk/module-api';
import { evaluateScript } from './evaluate';
import { faustDescriptor } from './faust-module';
import type { UserModuleSource } from './source';

const installed = new Map<string, UserModuleSource>();

/** The descriptor a source defines (evaluated afresh: a source is plain data). */
export function describeSource(src: UserModuleSource): AnyModule {
  return src.kind === 'script' ? evaluateScript(src) : faustDescriptor(src);
}

/** Evaluates and registers each source (replacing an earlier version of the same type). */
export function installUserModules(sources: readonly UserModuleSource[]): AnyModule[] {
  return sources.map((src) => installUserModule(src, describeSource(src)));
}

export function installUserModule(src: UserModuleSource, desc: AnyModule): AnyModule {
  registerUserModule(desc);
  installed.set(desc.type, src);
  return desc;
}

/** The sources installed on this thread, in load order: what a new worker must install. */
export function userModuleSources(): UserModuleSource[] {
  return [...installed.values()];
}

/** The user module type installed from a file ('' if none). */
export function typeOfFile(file: string): string {
  for (const [type, src] of installed) if (src.file === file) return type;
  return '';
}

/** The source of a user module type, if one is installed. */
export function sourceOf(type: string): UserModuleSource | undefined {
  return installed.get(type);
}
