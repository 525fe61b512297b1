/**
 * OSC over TCP: for replies that do not fit one UDP datagram (`/patch/get` of a large patch) and
 * clients that want a connection. Two framings, told apart by a connection's first byte: SLIP (OSC
 * 1.1, single- or double-ended; what scsynth speaks) and a 32-bit big-endian size before each packet
 * (OSC 1.0; what liblo's `osc.tcp://` sends, first byte 0). Replies use the client's framing. Listens
 * on the same host and port as the UDP socket; every frame goes through the same decoder and dispatch,
 * and its replies (any size) come back on the connection. Bounded: clients at once, frame size (as a
 * datagram), bytes waiting to be written to a slow reader, idle time. Control thread only.
 */
import { createServer, type Server, type Socket } from 'node:net';

const END = 0xc0, ESC = 0xdb, ESC_END = 0xdc, ESC_ESC = 0xdd;

export interface TcpLimits {
  /** Connections at once; one more is sent a /fail and closed. */
  clients: number;
  /** Largest frame accepted (bytes after unescaping); a bigger one is refused and skipped. */
  maxFrame: number;
  /** A client that lets more than this many bytes of replies pile up unread is disconnected. */
  maxPending: number;
  /** A connection silent this long is closed. */
  idleMs: number;
}

export const TCP_LIMITS: Readonly<TcpLimits> = { clients: 16, maxFrame: 65_507, maxPending: 4 * 2 ** 20, idleMs: 10 * 60_000 };

/** One packet SLIP-framed: END, the bytes with END and ESC escaped, END. */
export function slipEncode(packet: Buffer): Buffer {
  let extra = 0;
  for (const b of packet) if (b === END || b === ESC) extra++;
  const out = Buffer.allocUnsafe(packet.length + extra + 2);
  let o = 0;
  out[o++] = END;
  for (const b of packet) {
    if (b === END) (out[o++] = ESC), (out[o++] = ESC_END);
    else if (b === ESC) (out[o++] = ESC), (out[o++] = ESC_ESC);
    else out[o++] = b;
  }
  out[o++] = END;
  return out;
}

/**
 * Reassembles SLIP frames from a byte stream (chunks split anywhere). Calls `frame` with each complete
 * frame (a copy) and `tooLarge` once for each frame over `maxFrame` (its bytes are skipped).
 */
export class SlipDecoder {
  private readonly buf: Buffer;
  private len = 0;
  private escaped = false;
  private overflow = false;

  constructor(
    maxFrame: number,
    private readonly frame: (packet: Buffer) => void,
    private readonly tooLarge: () => void,
  ) {
    this.buf = Buffer.allocUnsafe(maxFrame);
  }

  push(chunk: Buffer): void {
    for (const b of chunk) {
      if (b === END) {
        if (this.overflow) this.tooLarge();
        else if (this.len > 0) this.frame(Buffer.from(this.buf.subarray(0, this.len)));
        this.len = 0;
        this.escaped = this.overflow = false;
        continue;
      }
      let v = b;
      if (this.escaped) {
        this.escaped = false;
        v = b === ESC_END ? END : b === ESC_ESC ? ESC : b; // an invalid escape keeps the byte
      } else if (b === ESC) {
        this.escaped = true;
        continue;
      }
      if (this.overflow) continue;
      if (this.len === this.buf.length) {
        this.overflow = true;
        continue;
      }
      this.buf[this.len++] = v;
    }
  }
}

/**
 * Reassembles size-prefixed frames (int32 big-endian size, then the packet). A size out of range
 * cannot be skipped reliably: `bad` is called and nothing more is read.
 */
export class SizeDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private dead = false;

  constructor(
    private readonly maxFrame: number,
    private readonly frame: (packet: Buffer) => void,
    private readonly bad: () => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.dead) return;
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 4) {
      const size = this.pending.readInt32BE(0);
      if (size <= 0 || size > this.maxFrame) {
        this.dead = true;
        this.pending = Buffer.alloc(0);
        return this.bad();
      }
      if (this.pending.length < 4 + size) return;
      this.frame(Buffer.from(this.pending.subarray(4, 4 + size)));
      this.pending = this.pending.subarray(4 + size);
    }
  }
}

/** One packet with its 32-bit big-endian size before it. */
export function sizeEncode(packet: Buffer): Buffer {
  const head = Buffer.allocUnsafe(4);
  head.writeInt32BE(packet.length);
  return Buffer.concat([head, packet]);
}

/** A TCP client: where it is, and how to send it a packet on its connection. */
export interface TcpPeer {
  address: string;
  port: number;
  stream: (packet: Buffer) => void;
}

export interface TcpHandlers {
  /** A complete frame from `peer`. */
  frame: (packet: Buffer, peer: TcpPeer) => void;
  /** `peer` sent a frame over the size limit (skipped; with size framing, the connection is closed after). */
  tooLarge: (peer: TcpPeer) => void;
  /** The packet sent to a client over the connection limit before it is closed. */
  refusal: () => Buffer;
  /** `peer`'s connection ended. */
  closed: (peer: TcpPeer) => void;
}

export class OscTcpListener {
  private readonly connections = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on `host:port` (exclusively). */
  static listen(host: string, port: number, limits: Readonly<TcpLimits>, on: TcpHandlers): Promise<OscTcpListener> {
    return new Promise((resolve, reject) => {
      let listener: OscTcpListener | undefined;
      const server = createServer((sock) => {
        if (listener) listener.accept(sock, limits, on);
        else sock.destroy(); // (before listen has called back)
      });
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', () => undefined);
        listener = new OscTcpListener(server, (server.address() as { port: number }).port);
        resolve(listener);
      });
    });
  }

  private accept(sock: Socket, limits: Readonly<TcpLimits>, on: TcpHandlers): void {
    sock.on('error', () => undefined);
    if (this.connections.size >= limits.clients) {
      sock.end(slipEncode(on.refusal()));
      return;
    }
    this.connections.add(sock);
    sock.setNoDelay(true);
    sock.setTimeout(limits.idleMs, () => sock.destroy());
    let framing: ((packet: Buffer) => Buffer) | undefined;
    const peer: TcpPeer = {
      address: sock.remoteAddress ?? '',
      port: sock.remotePort ?? 0,
      stream: (packet) => {
        if (sock.destroyed || !framing) return;
        if (sock.writableLength > limits.maxPending) return void sock.destroy(); // a client that does not read
        sock.write(framing(packet));
      },
    };
    let decoder: SlipDecoder | SizeDecoder | undefined;
    sock.on('data', (chunk: Buffer) => {
      if (!decoder) {
        const sized = chunk[0] === 0;
        framing = sized ? sizeEncode : slipEncode;
        decoder = sized
          ? new SizeDecoder(limits.maxFrame, (packet) => on.frame(packet, peer), () => (on.tooLarge(peer), sock.end()))
          : new SlipDecoder(limits.maxFrame, (packet) => on.frame(packet, peer), () => on.tooLarge(peer));
      }
      decoder.push(chunk);
    });
    sock.on('close', () => {
      this.connections.delete(sock);
      on.closed(peer);
    });
  }

  /** Clients connected now. */
  get clients(): number {
    return this.connections.size;
  }

  close(): Promise<void> {
    for (const s of this.connections) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
