/**
 * Adversarial loads against a real `modsynth serve` playing examples/sine.json into the null sink (real
 * time, default settings), over real UDP on loopback. For each load: what was sent, the /fail replies
 * that came back, what the server counted (malformed, failed, params dropped), the underruns during the
 * load, how long /status then took to answer (is the control plane still there) and the RSS. Then:
 * modules added one at a time and removed again over OSC (per-edit time by patch size, underruns, RSS
 * before and after), bytes sent per request byte to a third port (/reply/to) and to a /notify
 * subscriber for every command, the idle CPU of the engine process (and of each of its threads), and
 * fault injections of every kind with the underruns each kind's injections cost (bench/faults.ts, 50 per
 * kind; 5 with --quick). Every random source is seeded.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bundle, decode, encode, Message } from 'node-osc';
import { canonicalPatch } from './canonical';
import { median, type BenchSection } from './report';
import { nestedBundles } from './osc-packets';
import { faultRecovery } from './faults';
import { prng } from '../test/support/prng'; // seeded: the garbage is the same in every run

const ROOT = join(__dirname, '../..');
const BIN = join(ROOT, 'bin/modsynth.js');



interface Peer {
  sock: Socket;
  port: number;
  bytes: number;
  fails: number;
  got: { address: string; args: unknown[] }[];
}

async function peer(keep = true): Promise<Peer> {
  const sock = createSocket({ type: 'udp4', recvBufferSize: 8 * 2 ** 20, sendBufferSize: 4 * 2 ** 20 });
  const p: Peer = { sock, port: 0, bytes: 0, fails: 0, got: [] };
  sock.on('message', (b) => {
    p.bytes += b.length;
    try {
      const m = decode(b) as { address: string; args: { value: unknown }[] };
      if (m.address === '/fail') p.fails++;
      if (keep || m.address !== '/fail') p.got.push({ address: m.address, args: m.args?.map((a) => a.value) ?? [] });
      if (p.got.length > 10_000) p.got.splice(0, 5_000);
    } catch {
      // a reply we cannot decode is still counted in bytes
    }
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  p.port = sock.address().port;
  return p;
}

function procCpuSeconds(pid: number | string): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks (100 Hz)
}

/** CPU seconds of each thread of `pid` (utime + stime), by thread id, with the thread's name and its voluntary context switches (wake-ups). */
function threadCpuSeconds(pid: number): Map<string, { name: string; cpu: number; wakes: number }> {
  const out = new Map<string, { name: string; cpu: number; wakes: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const wakes = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      out.set(tid, { name, cpu: procCpuSeconds(`${pid}/task/${tid}`), wakes });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** The parts of the adversarial bench (`--parts a,b`; default all), each a hold of the CPU lock of its own. */
export const ADVERSARIAL_PARTS = ['loads', 'edits', 'amplification', 'idle', 'faults'] as const;

export interface AdversarialOptions {
  quick: boolean;
  parts?: readonly string[];
  /** Modules added then removed in the edits part (default 5,000; 200 with --quick). */
  edits?: number;
  /** The idle part: patch and seconds (default examples/voice.json, 60 s; 3 s with --quick). */
  idlePatch?: string;
  idleSeconds?: number;
  /** Fault kinds to inject (default all four), and injections per kind (default 50; 5 with --quick). */
  faultKinds?: readonly string[];
  faultRepeats?: number;
}

export async function adversarial(opts: AdversarialOptions): Promise<BenchSection[]> {
  const parts = new Set(opts.parts ?? ADVERSARIAL_PARTS);
  for (const p of parts) if (!(ADVERSARIAL_PARTS as readonly string[]).includes(p)) throw new Error(`unknown adversarial part ${p} (${ADVERSARIAL_PARTS.join(', ')})`);
  const out: BenchSection[] = [];
  if (parts.has('loads') || parts.has('edits') || parts.has('amplification')) out.push(...(await oscLoads(opts, parts)));
  if (parts.has('idle')) out.push(await idleServe(opts.idlePatch ?? 'examples/voice.json', opts.idleSeconds ?? (opts.quick ? 3 : 60)));
  if (parts.has('faults')) {
    // Fault injections of every kind on their own server (examples/fault.json), underruns per kind.
    const faults = await faultRecovery(opts.faultRepeats ?? (opts.quick ? 5 : 50), opts.faultKinds);
    out.push({ ...faults, name: `${faults.name}: fault injections with underruns per kind (goal 0 on an idle machine, issue 17)` });
  }
  return out;
}

/** Starts `serve ARGS` (null sink, real time, its own process group); resolves with its OSC port and the line it printed on playing. */
async function startServe(args: string[], xdg: string): Promise<{ proc: ReturnType<typeof spawn>; port: number; playing: string; stderr: () => string }> {
  const proc = spawn(process.execPath, [BIN, 'serve', ...args, '--osc', '127.0.0.1:0'], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true', PULSE_SERVER: 'unix:/nonexistent', XDG_RUNTIME_DIR: xdg },
    detached: true, // its own process group: an error below still ends it with its re-run under chrt
  });
  const killGroup = () => {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  };
  process.once('exit', killGroup);
  let playing = '', serverErr = '';
  proc.stderr!.on('data', (d) => (serverErr = (serverErr + d).slice(-2000)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /OSC on udp:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      const p = /playing .*$/m.exec(out);
      if (p) playing = p[0];
      if (m && p) resolve(Number(m[1]));
    });
    setTimeout(() => reject(new Error(`serve did not start: ${serverErr}`)), 60_000).unref();
  });
  return { proc, port, playing, stderr: () => serverErr };
}

/**
 * Idle CPU of `serve PATCH` with no OSC traffic (after one /status, for the engine's pid: the re-run
 * under chrt), whole process (utime + stime of all threads, /proc/PID/stat) and per thread, with each
 * thread's voluntary wake-ups per second (/proc/PID/task/TID/status), over `seconds`.
 */
async function idleServe(patch: string, seconds: number): Promise<BenchSection> {
  const xdg = mkdtempSync(join(tmpdir(), 'modsynth-idle-'));
  const { proc, port, playing } = await startServe([patch, '--patch-dir', xdg], xdg);
  const a = await peer();
  const statusOnce = async (): Promise<Record<string, number>> => {
    const from = a.got.length;
    for (let t = 0; t < 60; t++) {
      a.sock.send(encode(new Message('/status')), port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 500));
      const r = a.got.slice(from).find((g) => g.address === '/status.reply');
      if (r) {
        const o: Record<string, number> = {};
        for (let i = 0; i < r.args.length; i += 2) o[String(r.args[i])] = Number(r.args[i + 1]);
        return o;
      }
    }
    throw new Error('no /status.reply');
  };
  const st0 = await statusOnce();
  await new Promise((r) => setTimeout(r, 3000)); // past start-up (spares warming)
  const pid = st0.pid;
  const c0 = procCpuSeconds(pid), t0 = threadCpuSeconds(pid), w0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wall = (performance.now() - w0) / 1000;
  const cpu = ((procCpuSeconds(pid) - c0) / wall) * 100;
  const t1 = threadCpuSeconds(pid);
  const perThread = [...t1]
    .map(([tid, v]) => {
      const b = t0.get(tid);
      return { name: `${v.name}/${tid}`, pct: ((v.cpu - (b?.cpu ?? 0)) / wall) * 100, wakes: (v.wakes - (b?.wakes ?? 0)) / wall };
    })
    .filter((x) => x.pct >= 0.05 || x.wakes >= 5)
    .sort((x, y) => y.pct - x.pct);
  const st1 = await statusOnce();
  a.sock.close();
  try {
    process.kill(-proc.pid!, 'SIGTERM');
  } catch {
    // gone
  }
  await new Promise((r) => proc.once('exit', r));
  return {
    name: `idle serve (${patch}, no OSC traffic for ${seconds} s)`,
    settings: { seconds: Number(wall.toFixed(1)), pid, server: playing, loadavgDuring: loadavg().map((x) => Number(x.toFixed(2))), goal: '≤ 5 % of a core (issue 17)' },
    columns: ['thread', 'CPU % of one core', 'wake-ups/s'],
    rows: [...perThread.map((x) => [x.name, x.pct.toFixed(2), x.wakes.toFixed(0)]), ['whole process', cpu.toFixed(2), perThread.reduce((s, x) => s + x.wakes, 0).toFixed(0)], ['underruns during', st1.underruns - st0.underruns, '']],
  };
}

async function oscLoads(opts: AdversarialOptions, parts: Set<string>): Promise<BenchSection[]> {
  const dir0 = mkdtempSync(join(tmpdir(), 'modsynth-adversarial-'));
  const dir = dir0;
  const sine = readFileSync(join(ROOT, 'examples/sine.json'), 'utf8');
  writeFileSync(join(dir, 'deep.json'), '['.repeat(8000) + ']'.repeat(8000));
  writeFileSync(join(dir, 'ones.json'), '[' + ' 1'.repeat(50_000) + ']');
  writeFileSync(join(dir, 'proto.json'), `{"__proto__": ${sine}}`);
  writeFileSync(join(dir, 'huge.json'), '');
  truncateSync(join(dir, 'huge.json'), 16 * 2 ** 20 + 1);
  spawnSync('mkfifo', [join(dir, 'pipe.json')]);
  writeFileSync(join(dir, 'big.json'), JSON.stringify(canonicalPatch(256)));
  writeFileSync(join(dir, 'sine.json'), sine);

  const srv = await startServe(['examples/sine.json', '--patch-dir', dir], dir);
  const { proc, port, playing } = srv;
  const serverErr = { toString: () => srv.stderr() };
  const a = await peer(false);
  const send = (s: Socket, buf: Buffer) => s.send(buf, port, '127.0.0.1');
  const msg = (address: string, ...args: (string | number)[]) => encode(new Message(address, ...args));
  let syncId = 0;
  /** /sync from `p`; the /synced is awaited at `to` (where p's replies go: its /reply/to port). */
  const syncOn = async (p: Peer, timeoutMs = 60_000, to: Peer = p) => {
    const id = ++syncId;
    send(p.sock, msg('/sync', id));
    const end = Date.now() + timeoutMs;
    let resend = Date.now() + 1000;
    while (!to.got.some((g) => g.address === '/synced' && g.args[0] === id)) {
      if (Date.now() > end) throw new Error(`no /synced within ${timeoutMs / 1000} s (server ${proc.exitCode === null ? 'running' : `exited ${proc.exitCode}`}; stderr: ${serverErr})`);
      if (Date.now() > resend) {
        send(p.sock, msg('/sync', id)); // UDP: a flood may have filled the server's socket buffer
        resend = Date.now() + 1000;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  const status = async (): Promise<Record<string, number> & { rttMs: number }> => {
    const t0 = performance.now();
    a.got.length = 0;
    send(a.sock, msg('/status'));
    let resend = performance.now() + 1000;
    for (;;) {
      if (performance.now() > resend) {
        send(a.sock, msg('/status'));
        resend = performance.now() + 1000;
      }
      const r = a.got.find((g) => g.address === '/status.reply');
      if (r) {
        const out: Record<string, number> = {};
        for (let i = 0; i < r.args.length; i += 2) out[String(r.args[i])] = Number(r.args[i + 1]);
        return Object.assign(out, { rttMs: performance.now() - t0 });
      }
      if (performance.now() - t0 > 60_000) throw new Error('no /status.reply within 60 s');
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  /** Sends `packets` at up to `rate` a second; returns the row of figures. */
  const load = async (name: string, packets: () => Buffer | undefined, rate: number, count: number) => {
    const before = await status();
    const fails0 = a.fails;
    const t0 = performance.now();
    let sent = 0, bytes = 0;
    while (sent < count) {
      const due = Math.min(count, Math.round(((performance.now() - t0) * rate) / 1000));
      for (; sent < due; sent++) {
        const b = packets();
        if (b) {
          bytes += b.length;
          send(a.sock, b);
        }
      }
      await new Promise((r) => setImmediate(r));
    }
    await syncOn(a);
    const wall = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 200));
    const after = await status();
    return [name, sent, (bytes / 1024).toFixed(0), wall.toFixed(2), a.fails - fails0, after.malformed - before.malformed, after.failed - before.failed, after.paramsDropped - before.paramsDropped, after.underruns - before.underruns, after.rttMs.toFixed(1), after.rssMB];
  };
  const out: BenchSection[] = [];
  if (parts.has('loads')) {
    const rnd = prng(17);
    const garbage = () => Buffer.from(Array.from({ length: 4 + Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)));
    const badTag = () => Buffer.concat([Buffer.from('/param/set\0\0,sif\0\0\0\0'), Buffer.from([0, 0])]);
    const n = opts.quick ? 2_000 : 20_000;
    const loads: (string | number)[][] = [];
    loads.push(await load('random bytes (seeded)', garbage, 20_000, n));
    loads.push(await load('truncated OSC (/param/set ,sif)', badTag, 20_000, n));
    loads.push(await load('message in 2,000 nested bundles (40 KB)', () => nestedBundles(msg('/status'), 2000), 200, opts.quick ? 20 : 200));
    let k = 0;
    loads.push(await load('valid /param/set flood', () => msg('/param/set', 'amp', 'level', (k++ % 100) / 100), 60_000, opts.quick ? 20_000 : 120_000));
    const far = () => encode(new Bundle(0xfffffff0 - 2208988800, ['/param/set', 'amp', 'level', 0.5])); // node-osc takes Unix seconds
    loads.push(await load('timed bundles at NTP 0xFFFFFFF0 (beyond the horizon)', far, 20_000, opts.quick ? 5_000 : 60_000));
    const soon = () => encode(new Bundle(Date.now() / 1000 + 30, ['/param/set', 'amp', 'level', 0.5]));
    loads.push(await load('timed bundles 30 s ahead (queue bounds)', soon, 20_000, opts.quick ? 5_000 : 20_000));
    for (const name of ['deep', 'ones', 'proto', 'huge', 'pipe']) loads.push(await load(`/patch/load ${name}.json (hostile file)`, () => msg('/patch/load', name), 50, opts.quick ? 10 : 50));
    loads.push(await load('/patch/load big.json (canonical-256, valid) and back', (() => {
      let i = 0;
      return () => msg('/patch/load', i++ % 2 === 0 ? 'big' : 'sine');
    })(), 2, opts.quick ? 2 : 6));
    out.push({
      name: 'adversarial OSC loads against serve (real UDP, null sink, real time)',
      settings: { playing, note: 'fails = /fail replies received; malformed/failed/dropped/underruns = server counter deltas during the load; status ms = /status round trip right after' },
      columns: ['load', 'sent', 'KiB', 'wall s', 'fails', 'malformed', 'failed', 'dropped', 'underruns', 'status ms', 'rss MB'],
      rows: loads,
    });
  }

  if (parts.has('edits')) {
    // Structural edits: add `count` vcas one at a time, then remove them; time per edit (to /done).
    const count = opts.edits ?? (opts.quick ? 200 : 5000);
    const st0 = await status();
    const editMs: number[] = [];
    const edit = async (address: string, ...args: string[]) => {
      const t0 = performance.now();
      a.got.length = 0;
      a.fails = 0;
      send(a.sock, msg(address, ...args));
      for (;;) {
        if (a.fails > 0 || a.got.some((g) => g.address === '/done' && g.args[0] === address)) break;
        if (performance.now() - t0 > 120_000) throw new Error(`${address} ${args.join(' ')}: no reply in 120 s (server ${proc.exitCode === null ? 'running' : `exited ${proc.exitCode}`}; stderr: ${serverErr})`);
        await new Promise((r) => setImmediate(r));
      }
      editMs.push(performance.now() - t0);
    };
    await edit('/patch/load', 'sine');
    editMs.length = 0;
    const buckets: (string | number)[][] = [];
    const bucket = Math.max(1, count / 5);
    for (let i = 0; i < count; i++) {
      await edit('/module/add', 'vca', `v${i}`);
      if ((i + 1) % bucket === 0) {
        const last = editMs.slice(-bucket);
        buckets.push([`add, at ${i + 1} modules`, median(last).toFixed(1), Math.max(...last).toFixed(1)]);
      }
    }
    const mid = await status();
    for (let i = count - 1; i >= 0; i--) {
      await edit('/module/remove', `v${i}`);
      if (i % bucket === 0) {
        const last = editMs.slice(-bucket);
        buckets.push([`remove, down to ${i} modules`, median(last).toFixed(1), Math.max(...last).toFixed(1)]);
      }
    }
    await new Promise((r) => setTimeout(r, 2000));
    const st1 = await status();
    buckets.push([`all ${2 * count} edits`, median(editMs).toFixed(1), Math.max(...editMs).toFixed(1)]);
    out.push({
      name: `structural edits over OSC: ${count} vca added one at a time, then removed (time to /done)`,
      settings: {
        rssMBStart: st0.rssMB,
        rssMBFull: mid.rssMB,
        rssMBEnd: st1.rssMB,
        rssBackWithin10Percent: st1.rssMB <= st0.rssMB * 1.1,
        underruns: st1.underruns - st0.underruns,
        underrunsAdding: mid.underruns - st0.underruns,
        goal: '≤ 5 ms per edit at any size, 0 underruns, RSS within 10 % (issue 17)',
      },
      columns: ['edits', 'median ms', 'max ms'],
      rows: buckets,
    });
  }

  if (parts.has('amplification')) {
    // Bytes per request byte to a third port (/reply/to) and to a /notify subscriber.
    const third = await peer(), sub = await peer(), asker = await peer();
    send(asker.sock, msg('/reply/to', third.port));
    send(sub.sock, msg('/notify', 1));
    await syncOn(asker, 60_000, third);
    await syncOn(sub);
    const requests: [string, Buffer][] = [
      ['/status', msg('/status')],
      ['/sync', msg('/sync', 7)],
      ['/patch/get', msg('/patch/get')],
      ['/module/add', msg('/module/add', 'vco', 'x1')],
      ['/cable/connect', msg('/cable/connect', 'x1.sin', 'amp.cv')],
      ['/param/set', msg('/param/set', 'x1', 'fine', 1)],
      ['/<id>/<param>', msg('/x1/fine', 2)],
      ['/module/read', msg('/module/read', 'amp')],
      ['/midi', msg('/midi', 'amp', 144, 60, 100)],
      ['/module/enable', msg('/module/enable', 'x1')],
      ['/cable/disconnect', msg('/cable/disconnect', 'x1.sin', 'amp.cv')],
      ['/module/remove', msg('/module/remove', 'x1')],
      ['/patch/save', msg('/patch/save', 'saved')],
      ['/patch/load', msg('/patch/load', 'saved')],
      ['/notify', msg('/notify', 1)],
      ['/reply/to', msg('/reply/to', third.port)],
      ['garbage (1 byte)', Buffer.from([0x2f])],
      ['/patch/clear', msg('/patch/clear')],
    ];
    const amp: (string | number)[][] = [];
    for (const [name, req] of requests) {
      const t0 = third.bytes, s0 = sub.bytes, x0 = asker.bytes;
      send(asker.sock, req);
      await new Promise((r) => setTimeout(r, 150));
      await syncOn(sub); // the subscriber's own /synced is not counted below
      const subBytes = sub.bytes - s0 - 16;
      amp.push([name, req.length, third.bytes - t0, ((third.bytes - t0) / req.length).toFixed(2), Math.max(0, subBytes), (Math.max(0, subBytes) / req.length).toFixed(2), asker.bytes - x0]);
    }
    send(asker.sock, msg('/patch/load', 'sine'));
    await new Promise((r) => setTimeout(r, 500));
    for (const p of [third, sub, asker]) p.sock.close();
    out.push({
      name: 'bytes sent per request byte (a /reply/to third port and a /notify subscriber, neither the sender)',
      settings: { goal: '≤ 10× to any address but the sender\'s', note: 'sender = bytes the sending socket itself got back' },
      columns: ['request', 'bytes', 'to /reply/to port', '×', 'to subscriber', '×', 'to sender'],
      rows: amp,
    });
  }
  a.sock.close();
  try {
    process.kill(-proc.pid!, 'SIGTERM');
  } catch {
    // gone
  }
  await new Promise((r) => proc.once('exit', r));
  return out;
}
