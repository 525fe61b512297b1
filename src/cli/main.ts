/**
 * The `modsynth` command line. Every user error prints one clear message per problem and exits
 * non-zero; stack traces only with MODSYNTH_DEBUG=1.
 */
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { compilePatch } from '../plan/compile';
import { PatchError } from '../plan/patch';
import { allReferences, referenceMarkdown, referenceText } from '../plan/reference';
import { loadPatchFile } from './load';
import { renderCommand, type RenderCliOptions } from './render';
import { playCommand, serveCommand } from './play';
import { UsageError } from './errors';
import { EXIT_FILE_ERROR, FileWriteError } from '../io/file-error';
import { StoppedBySignal } from './stop-signals';
import { oscReferenceMarkdown } from '../protocol/reference';
import { loadUserModules, withModuleDirOption, type ModuleDirOptions } from './module-dirs';
import { moduleTestCommand } from './module-test';
import { UserModulesError } from '../user-modules/load';


export function intArg(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}]`);
    return n;
  };
}

export function numberArg(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}]`);
    return n;
  };
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('modsynth')
    .description('Modular synthesizer engine: patches as data, modules in workers, shared-memory audio, OSC control.')
    .version(require('../../../package.json').version as string)
    .showHelpAfterError()
    // Set before the subcommands are added, so they inherit it: errors come back to main() as exceptions.
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  withModuleDirOption(program
    .command('check'))
    .description('validate a patch and print its processing order')
    .argument('<patch>', 'patch file (.json)')
    .option('--block <frames>', 'block size used to lay out buffers', intArg('--block', 1, 4096), 128)
    .action(async (path: string, opts: { block: number } & ModuleDirOptions) => {
      await loadUserModules(opts);
      const patch = loadPatchFile(path);
      const plan = compilePatch(patch, { sampleRate: 48000, blockSize: opts.block });
      console.log(`${path}: ok — ${patch.modules.length} modules, ${patch.cables.length} cables${patch.name ? ` ("${patch.name}")` : ''}`);
      console.log('processing order:');
      plan.modules.forEach((m, i) => console.log(`  ${String(i + 1).padStart(3)}. ${m.id} (${m.type})`));
      if (plan.feedback.length) {
        console.log('feedback cables (each delays one block):');
        for (const f of plan.feedback) console.log(`  ${f.from} -> ${f.to}`);
      }
      if (plan.output < 0) console.log('note: no output module, the patch renders silence');
    });

  withModuleDirOption(program
    .command('modules'))
    .description('print the module reference (generated from the module descriptors)')
    .option('--json', 'machine-readable JSON')
    .option('--markdown', 'Markdown, as in docs/modules.md')
    .action(async (opts: { json?: boolean; markdown?: boolean } & ModuleDirOptions) => {
      await loadUserModules(opts);
      if (opts.json) console.log(JSON.stringify(allReferences(), null, 2));
      else if (opts.markdown) process.stdout.write(referenceMarkdown());
      else process.stdout.write(referenceText());
    });

  withModuleDirOption(program
    .command('render'))
    .description('render a patch offline to a WAV file, faster than real time')
    .argument('<patch>', 'patch file (.json)')
    .requiredOption('-o, --out <file>', 'output WAV file')
    .option('-s, --seconds <seconds>', 'duration', numberArg('--seconds', 0.001, 86400), 10)
    .option('-r, --sample-rate <hz>', 'sample rate', intArg('--sample-rate', 8000, 384000), 48000)
    .option('-b, --block <frames>', 'block size in frames', intArg('--block', 1, 4096), 128)
    .addOption(new Option('-f, --format <format>', 'sample format').choices(['16', '32f']).default('16'))
    .option('-w, --workers <n>', 'DSP worker threads (0 = single-threaded on the main thread)', intArg('--workers', 0, 64), availableParallelism())
    .option('--session <file>', 're-render a session recorded with play/serve --record-session (its start patch and every change)')
    .option('--midi <file>', 'play a standard MIDI file into the patch\'s midi-cv modules (default length: the file plus 2 s)')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (path: string, opts: RenderCliOptions & ModuleDirOptions, cmd: Command) => {
      await loadUserModules(opts);
      return renderCommand(path, { ...opts, secondsGiven: cmd.getOptionValueSource('seconds') !== 'default' });
    });

  program
    .command('module-test')
    .description('run the conformance suite on user module files (.ts, .js, .mjs, .dsp); exit 1 when one fails')
    .argument('<file...>', 'module files')
    .option('--json', 'machine-readable JSON reports')
    .action(async (files: string[], opts: { json?: boolean }) => exitWith(await moduleTestCommand(files, opts)));

  program
    .command('osc-commands')
    .description('print the OSC address space (Markdown, as in docs/osc.md)')
    .action(() => {
      process.stdout.write(oscReferenceMarkdown());
    });

  const live = (cmd: Command, describe: string, argument: string) =>
    withModuleDirOption(cmd)
      .description(describe)
      .argument(argument, 'patch file (.json)')
      .option('-b, --block <frames>', 'engine block size in frames', intArg('--block', 16, 4096), 128)
      .option('--buffer <frames>', 'device buffer in frames (latency hint; default 256 on JACK, 4096 through ALSA/PulseAudio)', intArg('--buffer', 64, 16384))
      .option('-w, --workers <n>', 'DSP worker threads', intArg('--workers', 1, 64), availableParallelism())
      .option('-s, --seconds <seconds>', 'stop after this much audio (default: until Ctrl-C)', numberArg('--seconds', 0.01, 86400 * 7))
      .option('--ring <blocks>', 'output ring size in blocks (default: one device buffer plus two blocks)', intArg('--ring', 1, 1024))
      .option('--record <file>', 'also write exactly what went to the device to a WAV file (32-bit float)')
      .option('--device <name>', 'output device (substring of its name)')
      .option('-r, --sample-rate <hz>', 'sample rate', intArg('--sample-rate', 8000, 192000), 48000)
      .option('--osc <host:port>', 'OSC control server address (other interfaces only when asked)', '127.0.0.1:57130')
      .option('--no-osc', 'no OSC server')
      .option('--http <host:port>', 'browser rack address (default 127.0.0.1:57131; other interfaces only when asked)')
      .option('--no-http', 'no browser rack')
      .option('--patch-dir <dir>', 'the only directory /patch/load and /patch/save may use (default: $XDG_DATA_HOME/modsynth/patches, i.e. ~/.local/share/modsynth/patches, created on the first save)')
      .option('--record-session <file>', 'log every applied command with its sample time (replay with render --session)')
      .option('--hang-ms <ms>', 'a module spinning this long in one block is declared hung (default: half the ring, at least 3 ms)', intArg('--hang-ms', 1, 60000))
      .option('--max-faults <n>', 'faults within --fault-window after which a module stays disabled', intArg('--max-faults', 1, 1_000_000), 3)
      .option('--fault-window <seconds>', 'window for --max-faults', numberArg('--fault-window', 0.1, 86400), 10)
      .option('--spares <n>', 'warm spare workers that replace a hung or dead one', intArg('--spares', 0, 16), 1)
      .option('--midi <file>', 'play a standard MIDI file into the patch\'s midi-cv modules (stops 2 s after it unless --seconds)')
      .option('--midi-in [port]', 'live MIDI input (the first port, or one whose name contains PORT) into every midi-cv module')
      .option('-q, --quiet', 'print nothing but warnings and errors')
      .option('--verbose', 'also show what the native audio libraries print while they probe for JACK, ALSA and PulseAudio');
  const exitWith = (code: number | void) => {
    if (typeof code === 'number' && code !== 0) process.exitCode = code;
  };
  live(program.command('play'), 'play a patch on the audio device in real time, with OSC control (JACK if running, else ALSA/PulseAudio; null sink if none)', '<patch>')
    .action(async (path: string, opts) => {
      await loadUserModules(opts);
      exitWith(await playCommand(path, opts));
    });
  live(program.command('serve'), 'run the engine with OSC control, starting empty or with a patch', '[patch]')
    .action(async (path: string | undefined, opts) => {
      await loadUserModules(opts);
      exitWith(await serveCommand(path, opts));
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    return reportError(e);
  }
}

function reportError(e: unknown): number {
  const err = e as { code?: string; exitCode?: number };
  if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
    // commander already printed help/version or the usage problem.
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2;
  }
  if (e instanceof PatchError) {
    process.stderr.write(e.message + '\n');
    return 1;
  }
  if (e instanceof UserModulesError) {
    for (const line of e.problems) process.stderr.write(`modsynth: ${line}\n`);
    return 1;
  }
  if (e instanceof UsageError) {
    process.stderr.write(`modsynth: ${e.message}\n`);
    return 2;
  }
  if (e instanceof StoppedBySignal) {
    process.stderr.write(`modsynth: ${e.message}\n`);
    return e.exitCode;
  }
  if (e instanceof FileWriteError) {
    if (process.env.MODSYNTH_DEBUG) console.error(e);
    process.stderr.write(`modsynth: ${e.message}\n`);
    return EXIT_FILE_ERROR;
  }
  if (process.env.MODSYNTH_DEBUG) console.error(e);
  process.stderr.write(`modsynth: internal error: ${(e as Error)?.message ?? String(e)} (set MODSYNTH_DEBUG=1 for details)\n`);
  return 3;
}
