/**
 * The browser rack's transport: OSC over WebSocket. Each binary frame is one OSC packet (a message or a
 * bundle, exactly as in a UDP datagram or a TCP frame); replies and `/notify` events come back as
 * binary frames, one packet each. Every packet goes through the OSC server's own entry point
 * (OscServer.handle): the same command table, the same handlers, the same `/fail` reasons and counters.
 * Nothing here implements a command.
 *
 * A connection is a stream client, like a TCP one: its replies always go back on it, `/notify` lasts
 * until it closes (or 60 s without a request), `/reply/to` is refused. A text frame is not an OSC
 * packet: it is answered `/fail (packet) reason` and counted as malformed. Bounds, as for TCP: frames
 * up to 64 KB (a larger one closes the connection with 1009, the WebSocket rule), at most MAX_CLIENTS
 * connections (one more gets `/fail (connection) reason` and is closed), a connection that does not
 * read its replies (MAX_BUFFERED bytes waiting) is closed.
 *
 * What the packets a connection sent in one turn of the event loop make the server send back on it
 * before that turn ends (their replies, and the events they cause for this very connection) goes out
 * as one frame: the packet itself when there is one, else an OSC bundle of them, in order (timetag 1,
 * "immediately"); replies that come later (`/synced` once the audio has the change) go out alone. Every frame costs the
 * control thread a write system call and the browser a wake-up (measured: the WebSocket writes were 40 %
 * of the control thread's time with two live tabs), so a page that asks for all its live views in one
 * bundle gets them in one frame. Live-view readouts (`/read`) are dropped, not queued, while more than
 * DROP_READ_BYTES are waiting on a connection (a slow browser): the page asks again (see
 * page/live-views.ts), and `dropped` counts them. Control thread only.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { encodeMessage } from '../control/osc-encode';
import { sender, type Peer } from '../control/osc-clients';
import type { OscServer } from '../control/osc-server';

export const WS_LIMITS = { maxFrame: 65_536, clients: 16, maxBuffered: 4 * 2 ** 20 } as const;

/** Bytes waiting on a connection beyond which live-view readouts are dropped instead of queued. */
export const DROP_READ_BYTES = 64 * 1024;

const READ_ADDRESS = Buffer.from('/read\0\0\0');
const BUNDLE_HEAD = Buffer.from('#bundle\0\0\0\0\0\0\0\0\x01'); // "#bundle", timetag 1: immediately

/** One OSC bundle holding `packets`, in order. */
function bundle(packets: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [BUNDLE_HEAD];
  for (const p of packets) {
    const size = Buffer.allocUnsafe(4);
    size.writeInt32BE(p.length);
    parts.push(size, p);
  }
  return Buffer.concat(parts);
}

export class WsTransport {
  private readonly sockets = new Set<WebSocket>();
  /** Live-view readouts not sent because their connection had DROP_READ_BYTES waiting. */
  dropped = 0;

  constructor(private readonly osc: OscServer) {}

  get clients(): number {
    return this.sockets.size;
  }

  /** Takes an accepted WebSocket connection and serves it until it closes. */
  accept(ws: WebSocket, req: IncomingMessage): void {
    if (this.sockets.size >= WS_LIMITS.clients) {
      ws.send(encodeMessage('/fail', ['(connection)', `too many browser connections (${WS_LIMITS.clients}); close a tab or retry later`]));
      ws.close(1013, 'too many connections');
      return;
    }
    this.sockets.add(ws);
    const write = (packet: Buffer) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > WS_LIMITS.maxBuffered) {
        ws.close(1008, 'not reading its replies');
        return;
      }
      ws.send(packet, { binary: true });
    };
    /**
     * What the packets received in this turn of the event loop send back on this connection (commands
     * answer after an await, in microtasks, so the batch is sent once they have run: setImmediate).
     * Undefined between turns: later replies and other clients' events go out at once.
     */
    let batch: Buffer[] | undefined;
    /** Bytes in `batch`: not yet in ws.bufferedAmount, but on their way there. */
    let batchBytes = 0;
    const flush = () => {
      const out = batch ?? [];
      batch = undefined;
      batchBytes = 0;
      if (out.length === 1) write(out[0]);
      else if (out.length > 1) write(bundle(out));
    };
    const peer: Peer = {
      // `ws:` keeps a browser's client key apart from an OSC TCP client on the same ephemeral port.
      address: `ws:${req.socket.remoteAddress ?? '?'}`,
      port: req.socket.remotePort ?? 0,
      stream: (packet) => {
        // The batch counts too: packets that arrive together (one turn of the event loop) would
        // otherwise all pass this check and leave as one frame past maxBuffered, closing the connection.
        if (ws.bufferedAmount + batchBytes > DROP_READ_BYTES && packet.subarray(0, READ_ADDRESS.length).equals(READ_ADDRESS)) {
          this.dropped++;
          return;
        }
        if (batch) {
          batch.push(packet);
          batchBytes += packet.length;
        } else write(packet);
      },
    };
    ws.on('message', (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (!isBinary) {
        this.osc.counters.received++;
        this.osc.counters.malformed++;
        peer.stream!(encodeMessage('/fail', ['(packet)', 'malformed OSC packet: a text frame; send each OSC packet as one binary frame']));
        return;
      }
      if (!batch) {
        batch = [];
        setImmediate(flush);
      }
      this.osc.handle(buf, sender(peer.address, peer.port, buf.length, this.osc.limits.amplification, peer.stream));
    });
    ws.on('error', () => undefined); // e.g. a frame over maxPayload: ws closes the connection itself
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.osc.disconnected(peer);
    });
  }

  /** Closes every connection (shutdown). */
  closeAll(): void {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
  }
}
