/**
 * What each OSC command does: one handler per entry of the command table (protocol/commands.ts; the
 * type system checks none is missing), each taking arguments already checked against its spec. A
 * handler returns the arguments of its reply, which the server sends to the address the table entry
 * names (`/done`, `/patch`, `/synced` ...), or nothing, and throws CommandError for a refusal. Control
 * thread only.
 */
import type { ArgValue, CommandAddress } from '../protocol/commands';
import type { EventAddress } from '../protocol/events';
import type { OscClients, Sender } from './osc-clients';
import { CommandError, type LiveSession } from './session';

export type Handler = (args: ArgValue[], from: Sender) => Promise<ArgValue[] | undefined> | ArgValue[] | undefined;

export interface HandlerContext {
  session: LiveSession;
  clients: OscClients;
  /** Sends an event to the /notify subscribers, caused by `from`'s request. */
  event: (address: EventAddress, args: ArgValue[], cause: Sender) => void;
  /** Every key/value pair /status reports. */
  status: () => Record<string, number>;
}

const pairs = (rest: ArgValue[]) => {
  const out: [string, number][] = [];
  for (let i = 0; i < rest.length; i += 2) out.push([rest[i] as string, rest[i + 1] as number]);
  return out;
};

export function commandHandlers({ session: s, clients, event, status }: HandlerContext): { [K in CommandAddress]: Handler } {
  return {
    '/module/add': async ([type, id, ...rest], from) => {
      await s.addModule(type as string, id as string, pairs(rest));
      event('/module/added', [id, type], from);
      return ['/module/add', id];
    },
    '/module/remove': async ([id], from) => {
      await s.removeModule(id as string);
      event('/module/removed', [id], from);
      return ['/module/remove', id];
    },
    '/module/read': ([id]) => [id, ...s.readModule(id as string)],
    '/module/enable': ([id]) => {
      s.enableModule(id as string);
      return ['/module/enable', id];
    },
    '/cable/connect': async ([from, to]) => {
      await s.connect(from as string, to as string);
      return ['/cable/connect', from, to];
    },
    '/cable/disconnect': async ([from, to]) => {
      await s.disconnect(from as string, to as string);
      return ['/cable/disconnect', from, to];
    },
    '/param/set': async ([id, ...rest]) => {
      await s.setParams(id as string, pairs(rest));
      return undefined;
    },
    '/midi': ([id, st, d1, d2]) => {
      s.sendMidi(id as string, st as number, d1 as number, d2 as number);
      return undefined;
    },
    '/patch/load': async ([name]) => {
      await s.loadPatch(name as string);
      return ['/patch/load', name];
    },
    '/patch/save': async ([name]) => {
      await s.savePatch(name as string);
      return ['/patch/save', name];
    },
    '/patch/get': () => [JSON.stringify(s.current)],
    '/patch/clear': async () => {
      await s.clear();
      return ['/patch/clear'];
    },
    '/status': () => Object.entries(status()).flat(),
    '/sync': async ([id]) => {
      await s.sync();
      return [id];
    },
    '/notify': ([on], from) => {
      if (!on) clients.unsubscribe(from);
      else {
        const why = clients.subscribe(from);
        if (why) throw new CommandError(why);
      }
      return ['/notify', on];
    },
    '/reply/to': ([port], from) => {
      if ((port as number) < 1 || (port as number) > 65535) throw new CommandError(`port ${port} out of range`);
      if (from.stream) throw new CommandError('a TCP client gets its replies on its connection; /reply/to is for UDP');
      clients.setReplyPort(from, port as number);
      return ['/reply/to', port];
    },
  };
}
