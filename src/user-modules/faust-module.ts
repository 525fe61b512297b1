/** Faust modules (.dsp): filled in by the Faust step. */
import type { AnyModule } from '../sdk/module-api';
import { ModuleFileError, type FaustSource } from './source';

export function faustDescriptor(src: FaustSource): AnyModule {
  throw new ModuleFileError(src.file, 'Faust modules are not supported yet');
}
