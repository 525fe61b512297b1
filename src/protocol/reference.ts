/** The OSC address space reference, generated from the command table (docs/osc.md is this output). */
import { COMMANDS, type CommandSpec } from './commands';

export function oscReferenceMarkdown(): string {
  const kinds = (ks: readonly string[]) => ks.join('');
  const lines = [
    '# OSC address space',
    '',
    '_Generated from `src/protocol/commands.ts` (`modsynth osc-commands`); do not edit by hand._',
    '',
    'UDP, bound to `127.0.0.1:57130` by default (`--osc HOST:PORT`; other interfaces only when asked, with a warning).',
    'Argument types: `s` string, `f` number (int or float), `i` integer; `(…)*` repeats, `(…)+` at least once.',
    'A number may be sent as OSC `i`, `f`, `h` (int64) or `d` (float64); a string as `s` or `S` (symbol).',
    'Every command that cannot be done replies `/fail <address> <reason>` to the sender; malformed packets,',
    'unknown addresses and failed commands are counted in `/status`. Replies go to the sending address and',
    'port, or to the port that client named with `/reply/to`; no request sends more than 10× its own size to',
    "any address but its sender's (a reply over that goes to the sender's own port; counted as `withheld`).",
    'A reply that does not fit one UDP datagram is `/fail` with its size. OSC over TCP on the same port',
    '(SLIP framing, or a 32-bit size before each packet) takes the same commands, with replies of any size.',
    'Bundles may nest at most 8 deep (deeper: `/fail #bundle`).',
    'A timed bundle may be at most 60 s ahead; at most 4,096 timed changes wait per client, 16,384 in all',
    '(beyond: the datagram is refused whole, `/fail #bundle reason`).',
    '',
    '| address | arguments | reply | |',
    '|---|---|---|---|',
  ];
  for (const [address, spec] of Object.entries(COMMANDS) as [string, CommandSpec][]) {
    const args = `${kinds(spec.args)}${spec.repeat ? ` (${kinds(spec.repeat)})${spec.minRepeats ? '+' : '*'}` : ''}` || '—';
    lines.push(`| \`${address}\` | \`${args}\` | \`${spec.reply}\` | ${spec.doc} |`);
  }
  lines.push('| `/<id>/<param>` | `f` | (none; `/fail` on error) | Short form of `/param/set id param value`. |');
  lines.push('', 'Events for `/notify` subscribers: `/module/added id type`, `/module/removed id`, `/module/moved id x y`, `/cable/connected from to`, `/cable/disconnected from to`, `/param/changed id (param value)+` (not for timed bundles), `/patch/loaded name`, `/patch/cleared`; faults: `/fault id kind frame`, `/restarted id frame silentFrames`, `/disabled id kind`, `/enabled id`.', '');
  return lines.join('\n');
}
