/**
 * Timed bundles on the OSC server: which may be queued (the horizon and the per-client and overall
 * bounds of osc-limits.ts, checked before anything of a packet runs), and scheduling a message of a
 * timed bundle (param changes and /midi land on the exact sample of the bundle's time; any other
 * command runs on arrival). Control thread only.
 */
import { checkArgs, COMMANDS, SHORT_PARAM_FORM, type ArgValue } from '../protocol/commands';
import type { OscItem } from './osc-decode';
import type { OscLimits } from './osc-limits';
import { CommandError, type LiveSession } from './session';

/**
 * Why a packet's timed bundles cannot be queued (undefined: they can): a timetag beyond the horizon,
 * or more timed changes than this client (`owner`), or all clients together, may have waiting.
 */
export function admitTimed(items: readonly OscItem[], owner: string, session: LiveSession, limits: Readonly<OscLimits>): string | undefined {
  const now = Date.now() / 1000, { timedHorizonS, timedPerClient, timedTotal } = limits;
  let changes = 0;
  for (const it of items) {
    if (it.kind !== 'message' || it.time <= 0) continue;
    if (it.time - now > timedHorizonS) return `timetag ${it.time.toFixed(3)} is ${Math.round(it.time - now)} s ahead; a bundle may be at most ${timedHorizonS} s ahead`;
    if (it.address === '/midi') changes++;
    else if (it.address === '/param/set') changes += Math.max(0, Math.floor((it.args.length - 1) / 2));
    else if (SHORT_PARAM_FORM.test(it.address) && !(it.address in COMMANDS)) changes++;
  }
  if (changes === 0) return undefined;
  const mine = session.pendingTimed(owner), all = session.pendingTimed();
  if (mine + changes > timedPerClient) return `timed queue full for this client: ${mine} changes waiting, this packet adds ${changes} (at most ${timedPerClient} per client); send bundles closer to their time`;
  if (all + changes > timedTotal) return `timed queue full: ${all} changes waiting from all clients, this packet adds ${changes} (at most ${timedTotal}); retry later`;
  return undefined;
}

export interface TimedContext {
  /** Refuses the message: `/fail address reason` to its sender, counted. */
  fail: (address: string, reason: string) => void;
  /** Runs the message as an untimed command. */
  run: (address: string, args: unknown[]) => void;
}

const reason = (e: unknown) => (e instanceof CommandError ? e.message : `internal error: ${(e as Error).message}`);

/** One message of a bundle timed at `t`: param changes and /midi are scheduled (returns their frame). */
export function scheduleTimed(address: string, args: unknown[], owner: string, t: number, session: LiveSession, ctx: TimedContext): number | undefined {
  if (address === '/midi') {
    const why = checkArgs(COMMANDS['/midi'], args);
    if (why) return void ctx.fail(address, why);
    try {
      return session.scheduleMidi(args[0] as string, args[1] as number, args[2] as number, args[3] as number, t, owner);
    } catch (e) {
      return void ctx.fail(address, reason(e));
    }
  }
  const short = SHORT_PARAM_FORM.exec(address);
  const callArgs = address === '/param/set' ? args : short && !(address in COMMANDS) ? [short[1], short[2], ...args] : undefined;
  if (!callArgs) return void ctx.run(address, args);
  const why = checkArgs(COMMANDS['/param/set'], callArgs);
  if (why) return void ctx.fail(address, why);
  try {
    const rest = callArgs.slice(1) as ArgValue[];
    const pairs: [string, number][] = [];
    for (let i = 0; i < rest.length; i += 2) pairs.push([rest[i] as string, rest[i + 1] as number]);
    return session.scheduleParams(callArgs[0] as string, pairs, t, owner);
  } catch (e) {
    return void ctx.fail(address, reason(e));
  }
}
