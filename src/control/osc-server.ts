/**
 * The OSC control plane: UDP, and TCP on the same port (osc-tcp.ts), bound to 127.0.0.1 by default
 * (another address prints a warning). Decodes packets with a bounded, non-recursive decoder
 * (osc-decode.ts), admits timed bundles within the bounds of osc-limits.ts (osc-timed.ts), dispatches
 * through the one command table (protocol/commands.ts; handlers in osc-handlers.ts) and replies through
 * osc-clients.ts (per-client /reply/to, /notify, amplification budget). Malformed packets, unknown
 * addresses, failed, late and internal errors are counted and answered, never fatal. Control thread
 * only; nothing here touches the audio path directly.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { decodePacket, OscDecodeError, type OscItem } from './osc-decode';
import { OSC_LIMITS, type OscLimits } from './osc-limits';
import { checkArgs, COMMANDS, replyAddress, SHORT_PARAM_FORM, type ArgValue, type CommandAddress } from '../protocol/commands';
import type { EventAddress } from '../protocol/events';
import type { ControlStatus, EngineStatus } from '../protocol/status';
import { CommandError, type LiveSession } from './session';
import { clientKey, OscClients, sender, type Peer, type Sender } from './osc-clients';
import { encodeMessage } from './osc-encode';
import { commandHandlers, type Handler } from './osc-handlers';
import { OscTcpListener, TCP_LIMITS } from './osc-tcp';
import { admitTimed, scheduleTimed } from './osc-timed';

export interface OscCounters {
  received: number;
  malformed: number;
  unknown: number;
  failed: number;
  late: number;
  /** Datagrams whose handling threw unexpectedly (a bug; answered with /fail, never fatal). */
  internal: number;
}

export interface OscServerOptions {
  host: string;
  port: number;
  session: LiveSession;
  /** Extra status fields (sample rate, block, workers, load, underruns...). */
  status: () => Partial<EngineStatus>;
  /** Bounds other than the defaults (tests). */
  limits?: Partial<OscLimits>;
  /** Milliseconds now, for subscription expiry (default: Date.now; tests). */
  clock?: () => number;
  /** Also listen for OSC over TCP (SLIP framing) on the same port (default: true). */
  tcp?: boolean;
  /** Prints a warning line (default: console.warn). */
  warn?: (line: string) => void;
}

/** Largest datagram we accept; anything bigger is counted as malformed. */
const MAX_PACKET = 65_507;

export class OscServer {
  readonly counters: OscCounters = { received: 0, malformed: 0, unknown: 0, failed: 0, late: 0, internal: 0 };
  private readonly socket: Socket;
  private readonly clients: OscClients;
  private readonly handlers: { [K in CommandAddress]: Handler };
  readonly limits: Readonly<OscLimits>;
  /** The warning printed at start (bound to an address other machines can reach), if any. */
  warning: string | undefined;
  /** The TCP listener (SLIP framing) on the same port, unless it could not listen. */
  tcp: OscTcpListener | undefined;

  private constructor(private readonly opts: OscServerOptions) {
    // A large receive buffer absorbs bursts (tens of thousands of messages per second) without loss.
    // An IPv6 address (--osc [::1]:PORT) needs a udp6 socket: a udp4 one refuses to bind it (EINVAL).
    this.socket = createSocket({ type: isIPv6(opts.host) ? 'udp6' : 'udp4', recvBufferSize: 4 * 2 ** 20 });
    const s = opts.session;
    this.limits = { ...OSC_LIMITS, ...opts.limits };
    this.clients = new OscClients(this.socket, this.limits, opts.clock);
    this.handlers = commandHandlers({
      session: s,
      clients: this.clients,
      event: (address, args, cause) => this.clients.event(encodeMessage(address, args), cause),
      status: () => {
        this.counters.late = s.late;
        const control: ControlStatus = { modules: s.current.modules.length, ...this.counters, subscribers: this.clients.subscribers, withheld: this.clients.withheld };
        return { ...this.opts.status(), ...control };
      },
    });
  }

  static async start(opts: OscServerOptions): Promise<OscServer> {
    const server = new OscServer(opts);
    await new Promise<void>((resolve, reject) => {
      server.socket.once('error', reject);
      server.socket.bind(opts.port, opts.host, () => {
        server.socket.off('error', reject);
        resolve();
      });
    });
    server.socket.on('message', (buf, rinfo: RemoteInfo) => server.handle(buf, sender(rinfo.address, rinfo.port, buf.length, server.limits.amplification)));
    server.socket.on('error', () => server.counters.malformed++);
    const bound = server.address;
    const warn = opts.warn ?? ((line: string) => console.warn(line));
    if (opts.tcp !== false) {
      try {
        server.tcp = await OscTcpListener.listen(bound.host, bound.port, TCP_LIMITS, {
          frame: (packet, peer) => server.handle(packet, sender(peer.address, peer.port, packet.length, server.limits.amplification, peer.stream)),
          tooLarge: (peer) => {
            server.counters.received++;
            server.counters.malformed++;
            peer.stream(encodeMessage('/fail', ['(packet)', `malformed OSC packet: frame larger than ${TCP_LIMITS.maxFrame} bytes`]));
          },
          refusal: () => encodeMessage('/fail', ['(connection)', `too many TCP clients (${TCP_LIMITS.clients}); use UDP or retry later`]),
          closed: (peer) => server.clients.unsubscribe(peer),
        });
      } catch (e) {
        warn(`warning: no OSC over TCP: cannot listen on ${bound.host}:${bound.port} (${(e as Error).message}); UDP only`);
      }
    }
    if (!/^127\./.test(bound.host) && bound.host !== '::1') {
      server.warning = `warning: OSC on ${bound.host}:${bound.port} (UDP${server.tcp ? ' and TCP' : ''}) is reachable from other machines: anyone who can reach it can change the patch, and load and save patches in ${opts.session.patchDir} (use --osc 127.0.0.1:PORT to keep it local)`;
      warn(server.warning);
    }
    return server;
  }

  get address(): { host: string; port: number } {
    const a = this.socket.address();
    return { host: a.address, port: a.port };
  }

  /**
   * The socket boundary: nothing from one datagram reaches the process. A packet that does not decode
   * (or nests bundles too deep) is counted as malformed and answered; anything that still throws while
   * it is dispatched is counted as internal and answered too. Public for the other stream transports
   * (the browser rack's WebSocket, src/ui/ws-transport.ts): one packet, one sender, same counters.
   */
  handle(buf: Buffer, from: Sender): void {
    this.counters.received++;
    try {
      this.clients.renew(from);
      let items: OscItem[];
      try {
        if (buf.length > MAX_PACKET) throw new OscDecodeError('malformed OSC packet: larger than one UDP datagram');
        items = decodePacket(buf);
      } catch (e) {
        this.counters.malformed++;
        const bad = e instanceof OscDecodeError ? e : new OscDecodeError('malformed OSC packet');
        this.reply(from, '/fail', [bad.where, bad.message]);
        return;
      }
      this.dispatchItems(items, from);
    } catch (e) {
      this.internalError(from, '(packet)', e);
    }
  }

  private internalError(from: Sender, address: string, e: unknown): void {
    this.counters.internal++;
    try {
      this.reply(from, '/fail', [address, `internal error: ${e instanceof Error ? e.message : String(e)}`]);
    } catch {
      // nothing more to do: the error is counted
    }
  }

  /**
   * Runs a decoded packet in order. A bundle with a timetag: its param changes (/param/set and the
   * short form) and /midi land on the exact sample of that time on the engine's clock, and the sender
   * gets `/done #bundle <frame>` when the bundle closes; other commands in it run on arrival. Timetag 0
   * ("immediately") runs everything on arrival.
   */
  private dispatchItems(items: readonly OscItem[], from: Sender): void {
    const refused = admitTimed(items, clientKey(from), this.opts.session, this.limits);
    if (refused) {
      this.fail(from, '#bundle', refused);
      return;
    }
    const frames = new Map<number, number>();
    for (const it of items) {
      if (it.kind === 'end') {
        const f = frames.get(it.bundle);
        if (it.time > 0 && f !== undefined) this.reply(from, '/done', ['#bundle', f]);
        continue;
      }
      if (it.time <= 0) {
        this.run(it.address, it.args, from);
        continue;
      }
      const f = scheduleTimed(it.address, it.args, clientKey(from), it.time, this.opts.session, {
        fail: (address, reason) => this.fail(from, address, reason),
        run: (address, args) => this.run(address, args, from),
      });
      if (f !== undefined) frames.set(it.bundle, Math.min(frames.get(it.bundle) ?? f, f));
    }
  }

  /** Starts a command; its promise never rejects to the process (a failure is counted and answered). */
  private run(address: string, args: unknown[], from: Sender): void {
    this.dispatch(address, args, from).catch((e) => this.internalError(from, address, e));
  }

  /** Runs one command; every failure becomes a /fail reply and a count. */
  async dispatch(address: string, args: unknown[], from: Sender): Promise<void> {
    let spec = (COMMANDS as Record<string, (typeof COMMANDS)[CommandAddress]>)[address];
    let handlerAddress = address as CommandAddress;
    let callArgs = args;
    if (!spec) {
      const short = SHORT_PARAM_FORM.exec(address);
      if (short && !(address in COMMANDS)) {
        spec = COMMANDS['/param/set'];
        handlerAddress = '/param/set';
        callArgs = [short[1], short[2], ...args];
      } else {
        this.counters.unknown++;
        this.fail(from, address, 'unknown address');
        return;
      }
    }
    const why = checkArgs(spec, callArgs);
    if (why) {
      this.fail(from, address, why);
      return;
    }
    try {
      const out = await this.handlers[handlerAddress](callArgs as ArgValue[], from);
      if (!out) return;
      this.answer(from, address, replyAddress(spec) ?? '/done', out);
    } catch (e) {
      this.fail(from, address, e instanceof CommandError ? e.message : `internal error: ${(e as Error).message}`);
    }
  }

  private fail(to: Sender, address: string, reason: string): void {
    this.counters.failed++;
    this.reply(to, '/fail', [address, reason]);
  }

  /** Sends a reply to `to` (through its /reply/to port and budget). */
  private reply(to: Sender, address: string, args: ArgValue[]): void {
    this.clients.reply(to, encodeMessage(address, args));
  }

  /**
   * Sends a command's reply, or when it does not fit one UDP datagram a /fail that says so and how to
   * get it instead (counted as failed).
   */
  private answer(to: Sender, command: string, address: string, args: ArgValue[]): void {
    const packet = encodeMessage(address, args);
    if (packet.length <= this.limits.maxReply || to.stream) return this.clients.reply(to, packet);
    const ways = [this.tcp && `ask over TCP (SLIP framing) on port ${this.tcp.port}`, command === '/patch/get' && 'save it with /patch/save NAME and read NAME.json from the patch directory'].filter(Boolean);
    this.fail(to, command, `reply of ${packet.length} bytes does not fit one UDP datagram (at most ${this.limits.maxReply})${ways.length ? `; ${ways.join(', or ')}` : ''}`);
  }

  /** A stream client (TCP, the rack's WebSocket) has gone: its subscription ends with it. */
  disconnected(peer: Peer): void {
    this.clients.unsubscribe(peer);
  }

  /** Sends an event to every /notify subscriber (events not caused by a request: faults, restarts). */
  event(address: EventAddress, args: ArgValue[]): void {
    this.clients.event(encodeMessage(address, args));
  }

  async close(): Promise<void> {
    await this.tcp?.close();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
