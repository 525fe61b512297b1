/**
 * The OSC address space reference, generated from the command, event and status tables (docs/osc.md
 * is this output; a test checks it).
 */
import { COMMANDS, type CommandSpec } from './commands';
import { EVENTS, type EventSpec } from './events';
import { CONTROL_STATUS, ENGINE_STATUS } from './status';

export function oscReferenceMarkdown(): string {
  const kinds = (ks: readonly string[]) => ks.join('');
  const lines = [
    '# OSC address space',
    '',
    '_Generated from `src/protocol/{commands,events,status}.ts` (`modsynth osc-commands`); do not edit by hand._',
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
  lines.push('', '## Events', '', 'Sent to `/notify` subscribers (every event the server sends is in this table).', '', '| address | arguments | |', '|---|---|---|');
  for (const [address, spec] of Object.entries(EVENTS) as [string, EventSpec][]) {
    lines.push(`| \`${address}\` | ${spec.args.map((k, i) => `\`${spec.names[i]}\` ${k}`).join(', ')} | ${spec.doc} |`);
  }
  lines.push('', '## /status', '', '`/status` replies `/status.reply key value ...` with these keys (engine fields only when an engine plays).', '', '| key | |', '|---|---|');
  for (const [key, doc] of [...Object.entries(ENGINE_STATUS), ...Object.entries(CONTROL_STATUS)]) lines.push(`| \`${key}\` | ${doc} |`);
  lines.push('');
  return lines.join('\n');
}
