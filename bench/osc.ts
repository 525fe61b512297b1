/**
 * OSC control plane figures, against a real `modsynth serve` child process playing examples/voice.json
 * into the null sink (real time): /sync round trip; a param change's latency to being applied (bounded
 * by a /param/set + /sync round trip: /synced is sent once the record is taken and one more block is
 * written); and the sustained /param/set rate received without loss (server counters: received,
 * failed, params dropped, underruns).
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { decode, encode, Message } from 'node-osc';
import { median, type BenchSection } from './report';

const ROOT = join(__dirname, '../..');
const BIN = join(ROOT, 'bin/modsynth.js');

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

export async function oscControl(seconds: number): Promise<BenchSection[]> {
  // Runs until killed at the end (a fixed --seconds could end it while a measurement still waits).
  const proc = spawn(process.execPath, [BIN, 'serve', 'examples/voice.json', '--osc', '127.0.0.1:0'], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true', PULSE_SERVER: 'unix:/nonexistent', XDG_RUNTIME_DIR: '/nonexistent' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /OSC on udp:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.stderr.on('data', () => undefined);
    setTimeout(() => reject(new Error('serve did not start')), 30_000).unref();
  });
  const sock = createSocket({ type: 'udp4', sendBufferSize: 4 * 2 ** 20 });
  const waiters = new Map<string, (args: unknown[]) => void>();
  sock.on('message', (b) => {
    const m = decode(b) as { address: string; args: { value: unknown }[] };
    const args = m.args.map((a) => a.value);
    const key = m.address === '/synced' ? `/synced ${args[0]}` : m.address;
    const w = waiters.get(key);
    if (w) {
      waiters.delete(key);
      w(args);
    }
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const send = (address: string, ...args: (string | number)[]) => sock.send(encode(new Message(address, ...args)), port, '127.0.0.1');
  const expect = (key: string) =>
    new Promise<unknown[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${key} from the server within 10 s`)), 10_000);
      waiters.set(key, (args) => {
        clearTimeout(timer);
        resolve(args);
      });
    });
  let id = 0;
  const syncRtt = async (withParam: boolean) => {
    const n = ++id;
    const t0 = performance.now();
    const done = expect(`/synced ${n}`);
    if (withParam) send('/param/set', 'osc', 'fine', (n % 100) - 50);
    send('/sync', n);
    await done;
    return (performance.now() - t0) * 1000;
  };
  const status = async () => {
    const st = expect('/status.reply');
    send('/status');
    const kv = await st;
    const out: Record<string, number> = {};
    for (let i = 0; i < kv.length; i += 2) out[String(kv[i])] = Number(kv[i + 1]);
    return out;
  };
  for (let i = 0; i < 50; i++) await syncRtt(false); // warm-up
  const sync: number[] = [], apply: number[] = [];
  for (let i = 0; i < 500; i++) sync.push(await syncRtt(false));
  for (let i = 0; i < 500; i++) apply.push(await syncRtt(true));
  const latency: BenchSection = {
    name: 'OSC latency (real UDP on loopback, server playing examples/voice.json in real time, block 128 = 2.67 ms)',
    settings: { samples: 500, note: 'apply = /param/set then /sync until /synced: the record is taken by its worker and one more block is written' },
    columns: ['what', 'median us', 'p99 us'],
    rows: [
      ['/sync round trip', median(sync).toFixed(0), pct(sync, 0.99).toFixed(0)],
      ['/param/set applied (+ /sync round trip)', median(apply).toFixed(0), pct(apply, 0.99).toFixed(0)],
    ],
  };
  const rows: (string | number)[][] = [];
  for (const rate of [10_000, 20_000, 40_000, 60_000]) {
    const before = await status();
    const total = Math.round(rate * Math.min(seconds, 3));
    const perMs = rate / 1000;
    const t0 = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.round((performance.now() - t0) * perMs));
      for (; sent < due; sent++) send('/param/set', 'osc', 'fine', (sent % 200) / 2 - 50);
      await new Promise((r) => setImmediate(r));
    }
    const elapsed = (performance.now() - t0) / 1000;
    await syncRtt(false);
    await new Promise((r) => setTimeout(r, 200));
    const after = await status();
    const received = after.received - before.received - 2; // minus the /status and /sync
    rows.push([rate, (sent / elapsed).toFixed(0), sent, received, sent - received, after.failed - before.failed, after.paramsDropped - before.paramsDropped, after.underruns - before.underruns]);
  }
  sock.close();
  proc.kill('SIGTERM');
  void seconds;
  return [
    latency,
    {
      name: 'sustained /param/set while playing (null sink, real time)',
      settings: { secondsPerRate: Math.min(seconds, 3), note: 'lost = sent − received by the server; dropped = param records refused because a command ring was full' },
      columns: ['target msg/s', 'sent msg/s', 'sent', 'received', 'lost', 'failed', 'dropped', 'underruns'],
      rows,
    },
  ];
}
