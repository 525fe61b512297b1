/**
 * The OSC address space: one table, SuperCollider style (families by object, then a verb). Every
 * command that can fail replies `/fail <address> <reason>` to the sender; commands that change the
 * patch reply `/done <address> [detail]` once the change is playing. The control layer binds exactly
 * one handler per entry (the type system checks none is missing). Names are append-only.
 *
 * Argument kinds: 's' string, 'f' number (int or float), 'i' integer. A trailing '...' repeats the
 * group before it (e.g. param/value pairs). On the wire a number may be any OSC numeric type: i, f, h
 * (int64) or d (float64); an `i` argument must hold a whole number whatever its type.
 */
export type ArgKind = 's' | 'f' | 'i';

export interface CommandSpec {
  readonly args: readonly ArgKind[];
  /** Kinds repeated after `args` (zero or more times unless `minRepeats`). */
  readonly repeat?: readonly ArgKind[];
  readonly minRepeats?: number;
  readonly reply: string;
  readonly doc: string;
}

export const COMMANDS = {
  '/module/add': { args: ['s', 's'], repeat: ['s', 'f'], reply: '/done /module/add <id>', doc: 'Add a module: type, id, then optional param/value pairs.' },
  '/module/enable': { args: ['s'], reply: '/done /module/enable <id>', doc: 'Bring back a module disabled after repeated faults (restarted with its params).' },
  '/module/read': { args: ['s'], reply: '/read <id> name value …', doc: 'What an analysis module measures now: a meter replies channels, rms and peak volts per channel; a scope its last capture.' },
  '/module/remove': { args: ['s'], reply: '/done /module/remove <id>', doc: 'Remove a module and every cable to or from it.' },
  '/cable/connect': { args: ['s', 's'], reply: '/done /cable/connect <from> <to>', doc: 'Connect moduleId.output to moduleId.input.' },
  '/cable/disconnect': { args: ['s', 's'], reply: '/done /cable/disconnect <from> <to>', doc: 'Remove that cable.' },
  '/param/set': { args: ['s'], repeat: ['s', 'f'], minRepeats: 1, reply: '(none; /fail on error)', doc: 'Set params of a module: id, then param/value pairs. Applied at the next block, smoothed by the module.' },
  '/midi': { args: ['s', 'i', 'i', 'i'], reply: '(none; /fail on error)', doc: 'Send a MIDI channel message (status, data1, data2) to a midi-cv module, applied at the next block, or in a timed bundle at the exact sample of its timetag; e.g. /midi keys 144 69 100 is A4 note-on.' },
  '/patch/load': { args: ['s'], reply: '/done /patch/load <name>', doc: 'Replace the patch with a file from the patch directory (name without directories; .json optional).' },
  '/patch/save': { args: ['s'], reply: '/done /patch/save <name>', doc: 'Save the current patch into the patch directory.' },
  '/patch/get': { args: [], reply: '/patch <json>', doc: 'The current patch as JSON. A patch whose reply does not fit one UDP datagram (64 KB) replies /fail with its size: save it with /patch/save and read the file instead.' },
  '/patch/clear': { args: [], reply: '/done /patch/clear', doc: 'Remove every module and cable.' },
  '/status': { args: [], reply: '/status.reply key value ...', doc: 'Engine and control counters as key/value pairs.' },
  '/sync': { args: ['i'], reply: '/synced <id>', doc: 'Replies once every earlier command is applied to the audio.' },
  '/notify': { args: ['i'], reply: '/done /notify <0|1>', doc: '1 subscribes the sender (or its /reply/to port) to events until 60 s after its last request (any request renews it), 0 unsubscribes. At most 64 subscriptions at once.' },
  '/reply/to': { args: ['i'], reply: '/done /reply/to <port>', doc: 'Send the replies for this client (its address and port) to that UDP port on its host from now on. A reply more than 10× the size of its request still goes to the sending port.' },
} as const satisfies Record<string, CommandSpec>;

export type CommandAddress = keyof typeof COMMANDS;

/** Where a command's reply goes: the first word of its `reply` (`/done`, `/patch`, `/synced` ...), or undefined when it has none. */
export function replyAddress(spec: CommandSpec): string | undefined {
  const head = spec.reply.split(' ')[0];
  return head.startsWith('/') ? head : undefined;
}

/** `/<moduleId>/<param> value`: the short form of /param/set for one param. */
export const SHORT_PARAM_FORM = /^\/([A-Za-z][A-Za-z0-9_-]{0,63})\/([A-Za-z][A-Za-z0-9_]*)$/;

export type ArgValue = string | number;

/** Why `args` do not fit the spec, or undefined. */
export function checkArgs(spec: CommandSpec, args: readonly unknown[]): string | undefined {
  const fits = (kind: ArgKind, v: unknown): boolean =>
    kind === 's' ? typeof v === 'string' : typeof v === 'number' && Number.isFinite(v) && (kind === 'f' || Number.isInteger(v));
  const names = (ks: readonly ArgKind[]) => ks.join('');
  const usage = `expected ${names(spec.args)}${spec.repeat ? ` then (${names(spec.repeat)})${spec.minRepeats ? '+' : '*'}` : ''}`;
  if (args.length < spec.args.length) return `too few arguments (${usage})`;
  for (let i = 0; i < spec.args.length; i++) if (!fits(spec.args[i], args[i])) return `argument ${i + 1} has the wrong type (${usage})`;
  const rest = args.length - spec.args.length;
  if (!spec.repeat) return rest === 0 ? undefined : `too many arguments (${usage})`;
  if (rest % spec.repeat.length !== 0) return `arguments must come in groups of ${spec.repeat.length} (${usage})`;
  if (rest / spec.repeat.length < (spec.minRepeats ?? 0)) return `too few arguments (${usage})`;
  for (let i = spec.args.length; i < args.length; i++) {
    const kind = spec.repeat[(i - spec.args.length) % spec.repeat.length];
    if (!fits(kind, args[i])) return `argument ${i + 1} has the wrong type (${usage}${typeof args[i] === 'number' && !Number.isFinite(args[i] as number) ? '; NaN and ±Inf are refused' : ''})`;
  }
  return undefined;
}
