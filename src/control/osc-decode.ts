/**
 * OSC 1.0 packet decoding for the control plane, written for hostile input: one pass over the bytes,
 * no recursion (nested bundles are walked with an explicit stack), nesting bounded, every length
 * checked against the element that holds it. A packet decodes completely or not at all (nothing of a
 * malformed bundle runs). Replaces node-osc's `decode`, which recurses once per nesting level.
 *
 * The result is flat: the messages in the order they appear, each with the time of the bundle that
 * holds it (an inner bundle with timetag "immediately" takes its outer bundle's time), and an `end`
 * item where each bundle closes (the server acknowledges timed bundles there).
 *
 * Argument types: the OSC 1.0 ones (i f s b) and the common extensions (h int64 and d float64 as
 * numbers, S symbol and c char as strings, t timetag as Unix seconds, r colour as a number, m MIDI as 4
 * bytes, T F N I as true, false, null, Infinity). The command table decides which of them a command
 * takes (commands.ts: `f` accepts any finite number, `i` any whole one).
 */

/** Bundles nested deeper than this (counting the outermost as 1) are refused whole. */
export const MAX_BUNDLE_DEPTH = 8;

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_TO_UNIX = 2_208_988_800;

/** Why a packet was refused; `where` is what the `/fail` reply names (`(packet)` or `#bundle`). */
export class OscDecodeError extends Error {
  constructor(
    message: string,
    readonly where: '(packet)' | '#bundle' = '(packet)',
  ) {
    super(message);
  }
}

export type OscItem =
  /** `bundle` is the index of the bundle holding it (-1: a bare message); `time` 0 means "now". */
  | { kind: 'message'; address: string; args: unknown[]; time: number; bundle: number }
  | { kind: 'end'; bundle: number; time: number };

const BUNDLE_TAG = Buffer.from('#bundle\0', 'latin1');

function isBundle(buf: Buffer, start: number, end: number): boolean {
  return end - start >= 8 && buf.compare(BUNDLE_TAG, 0, 8, start, start + 8) === 0;
}

function need(end: number, at: number, bytes: number, what: string): void {
  if (at + bytes > end) throw new OscDecodeError(`malformed OSC packet: not enough bytes for ${what}`);
}

/** A NUL-terminated string padded to 4 bytes; returns it and the offset after its padding. */
function readString(buf: Buffer, at: number, end: number): [string, number] {
  const nul = buf.indexOf(0, at);
  if (nul < 0 || nul >= end) throw new OscDecodeError('malformed OSC packet: string without its NUL terminator');
  return [buf.toString('utf8', at, nul), at + (((nul - at) >> 2) + 1) * 4];
}

/** An OSC timetag as Unix seconds; 0 for "immediately" (seconds 0, fraction 1). */
function readTimeTag(buf: Buffer, at: number): number {
  const seconds = buf.readUInt32BE(at), fraction = buf.readUInt32BE(at + 4);
  if (seconds === 0 && fraction === 1) return 0;
  return seconds - NTP_TO_UNIX + fraction / 2 ** 32;
}

/** One argument of type `tag` at `at`; returns its value and the offset after it. */
function readArg(tag: string, buf: Buffer, at: number, end: number): [unknown, number] {
  switch (tag) {
    case 'i':
      need(end, at, 4, 'an int32');
      return [buf.readInt32BE(at), at + 4];
    case 'f':
      need(end, at, 4, 'a float32');
      return [buf.readFloatBE(at), at + 4];
    case 'h':
      need(end, at, 8, 'an int64');
      return [Number(buf.readBigInt64BE(at)), at + 8];
    case 'd':
      need(end, at, 8, 'a float64');
      return [buf.readDoubleBE(at), at + 8];
    case 's':
    case 'S': // symbol: a string to us
      return readString(buf, at, end);
    case 'c':
      need(end, at, 4, 'a char');
      return [String.fromCharCode(buf.readUInt32BE(at) & 0xff), at + 4];
    case 't':
      need(end, at, 8, 'a timetag');
      return [readTimeTag(buf, at), at + 8];
    case 'r':
      need(end, at, 4, 'an RGBA colour');
      return [buf.readUInt32BE(at), at + 4];
    case 'b': {
      need(end, at, 4, 'a blob size');
      const size = buf.readInt32BE(at);
      const next = at + 4 + Math.ceil(size / 4) * 4;
      if (size < 0 || next > end) throw new OscDecodeError('malformed OSC packet: blob larger than its packet');
      return [buf.subarray(at + 4, at + 4 + size), next];
    }
    case 'm':
      need(end, at, 4, 'a MIDI message');
      return [buf.subarray(at, at + 4), at + 4];
    case 'T':
      return [true, at];
    case 'F':
      return [false, at];
    case 'N':
      return [null, at];
    case 'I':
      return [Infinity, at];
    case '[':
    case ']':
      throw new OscDecodeError('malformed OSC packet: argument arrays ([ ]) are not supported');
    default:
      throw new OscDecodeError(`malformed OSC packet: unknown argument type "${tag}"`);
  }
}

function readMessage(buf: Buffer, start: number, end: number): { address: string; args: unknown[] } {
  const [address, afterAddress] = readString(buf, start, end);
  if (afterAddress >= end) throw new OscDecodeError('malformed OSC packet: no type tag string');
  const [tags, afterTags] = readString(buf, afterAddress, end);
  if (!tags.startsWith(',')) throw new OscDecodeError('malformed OSC packet: type tag string does not start with ","');
  const args: unknown[] = [];
  let at = afterTags;
  for (let i = 1; i < tags.length; i++) {
    const [value, next] = readArg(tags[i], buf, at, end);
    args.push(value);
    at = next;
  }
  return { address, args };
}

/** Decodes one datagram; throws OscDecodeError for anything that is not a well-formed OSC packet. */
export function decodePacket(buf: Buffer): OscItem[] {
  if (!isBundle(buf, 0, buf.length)) return [{ kind: 'message', ...readMessage(buf, 0, buf.length), time: 0, bundle: -1 }];
  const items: OscItem[] = [];
  /** Open bundles, innermost last: where the next element starts, where the bundle ends. */
  const open: { pos: number; end: number; bundle: number; time: number }[] = [];
  let bundles = 0;
  const enter = (start: number, end: number, outerTime: number) => {
    if (open.length >= MAX_BUNDLE_DEPTH) throw new OscDecodeError(`bundles nested more than ${MAX_BUNDLE_DEPTH} deep`, '#bundle');
    need(end, start + 8, 8, 'a bundle timetag');
    const time = readTimeTag(buf, start + 8);
    open.push({ pos: start + 16, end, bundle: bundles++, time: time > 0 ? time : outerTime });
  };
  enter(0, buf.length, 0);
  while (open.length > 0) {
    const top = open[open.length - 1];
    if (top.pos >= top.end) {
      open.pop();
      items.push({ kind: 'end', bundle: top.bundle, time: top.time });
      continue;
    }
    need(top.end, top.pos, 4, 'a bundle element size');
    const size = buf.readInt32BE(top.pos);
    const start = top.pos + 4, end = start + size;
    if (size <= 0 || end > top.end) throw new OscDecodeError('malformed OSC packet: bundle element size does not fit its bundle');
    top.pos = end;
    if (isBundle(buf, start, end)) enter(start, end, top.time);
    else items.push({ kind: 'message', ...readMessage(buf, start, end), time: top.time, bundle: top.bundle });
  }
  return items;
}
