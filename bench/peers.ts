/**
 * `npm run bench -- --only peers` (issue #12): Modsynth side by side with the fastest engines, in one run.
 *
 * Renders the canonical workload (bench/patches/canonical-N.json: 48 kHz, block 64, 32-bit float WAV) with
 * `modsynth render` at --workers 0, 1 and 2, and its polyphonic form (canonical-poly-N.json, N a multiple
 * of 16) the same way, each as a whole child process: wall time measured around the process, user + system
 * CPU and max RSS from the child's own process.resourceUsage() (bench/child-rusage.ts, preloaded), so
 * start-up, worker spawn and WAV writing are counted as they are for the peers.
 *
 * The peers (SuperCollider's scsynth, 1 thread, and supernova -T2; `js-lite`, the same patch as plain
 * JavaScript block code) are rendered by the shared harness ../shared/peers/run.sh when it is there
 * (or at $MODSYNTH_PEERS_SH): it times each engine with /usr/bin/time and writes times.tsv, read here.
 * The harness always renders 60 s; ratios of wall time are therefore taken per second of audio.
 * Without the harness, or without SuperCollider, the peer rows are skipped and the bench says how to
 * install them.
 *
 * CPU per voice-sample = (user + sys) / (seconds × 48000 × N), as in the harness.
 * Options (from bench/run.ts): --voices 64,256  --seconds S (60)  --repeats R (medians; 3)
 *   --peers-engines "scsynth supernova-T2 js-lite"   --no-peers (Modsynth rows only)
 * Work files (patches, WAVs, the harness's scores and logs) go to out/peers/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { canonicalFiles, canonicalPatch, canonicalPolyPatch, PATCH_DIR, POLY_WIDTH } from './canonical';
import { median, type BenchSection } from './report';
import { rmsDiffDb, wavStats, type WavStats } from './wav-stats';
import { parallelCapacity, workloadCapacity, type Capacity } from './parallel-capacity';

const SR = 48000, BLOCK = 64, PEER_SECONDS = 60;
const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'modsynth.js');
const PRELOAD = join(__dirname, 'child-rusage.js');
const OUT = join(ROOT, 'out', 'peers');
const WORKERS = [0, 1, 2];
const DEFAULT_PEERS = 'scsynth supernova-T2 js-lite';

export const INSTALL_HINT =
  'SuperCollider (scsynth, supernova, sclang) is needed for the peer rows: on Debian/Ubuntu ' +
  '`sudo apt-get install supercollider-server supercollider-supernova supercollider-language sox time` ' +
  '(or `bash ../shared/peers/run.sh --install` as root, which also installs Csound and node-web-audio-api); ' +
  'on macOS `brew install --cask supercollider` (then put scsynth/supernova/sclang on PATH). ' +
  'The harness itself (run.sh) lives in ../shared/peers/ beside the project, or set MODSYNTH_PEERS_SH to its path.';

interface Run {
  wall: number;
  user: number;
  sys: number;
  rssMiB: number;
  load1?: number;
  /** Modsynth only: the render time the CLI reports ("rendered in … s": no process start, pool start, patch load or shutdown). */
  render?: number;
  /** Modsynth only: workers the plan used ("1 of 2"), from the CLI's summary line. */
  used?: string;
}

interface Cell {
  engine: string;
  /** 'mono' | 'poly' for Modsynth; 'harness' for the peers. */
  form: string;
  voices: number;
  seconds: number;
  runs: Run[];
  stats?: WavStats;
  output: string;
  wav?: string;
}

const cpuOf = (r: Run) => r.user + r.sys;
const wallOf = (c: Cell) => median(c.runs.map((r) => r.wall));
const cpuMedian = (c: Cell) => median(c.runs.map(cpuOf));
/** ns of CPU per voice-sample. */
const nsPerVoiceSample = (c: Cell) => (cpuMedian(c) / (c.seconds * SR * c.voices)) * 1e9;
const fix = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));

/** Said once per run when a checked-in patch differs from its generator. */
const staleNotes: string[] = [];

/** The patch file for a form and size: bench/patches when it is there and current, else generated into out/peers. */
function patchFile(form: 'mono' | 'poly', voices: number): string {
  const name = form === 'mono' ? `canonical-${voices}.json` : `canonical-poly-${voices}.json`;
  const text = canonicalFiles().get(name) ?? JSON.stringify(form === 'mono' ? canonicalPatch(voices) : canonicalPolyPatch(voices), null, 1) + '\n';
  const checked = join(PATCH_DIR, name);
  if (existsSync(checked) && readFileSync(checked, 'utf8') === text) return checked;
  if (existsSync(checked)) staleNotes.push(`bench/patches/${name} differs from bench/canonical.ts (run node dist/bench/canonical.js): rendered the generator's version`);
  const dir = join(OUT, 'patches');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

/** The node arguments of one `modsynth render` of the bench's settings. */
function renderArgs(patch: string, wav: string, seconds: number, workers: number): string[] {
  return [BIN, 'render', patch, '--out', wav, '--seconds', String(seconds), '--sample-rate', String(SR), '--block', String(BLOCK), '--format', '32f', '--workers', String(workers)];
}

/** One `modsynth render` as a child process. */
function renderOnce(patch: string, workers: number, seconds: number, wav: string): Run {
  const usage = join(OUT, `rusage-${process.pid}.json`);
  rmSync(usage, { force: true });
  const args = ['-r', PRELOAD, ...renderArgs(patch, wav, seconds, workers)];
  const load1 = loadavg()[0];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env: { ...process.env, MODSYNTH_RUSAGE_OUT: usage }, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 || !existsSync(usage)) throw new Error(`modsynth render ${relative(ROOT, patch)} --workers ${workers} failed (status ${r.status}): ${r.stderr}`);
  const u = JSON.parse(readFileSync(usage, 'utf8')) as { userS: number; sysS: number; maxRssKiB: number };
  rmSync(usage, { force: true });
  // "wrote F: … — rendered in 1.234 s, 4.1× real time (block 64, single-threaded | 2 of 2 workers)"
  const m = /rendered in ([\d.]+) s.*\(block \d+, ([^)]*)\)/.exec(r.stdout);
  const used = m ? (m[2] === 'single-threaded' ? '0 (main thread)' : m[2].replace(/ workers$/, '')) : undefined;
  return { wall, user: u.userS, sys: u.sysS, rssMiB: u.maxRssKiB / 1024, load1, render: m ? Number(m[1]) : undefined, used };
}

function checkOutput(s: WavStats, seconds: number): string[] {
  const problems: string[] = [];
  if (Math.abs(s.seconds - seconds) > 0.01) problems.push(`length ${s.seconds.toFixed(3)} s`);
  if (s.nonFinite) problems.push(`${s.nonFinite} NaN/Inf`);
  if (s.rms < 1e-4) problems.push('silent');
  if (s.peak >= 1) problems.push(`peak ${s.peak.toFixed(3)}`);
  return problems;
}

function modsynthCells(voicesList: number[], seconds: number, repeats: number): Cell[] {
  const cells: Cell[] = [];
  for (const voices of voicesList) {
    const forms: ('mono' | 'poly')[] = voices % POLY_WIDTH === 0 ? ['mono', 'poly'] : ['mono'];
    for (const form of forms) {
      const patch = patchFile(form, voices);
      let reference: WavStats | undefined;
      for (const workers of WORKERS) {
        const wav = join(OUT, `modsynth-${form}-${voices}-w${workers}.wav`);
        const runs: Run[] = [];
        for (let r = 0; r < repeats; r++) runs.push(renderOnce(patch, workers, seconds, wav));
        const stats = wavStats(wav);
        const problems = checkOutput(stats, seconds);
        if (workers === 0) reference = stats;
        else if (reference && stats.hash !== reference.hash) problems.push('differs from --workers 0');
        const output = problems.length ? `FAIL: ${problems.join('; ')}` : workers === 0 ? 'ok' : 'ok, = workers 0';
        cells.push({ engine: `modsynth --workers ${workers}`, form, voices, seconds, runs, stats, output, wav });
        process.stderr.write(`  modsynth ${form} N=${voices} --workers ${workers}: wall ${fix(median(runs.map((x) => x.wall)))} s (${output})\n`);
      }
    }
  }
  return cells;
}

interface PeerResult {
  cells: Cell[];
  notes: string[];
}

/** Runs ../shared/peers/run.sh for the peers and reads its times.tsv and checks.jsonl. */
function peerCells(voicesList: number[], repeats: number, engines: string): PeerResult {
  const script = process.env.MODSYNTH_PEERS_SH ?? join(ROOT, '..', 'shared', 'peers', 'run.sh');
  if (!existsSync(script)) return { cells: [], notes: [`peers skipped: no harness at ${script}. ${INSTALL_HINT}`] };
  const dir = join(OUT, 'harness');
  mkdirSync(dir, { recursive: true });
  process.stderr.write(`  peers: ENGINES="${engines}" NS="${voicesList.join(' ')}" REPS=${repeats} OUT=${relative(ROOT, dir)} bash ${script}\n`);
  const r = spawnSync('bash', [script], {
    env: { ...process.env, ENGINES: engines, NS: voicesList.join(' '), REPS: String(repeats), OUT: dir, KEEP: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  const notes: string[] = [];
  if (r.status !== 0) notes.push(`peer harness exited with status ${r.status}; rows it finished are kept`);
  const tsv = join(dir, 'times.tsv');
  if (!existsSync(tsv)) return { cells: [], notes: [...notes, `peer harness wrote no times.tsv (${INSTALL_HINT})`] };
  const checks = new Map<string, { ok: boolean; problems: string[]; rms: number }>();
  const checkFile = join(dir, 'checks.jsonl');
  if (existsSync(checkFile))
    for (const line of readFileSync(checkFile, 'utf8').split('\n'))
      if (line.trim()) {
        const c = JSON.parse(line) as { engine: string; N: number; ok: boolean; problems: string[]; rms: number };
        checks.set(`${c.engine}|${c.N}`, c);
      }
  const byKey = new Map<string, Cell>();
  for (const line of readFileSync(tsv, 'utf8').trim().split('\n').slice(1)) {
    const [engine, n, rep, wall, user, sys, rss, load1, rc] = line.split('\t');
    const key = `${engine}|${n}`;
    if (!byKey.has(key)) byKey.set(key, { engine, form: 'harness', voices: Number(n), seconds: PEER_SECONDS, runs: [], output: '' });
    const cell = byKey.get(key)!;
    if (rep === 'skipped') cell.output = `skipped (predicted ${wall} s)`;
    else if (rc !== '0') cell.output = `failed (rc ${rc})`;
    else cell.runs.push({ wall: Number(wall), user: Number(user), sys: Number(sys), rssMiB: Number(rss) / 1024, load1: Number(load1) });
  }
  for (const [key, cell] of byKey) {
    const c = checks.get(key);
    if (!cell.output) cell.output = c ? (c.ok ? 'ok' : `FAIL: ${c.problems.join('; ')}`) : 'not checked';
    if (c) cell.stats = { rms: c.rms, rmsDb: 20 * Math.log10(c.rms) } as WavStats;
  }
  for (const e of engines.split(/\s+/).filter(Boolean))
    if (![...byKey.values()].some((c) => c.engine === e)) notes.push(`${e}: not run (not installed?). ${e.startsWith('scsynth') || e.startsWith('supernova') ? INSTALL_HINT : ''}`.trim());
  return { cells: [...byKey.values()], notes };
}

const PEER_LABEL: Record<string, string> = { scsynth: 'scsynth (1 thread)', 'supernova-T2': 'supernova -T2', 'js-lite': 'js-lite (plain JS)' };

export async function peers(opts: { voices?: number[]; seconds: number; repeats: number }): Promise<BenchSection[]> {
  const voicesList = opts.voices ?? [64, 256];
  const { seconds, repeats } = opts;
  const engines = process.argv.includes('--peers-engines') ? process.argv[process.argv.indexOf('--peers-engines') + 1] : DEFAULT_PEERS;
  mkdirSync(OUT, { recursive: true });
  const loadBefore = loadavg().map((x) => +x.toFixed(2));
  const capBefore = await parallelCapacity();
  process.stderr.write(`  machine's 2-thread capacity before: ${fix(capBefore.capacity)}× (one ${fix(capBefore.one)} s, two at once ${fix(capBefore.two)} s)\n`);
  const peer = process.argv.includes('--no-peers') ? { cells: [], notes: ['peers not run (--no-peers)'] } : peerCells(voicesList, repeats, engines);
  const mine = modsynthCells(voicesList, seconds, repeats);
  const loadAfter = loadavg().map((x) => +x.toFixed(2));
  const capAfter = await parallelCapacity();
  process.stderr.write(`  machine's 2-thread capacity after: ${fix(capAfter.capacity)}×\n`);
  const capacity = (capBefore.capacity + capAfter.capacity) / 2;
  // The machine's capacity for this very workload: the 1-thread render of the mono form (10 s of audio),
  // alone and two at once. A 2-worker render can at best reach it.
  const renderCap = new Map<number, Capacity>();
  for (const n of voicesList) {
    const patch = patchFile('mono', n);
    const c = await workloadCapacity((k) => [...renderArgs(patch, join(OUT, `capacity-${k}.wav`), 10, 0), '--quiet']);
    renderCap.set(n, c);
    process.stderr.write(`  capacity for the 1-thread render of ${n} voices (10 s, alone vs two at once): ${fix(c.capacity)}× (one ${fix(c.one)} s, two ${fix(c.two)} s)\n`);
  }
  const all = [...peer.cells, ...mine];

  const rows = all.map((c) => {
    if (!c.runs.length) return [PEER_LABEL[c.engine] ?? c.engine, c.form, c.voices, c.seconds, 0, '—', '—', '—', '—', '—', '—', '—', '—', '—', c.output];
    const wall = wallOf(c), cpu = cpuMedian(c);
    const renders = c.runs.map((r) => r.render).filter((x): x is number => x !== undefined);
    const render = renders.length ? median(renders) : undefined;
    return [
      PEER_LABEL[c.engine] ?? c.engine, c.form, c.voices, c.seconds, c.runs.length, fix(wall), fix(c.seconds / wall, 1), fix(render), c.runs[0].used ?? '',
      fix(cpu), fix(cpu / wall), fix(nsPerVoiceSample(c), 1), fix(median(c.runs.map((r) => r.rssMiB)), 0), fix(c.stats?.rmsDb, 2), c.output,
    ];
  });

  const find = (engine: string, form: string, voices: number) => all.find((c) => c.engine === engine && c.form === form && c.voices === voices && c.runs.length);
  const goals: (string | number)[][] = [];
  // Shorter renders than the issue's 60 s count the fixed start-up into every figure: mark their verdicts.
  const star = seconds < PEER_SECONDS ? '*' : '';
  const goal = (what: string, voices: string | number, value: number | undefined, target: string, holds: ((v: number) => boolean) | undefined, why = '') =>
    goals.push([what, voices, value === undefined ? `— ${why}`.trim() : fix(value), target, value === undefined || !holds ? '—' : (holds(value) ? 'yes' : 'NO') + star]);
  for (const n of voicesList) {
    const w0 = find('modsynth --workers 0', 'mono', n), w1 = find('modsynth --workers 1', 'mono', n), w2 = find('modsynth --workers 2', 'mono', n);
    const sc = find('scsynth', 'harness', n), sn = find('supernova-T2', 'harness', n);
    goal('CPU/voice-sample: modsynth 1 thread ÷ scsynth', n, w0 && sc ? nsPerVoiceSample(w0) / nsPerVoiceSample(sc) : undefined, '≤ 1.5 (stretch ≤ 1.0)', (v) => v <= 1.5, sc ? '' : '(no scsynth)');
    goal('speedup: 2 workers over 1 thread (wall)', n, w0 && w2 ? wallOf(w0) / wallOf(w2) : undefined, '≥ 1.8', (v) => v >= 1.8);
    goal('  same ÷ the machine\'s 2-thread capacity (see notes)', n, w0 && w2 ? wallOf(w0) / wallOf(w2) / capacity : undefined, 'info (1.0 = all the machine gives)', undefined);
    goal('  the machine\'s capacity for this render: two 1-thread renders at once (see notes)', n, renderCap.get(n)?.capacity, 'info (bounds the speedup)', undefined);
    goal('  speedup ÷ that capacity', n, w0 && w2 && renderCap.get(n) ? wallOf(w0) / wallOf(w2) / renderCap.get(n)!.capacity : undefined, 'info (1.0 = the pool loses nothing)', undefined);
    if (sc && sn) goal('  supernova -T2 over scsynth (wall, per s of audio)', n, wallOf(sc) / sc.seconds / (wallOf(sn) / sn.seconds), 'info', undefined);
    goal('wall: 2 workers ÷ supernova -T2 (per s of audio)', n, w2 && sn ? wallOf(w2) / w2.seconds / (wallOf(sn) / sn.seconds) : undefined, '≤ 1.0', (v) => v <= 1.0, sn ? '' : '(no supernova)');
    goal('wall: 1 worker ÷ 1 thread', n, w0 && w1 ? wallOf(w1) / wallOf(w0) : undefined, '≤ 1.05', (v) => v <= 1.05);
    if (n % POLY_WIDTH === 0) {
      const p0 = find('modsynth --workers 0', 'poly', n), p2 = find('modsynth --workers 2', 'poly', n);
      goal('poly: CPU/voice-sample poly ÷ mono (1 thread)', n, p0 && w0 ? nsPerVoiceSample(p0) / nsPerVoiceSample(w0) : undefined, '≤ 1.0', (v) => v <= 1.0);
      goal('poly: speedup, 2 workers over 1 thread (wall)', n, p0 && p2 ? wallOf(p0) / wallOf(p2) : undefined, '≥ 1.8', (v) => v >= 1.8);
      if (p0?.stats && w0?.stats) {
        goal('poly: RMS level poly − mono (dB, 1 thread)', n, p0.stats.rmsDb - w0.stats.rmsDb, '|Δ| ≤ 1 dB (same voices)', (v) => Math.abs(v) <= 1);
        goal('poly: difference signal poly − mono (dB re mono)', n, rmsDiffDb(p0.wav!, w0.wav!), 'info (pitch as CV vs param)', undefined);
      }
    }
  }
  const lo = Math.min(...voicesList), hi = Math.max(...voicesList);
  if (hi > lo) {
    const a = find('modsynth --workers 0', 'mono', lo), b = find('modsynth --workers 0', 'mono', hi);
    const target = lo === 64 && hi === 256 ? '≤ 1.15' : '≤ 1.15 (issue: 256 ÷ 64)';
    goal(`cost/voice (CPU/voice-sample, 1 thread): ${hi} ÷ ${lo} voices`, `${hi}/${lo}`, a && b ? nsPerVoiceSample(b) / nsPerVoiceSample(a) : undefined, target, (v) => v <= 1.15);
    const sa = find('scsynth', 'harness', lo), sb = find('scsynth', 'harness', hi);
    if (sa && sb) goal(`  same for scsynth: ${hi} ÷ ${lo} voices`, `${hi}/${lo}`, nsPerVoiceSample(sb) / nsPerVoiceSample(sa), 'info', undefined);
  }

  const raw: (string | number)[][] = [];
  for (const c of all) c.runs.forEach((r, i) => raw.push([c.engine, c.form, c.voices, c.seconds, i + 1, fix(r.wall, 3), fix(r.render, 3), fix(r.user, 3), fix(r.sys, 3), fix(r.rssMiB, 0), fix(r.load1, 2)]));

  const settings = {
    sampleRate: SR, block: BLOCK, format: 'WAV 32-bit float stereo', modsynthSeconds: seconds, peerSeconds: PEER_SECONDS, repeats, statistic: 'median',
    voices: voicesList, peerEngines: engines, loadavgBefore: loadBefore, loadavgAfter: loadAfter,
    renderColumn: "render s: the render time Modsynth's CLI reports ('rendered in … s'); wall s − render s is what it leaves out: process start, worker pool start and warm-up, patch load, shutdown (and WAV writing where the CLI does not stream it during the render). Not used in the ratios",
    timing: 'whole process: wall around the child; user+sys and max RSS from the child (modsynth: process.resourceUsage via bench/child-rusage; peers: /usr/bin/time in ../shared/peers/run.sh)',
    parallelCapacity: { before: capBefore, after: capAfter },
    renderCapacity: Object.fromEntries(renderCap),
    notes: [
      `machine's 2-thread capacity (bench/parallel-capacity.ts: a pure-compute JS loop, 2 × t(one alone) ÷ t(two at once)): ${fix(capBefore.capacity)}× before, ${fix(capAfter.capacity)}× after the renders; 2.0 = two free cores. No 2-thread speedup can exceed it`,
      `the machine's capacity for the render itself: 2 × t(one 10 s, 1-thread render of the mono form alone) ÷ t(two at once, in two processes), median of 3: ${voicesList.map((n) => `${fix(renderCap.get(n)?.capacity)}× at ${n} voices`).join(', ')}. Two processes share nothing but the machine, so a 2-worker render cannot beat it${[...renderCap.values()].some((c) => c.capacity < 1.8) ? '; below 1.8× the speedup goal is out of reach of any engine on this machine at that size' : ''}`,
      ...peer.notes,
      ...staleNotes,
      ...(seconds !== PEER_SECONDS ? [`modsynth renders ${seconds} s, the peer harness always 60 s: wall ratios are per second of audio`] : []),
      ...(star ? [`* renders shorter than the issue's 60 s: the fixed start-up (process and worker pool start, warm-up, patch load: about wall s − render s) is in every Modsynth figure, so these verdicts are not the issue's measurement`] : []),
    ],
  };
  const sections: BenchSection[] = [
    {
      name: 'peers: canonical workload, Modsynth and peer engines in one run',
      settings,
      columns: ['engine', 'form', 'voices', 'audio s', 'runs', 'wall s', 'x realtime', 'render s', 'workers used', 'CPU s', 'cores', 'ns CPU/voice-sample', 'max RSS MB', 'RMS dBFS', 'output'],
      rows,
    },
    { name: 'peers: issue #12 goals (ratios from the table above)', settings: { seconds, repeats, voices: voicesList }, columns: ['goal', 'voices', 'value', 'target', 'holds'], rows: goals },
    { name: 'peers: every run', settings: { note: 'load1 = 1-minute load average when the run started' }, columns: ['engine', 'form', 'voices', 'audio s', 'rep', 'wall s', 'render s', 'user s', 'sys s', 'max RSS MB', 'load1'], rows: raw },
  ];
  if (settings.notes.length) sections.push({ name: 'peers: notes', settings: {}, columns: ['note'], rows: settings.notes.map((n) => [n]) });
  return sections;
}
