/**
 * Starting the browser rack for `play` and `serve`: `--http HOST:PORT` (refused with a clear error
 * when it cannot listen), `--no-http`, or by default 127.0.0.1:57131 (when another engine already
 * holds that port, one warning line and no rack: the engine itself plays on). Prints the page's URL.
 * Bad input throws RackUsageError (the command line turns it into its usage error, exit 2).
 */
import type { OscServer } from '../control/osc-server';
import { RackServer } from './rack-server';

/** A bad or unusable --http: one line for the user. */
export class RackUsageError extends Error {}

export const DEFAULT_HTTP = '127.0.0.1:57131';

function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port > 65535) throw new RackUsageError(`--http takes HOST:PORT (IPv6 as [ADDR]:PORT), got "${text}"`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

export async function startRack(http: string | false | undefined, osc: OscServer, say: (line: string) => void): Promise<RackServer | undefined> {
  if (http === false) return undefined;
  const { host, port } = parseHostPort(http ?? DEFAULT_HTTP);
  try {
    const rack = await RackServer.start({ host, port, osc });
    say(`rack on ${rack.url} (open it in a browser)`);
    return rack;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the port is in use (another engine?)' : (e as Error).message;
    if (http === undefined) {
      console.warn(`warning: no browser rack: cannot listen on ${host}:${port}: ${why} (--http HOST:PORT picks another, --no-http turns this off)`);
      return undefined;
    }
    throw new RackUsageError(`cannot start the browser rack on ${host}:${port}: ${why} (--http HOST:PORT picks another, --no-http runs without)`);
  }
}
