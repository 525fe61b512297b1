/**
 * Who may talk to the browser rack. A web page elsewhere must not be able to drive a local synthesizer:
 * - the `Host` header must name this server by an IP literal or `localhost`, with its port (a DNS
 *   rebinding attack reaches us under the attacker's domain name, so a name other than `localhost` is
 *   refused even though the connection arrives on our address);
 * - a WebSocket's `Origin`, when sent (every browser sends it), must be this very server
 *   (`http://` + that Host): a page from another origin is refused before the upgrade. A client with no
 *   Origin is not a browser and could send UDP OSC anyway.
 * Pure functions; control thread.
 */
import { isIP } from 'node:net';

/** Host without port and the port, from a Host header value (`[::1]:57131`, `localhost:57131`). */
export function splitHost(value: string): { name: string; port: number | undefined } | undefined {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m) return undefined;
  return { name: m[1].replace(/^\[(.*)\]$/, '$1').toLowerCase(), port: m[2] === undefined ? undefined : Number(m[2]) };
}

/** Why a request's Host header is refused, or undefined when it names this server (on `port`). */
export function refuseHost(host: string | undefined, port: number): string | undefined {
  if (!host) return 'no Host header';
  const h = splitHost(host);
  if (!h) return `bad Host header "${host}"`;
  if ((h.port ?? 80) !== port) return `Host "${host}" is not this server's port ${port}`;
  if (h.name !== 'localhost' && isIP(h.name) === 0) return `Host "${host}" is a name other than localhost (DNS rebinding is refused: use the address)`;
  return undefined;
}

/** Why a WebSocket upgrade's Origin is refused, or undefined when it is this server (or absent). */
export function refuseOrigin(origin: string | undefined, host: string): string | undefined {
  if (origin === undefined) return undefined;
  if (origin.toLowerCase() !== `http://${host.toLowerCase()}`) return `foreign Origin "${origin}" (only pages served by this rack, http://${host}, may connect)`;
  return undefined;
}

/** True for an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || /^127\./.test(host) || host === '::1';
}
