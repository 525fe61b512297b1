/** Faust compilation (.dsp → WebAssembly): filled in by the Faust step. */
import { ModuleFileError, type FaustSource } from './source';

export async function readFaustModule(file: string): Promise<FaustSource> {
  throw new ModuleFileError(file, 'Faust modules are not supported yet');
}
