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
 * read its replies (MAX_BUFFERED bytes waiting) is closed. Control thread only.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { encodeMessage } from '../control/osc-encode';
import { sender, type Peer } from '../control/osc-clients';
import type { OscServer } from '../control/osc-server';

export const WS_LIMITS = { maxFrame: 65_536, clients: 16, maxBuffered: 4 * 2 ** 20 } as const;

export class WsTransport {
  private readonly sockets = new Set<WebSocket>();

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
    const peer: Peer = {
      // `ws:` keeps a browser's client key apart from an OSC TCP client on the same ephemeral port.
      address: `ws:${req.socket.remoteAddress ?? '?'}`,
      port: req.socket.remotePort ?? 0,
      stream: (packet) => {
        if (ws.readyState !== ws.OPEN) return;
        if (ws.bufferedAmount > WS_LIMITS.maxBuffered) {
          ws.close(1008, 'not reading its replies');
          return;
        }
        ws.send(packet, { binary: true });
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
