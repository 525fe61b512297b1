/**
 * The layer rule: which folder of src/ may import which. Checked by `npm test` (`npm run layers`,
 * and test/arch/layers.test.ts, which also proves that an import against the layers fails).
 *
 * From the ground up (docs/engine.md, "Layers"); a folder may import its own files and any folder on
 * a lower line, never one on its own line or above:
 *
 *   cli                                  the command line
 *   ui                                   the browser rack's server
 *   control                              OSC server, live session, session log and replay
 *   io                                   device output, WAV files, offline event rendering
 *   engine                               control side: pool, supervisor, watchdog, backends, arena
 *   realtime                             code on the audio threads: block loop, runner, worker entries
 *   plan                                 patch model, compiler, partition, module reference
 *   user-modules                         module files from --module-dir: load, validate, module-test
 *   modules                              the built-in module types
 *   sdk                                  what a module file imports (module-api), and its engine side
 *   memory protocol dsp midi threads     leaves: import nothing else of src/
 */
const LAYERS = [
  ['memory', 'protocol', 'dsp', 'midi', 'threads'],
  ['sdk'],
  ['modules'],
  ['plan'],
  ['user-modules'],
  ['realtime'],
  ['engine'],
  ['io'],
  ['control'],
  ['ui'],
  ['cli'],
];

const folders = LAYERS.flat();
const alt = (names) => `^src/(${names.join('|')})/`;
const layerRules = LAYERS.flatMap((line, level) =>
  line.map((folder) => {
    // Not allowed: the other folders of this line and every folder above it.
    const banned = [...line.filter((f) => f !== folder), ...LAYERS.slice(level + 1).flat()];
    return banned.length === 0
      ? undefined
      : {
          name: `layer-${folder}`,
          comment: `src/${folder}/ may import only ${LAYERS.slice(0, level).flat().join(', ') || 'nothing else of src/'} (see .dependency-cruiser.cjs)`,
          severity: 'error',
          from: { path: `^src/${folder}/` },
          to: { path: alt(banned) },
        };
  }),
).filter(Boolean);

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-unknown-folder',
      comment: `every file of src/ is in a folder of the layer list (${folders.join(', ')}): a new folder takes its place in .dependency-cruiser.cjs`,
      severity: 'error',
      from: { path: '^src/', pathNot: alt(folders) },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'files of src/ that import each other in a loop',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-to-tests',
      comment: 'src/ never imports tests, benchmarks or scripts',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '^(dist|node_modules)/' },
  },
};
