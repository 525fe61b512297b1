/**
 * The browser rack's server: the page (a fixed table of assets, assets.ts) over `node:http`, and OSC
 * over WebSocket at `/ws` (ws-transport.ts), on 127.0.0.1:57131 by default. Every request must name
 * this server in its Host header, and a WebSocket upgrade from a page of another origin is refused
 * (origin.ts): a web page elsewhere cannot drive the synthesizer, DNS rebinding included. Binding to
 * an address other machines can reach prints a warning. Control thread only; it never touches the
 * audio path (the OSC server's handlers do what the browser asks, as for any OSC client).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { OscServer } from '../control/osc-server';
import { loadAssets, type Asset } from './assets';
import { isLoopback, refuseHost, refuseOrigin } from './origin';
import { WS_LIMITS, WsTransport } from './ws-transport';

/** Headers on every page response: nothing from elsewhere runs in it, and it is never framed. */
const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

export interface RackServerOptions {
  host: string;
  port: number;
  osc: OscServer;
  warn?: (line: string) => void;
}

export class RackServer {
  /** Requests refused for their Host header or Origin (counted; visible to tests). */
  refused = 0;
  warning: string | undefined;

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly transport: WsTransport,
  ) {}

  static async start(opts: RackServerOptions): Promise<RackServer> {
    const assets = loadAssets();
    const transport = new WsTransport(opts.osc);
    const wss = new WebSocketServer({ noServer: true, maxPayload: WS_LIMITS.maxFrame, perMessageDeflate: false });
    const http = createServer();
    const rack = new RackServer(http, wss, transport);
    http.on('request', (req, res) => rack.serve(req, res, assets));
    http.on('upgrade', (req, socket, head) => rack.upgrade(req, socket, head));
    http.on('clientError', (_e, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(opts.port, opts.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    const a = rack.address;
    if (!isLoopback(a.host)) {
      rack.warning = `warning: the browser rack on ${a.host}:${a.port} is reachable from other machines: anyone who can reach it can change the patch (use --http 127.0.0.1:PORT to keep it local)`;
      (opts.warn ?? ((l: string) => console.warn(l)))(rack.warning);
    }
    return rack;
  }

  get address(): { host: string; port: number } {
    const a = this.http.address();
    if (!a || typeof a === 'string') return { host: '?', port: 0 };
    return { host: a.address, port: a.port };
  }

  /** The page's address to print (a browser cannot open 0.0.0.0). */
  get url(): string {
    const { host, port } = this.address;
    const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    return `http://${shown}:${port}/`;
  }

  private serve(req: IncomingMessage, res: ServerResponse, assets: Map<string, Asset>): void {
    const why = refuseHost(req.headers.host, this.address.port);
    if (why) {
      this.refused++;
      res.writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`refused: ${why}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    const asset = assets.get(path === '/index.html' ? '/' : path);
    if (!asset) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...PAGE_HEADERS }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': asset.body.length, ...PAGE_HEADERS });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const host = req.headers.host ?? '';
    const why = (req.url ?? '').split('?')[0] !== '/ws' ? 'no WebSocket here (use /ws)' : (refuseHost(host, this.address.port) ?? refuseOrigin(req.headers.origin, host));
    if (why) {
      this.refused++;
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nrefused: ${why}\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.transport.accept(ws, req));
  }

  async close(): Promise<void> {
    this.transport.closeAll();
    this.wss.close();
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
    await closed;
  }
}
