/**
 * The engine's threads under `serve`'s SCHED_FIFO, read from /proc while it plays (null sink): the
 * control thread and the threads that existed before the engine (V8's platform workers) at FIFO 4,
 * below the audio threads (DSP workers and the device at FIFO 5, the watchdog at 6), so that what the
 * control thread does (OSC, the browser rack, its garbage collections) can never keep an audio thread
 * off a core (src/threads/thread-policy.ts). Also after a hang replaced a worker and a new spare was
 * warmed in the background (the control thread drops to SCHED_OTHER around its creation and must come
 * back to FIFO 4, not 5). Skipped where SCHED_FIFO is not permitted.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, ensureStopped, serve, stopServers } from '../support/osc';

const tmp = mkdtempSync(join(tmpdir(), 'modsynth-prio-'));
after(stopServers);
const fifoAllowed = spawnSync('chrt', ['-f', '5', 'true']).status === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fields of /proc/PID[/task/TID]/stat after the command name (field 3 is index 0). */
function statFields(path: string): string[] {
  const s = readFileSync(path, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).split(' ');
}

/** The processes whose parent is `ppid`. */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (Number(statFields(`/proc/${p}/stat`)[1]) === ppid) out.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Each thread of `pid`: its policy (0 other, 1 FIFO, 2 RR) and real-time priority. */
function threads(pid: number): { tid: number; policy: number; prio: number }[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((t) => {
    try {
      const f = statFields(`/proc/${pid}/task/${t}/stat`);
      return [{ tid: Number(t), policy: Number(f[41 - 3]), prio: Number(f[40 - 3]) }];
    } catch {
      return [];
    }
  });
}

const at = (ts: ReturnType<typeof threads>, prio: number) => ts.filter((t) => t.policy === 1 && t.prio === prio).length;

async function playedSeconds(c: Awaited<ReturnType<typeof client>>): Promise<number> {
  const kv = (await c.call('/status'))[0].args;
  return kv[kv.indexOf('seconds') + 1] as number;
}

test('serve under SCHED_FIFO: the control thread and V8\'s helpers at FIFO 4, DSP workers and device at 5, the watchdog at 6; still so after a hang replaced a worker', { skip: !fifoAllowed && 'SCHED_FIFO not permitted here' }, async (t) => {
  const srv = await serve(['examples/fault.json'], tmp);
  t.after(() => ensureStopped(srv));
  const c = await client(srv.port);
  t.after(() => c.close());
  const end = Date.now() + 20_000;
  while ((await playedSeconds(c)) < 0.5) {
    assert.ok(Date.now() < end, 'the engine plays');
    await sleep(50);
  }
  await sleep(300); // the priority helper's requests are answered asynchronously
  // Raised in place (threads/realtime-launch.ts): the engine is the process started, not a re-run of it
  // under chrt (no second Node among its children; its only child is the priority helper's shell).
  const pid = srv.proc.pid!;
  const nodes = childrenOf(pid).filter((c) => /node/.test(readFileSync(`/proc/${c}/cmdline`, 'utf8')));
  assert.deepEqual(nodes, [], 'the engine runs in the process started (no re-run of Node under chrt)');
  const check = (when: string) => {
    const ts = threads(pid);
    const main = ts.find((x) => x.tid === pid)!;
    assert.deepEqual([main.policy, main.prio], [1, 4], `${when}: the control thread is at FIFO 4 (${JSON.stringify(ts)})`);
    assert.ok(at(ts, 4) >= 3, `${when}: the control thread and V8's platform workers at FIFO 4 (${JSON.stringify(ts)})`);
    assert.ok(at(ts, 5) >= 3, `${when}: DSP workers, the spare and the device thread at FIFO 5 (${JSON.stringify(ts)})`);
    assert.equal(at(ts, 6), 1, `${when}: the watchdog alone at FIFO 6`);
  };
  check('playing');
  // A hang: the worker is replaced by the warm spare, and a new spare is warmed in the background.
  await c.call('/notify', 1);
  await c.call('/f/kind', 2);
  await sleep(1000); // past the watchdog's 1 s arming
  await c.call('/f/inject', 1);
  const until = Date.now() + 10_000;
  while (!c.replies.some((r) => r.address === '/restarted')) {
    assert.ok(Date.now() < until, `the hung module is restarted (${JSON.stringify(c.replies.filter((r) => r.address !== '/synced').map((r) => r.address))}; ${srv.stderr()})`);
    await sleep(20);
  }
  await c.call('/f/inject', 0);
  await sleep(3000); // the new spare: REFILL_DELAY_MS, then its start-up and JIT warm-up
  check('after the replacement');
});
