/**
 * A real OscServer on a loopback UDP (and TCP) port, its live session on an engine that renders on the
 * calling thread (nothing needs audio playing). `closers` gets what closes them, to run after the tests.
 */
import { Engine } from '../../src/engine/engine';
import { LiveSession } from '../../src/control/session';
import { OscServer, type OscServerOptions } from '../../src/control/osc-server';

export async function startOscServer(patchDir: string, closers: (() => Promise<void> | void)[], extra: Partial<OscServerOptions> = {}) {
  const engine = await Engine.start({ workers: 0 });
  const session = new LiveSession(LiveSession.emptyPatch(), engine, patchDir);
  const server = await OscServer.start({ host: '127.0.0.1', port: 0, session, status: () => ({}), warn: () => undefined, ...extra });
  closers.push(async () => {
    await server.close();
    await engine.close();
  });
  return { engine, session, server, port: server.address.port };
}
