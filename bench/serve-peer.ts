/**
 * An OSC peer of a running `modsynth serve` for the benchmarks: one UDP socket on loopback that keeps
 * every reply and event with its arrival time, a sender, a wait for a reply that matches, and /status
 * read as key → value. On a wait that times out the server is killed (SIGKILL) and the error carries
 * what it printed.
 */
import type { ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { decode, encode, Message } from 'node-osc';

export interface Received {
  address: string;
  args: unknown[];
  /** performance.now() when it arrived. */
  at: number;
}

export interface ServePeer {
  readonly sock: Socket;
  /** Everything received, in order. */
  readonly got: Received[];
  send(buf: Buffer): void;
  msg(address: string, ...args: (string | number)[]): void;
  /** The first message from index `from` on that matches, waiting up to `ms` (polled every `pollMs`). */
  next(pred: (r: Received) => boolean, from: number, what: string, ms?: number): Promise<Received>;
  /** Sends /status and returns its reply's fields. */
  status(): Promise<(key: string) => number>;
  close(): void;
}

/**
 * Binds a peer to `serve` (process `proc`, OSC on 127.0.0.1:`port`). `log()` is what the server printed
 * so far, for the timeout error; `defaultMs` and `pollMs` the wait's limit and poll period.
 */
export async function servePeer(proc: ChildProcess, port: number, log: () => string, defaultMs = 15_000, pollMs = 2): Promise<ServePeer> {
  const sock = createSocket('udp4');
  const got: Received[] = [];
  sock.on('message', (b) => {
    const m = decode(b) as { address: string; args: { value: unknown }[] };
    got.push({ address: m.address, args: m.args.map((a) => a.value), at: performance.now() });
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const send = (buf: Buffer) => void sock.send(buf, port, '127.0.0.1');
  const msg = (address: string, ...args: (string | number)[]) => send(encode(new Message(address, ...args)));
  const next = async (pred: (r: Received) => boolean, from: number, what: string, ms = defaultMs) => {
    const end = Date.now() + ms;
    for (;;) {
      const r = got.slice(from).find(pred);
      if (r) return r;
      if (Date.now() > end) {
        proc.kill('SIGKILL');
        throw new Error(`no ${what} from the server within ${ms / 1000} s; server output:\n${log()}`);
      }
      await new Promise((res) => setTimeout(res, pollMs));
    }
  };
  const status = async () => {
    const from = got.length;
    msg('/status');
    const a = (await next((x) => x.address === '/status.reply', from, '/status reply')).args;
    return (key: string) => a[a.indexOf(key) + 1] as number;
  };
  return { sock, got, send, msg, next, status, close: () => sock.close() };
}
