/**
 * OSC test helpers: a real `modsynth serve` child process (null sink, real time) and a UDP OSC client
 * that collects replies.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { decode, encode, Message } from 'node-osc';
import { BIN, ROOT } from './cli';
import { killGroup, killGroupAndWait, spawnGroup } from './group';
import { collect, waitForStart } from './started';

const servers: ChildProcessWithoutNullStreams[] = [];

/** Stops every server still running, with what it started (call from `after`). */
export function stopServers(): void {
  servers.forEach((s) => killGroup(s));
}

export interface Server {
  port: number;
  proc: ChildProcessWithoutNullStreams;
  stdout: () => string;
  /** What it printed on stderr (warnings, and the step that hung when it exits with code 4). */
  stderr: () => string;
  exited: Promise<number>;
}

/**
 * Makes sure a server is gone before a test ends (call from `t.after`): one still running (the test
 * failed before it finished) is killed with its process group. Two engines playing at once on the
 * 2-core machines starve each other (their device threads run at FIFO 99), and the next test's server
 * could not start.
 */
export function ensureStopped(srv: Server): Promise<void> {
  return killGroupAndWait(srv.proc);
}

/** How long a `serve` may take to print its OSC address (it module-tests any --module-dir first). */
export const SERVE_START_MS = 30_000;

/**
 * Starts `modsynth serve` on an ephemeral port; resolves when it prints its OSC address. Rejects,
 * saying why, when the server exits before that (its exit code and stderr) or has not printed it
 * within SERVE_START_MS (what it printed): see ./started.ts.
 */
export async function serve(args: string[], patchDir: string): Promise<Server> {
  // Tests of a file run one after another: a server still running here belongs to a test that ended
  // (failed) without stopping it, and would starve this one.
  for (const s of servers) await killGroupAndWait(s);
  const proc = spawnGroup(process.execPath, [BIN, 'serve', '--osc', '127.0.0.1:0', '--patch-dir', patchDir, ...args], { cwd: ROOT, env: { ...process.env, CI: 'true', XDG_RUNTIME_DIR: patchDir, PULSE_SERVER: 'unix:/nonexistent' } });
  servers.push(proc);
  const output = collect(proc);
  const exited = new Promise<number>((r) => proc.on('exit', (c) => r(c ?? -1)));
  const m = await waitForStart(proc, output, OSC_ADDRESS, 'serve', SERVE_START_MS);
  return { port: Number(m[1]), proc, ...output, exited };
}

/** The line `serve` prints once its OSC server listens. */
export const OSC_ADDRESS = /OSC on udp:\/\/127\.0\.0\.1:(\d+)/;

/** A UDP OSC client that collects replies. */
export async function client(port: number) {
  const sock = createSocket('udp4');
  const replies: { address: string; args: unknown[] }[] = [];
  sock.on('message', (b) => {
    const m = decode(b) as { address: string; args: { value: unknown }[] };
    replies.push({ address: m.address, args: m.args.map((a) => a.value) });
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  // A test that fails before its `close()` must not keep the test file's process alive (the runner
  // waits for it): the socket alone never holds the event loop; waiting for replies uses timers.
  sock.unref();
  const sendRaw = (buf: Buffer) => sock.send(buf, port, '127.0.0.1');
  const send = (address: string, ...args: unknown[]) => sendRaw(encode(new Message(address, ...(args as never[]))));
  let syncId = 1000;
  /** Sends, then /sync; resolves with the replies that arrived before /synced. */
  const call = async (address: string, ...args: unknown[]) => {
    const from = replies.length;
    send(address, ...args);
    return sync().then(() => replies.slice(from).filter((r) => r.address !== '/synced'));
  };
  const sync = async () => {
    const id = ++syncId;
    send('/sync', id);
    const end = Date.now() + 10_000;
    while (!replies.some((r) => r.address === '/synced' && r.args[0] === id)) {
      if (Date.now() > end) throw new Error('no /synced');
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { send, sendRaw, call, sync, replies, close: () => sock.close() };
}

