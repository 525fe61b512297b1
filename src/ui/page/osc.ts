/**
 * OSC 1.0 messages in the browser: what the rack sends and reads over its WebSocket (one packet per
 * binary frame). Numbers: whole ones in the int32 range as `i`, others as `d` (float64, so a value
 * typed in the page reaches the engine exactly); strings as `s`. Decoding takes what the server sends
 * (i, f, h, d, s), as one message or a bundle of them (the replies to one packet come in one frame, see
 * src/ui/ws-transport.ts). A codec only: every command is the server's (src/protocol/commands.ts).
 */
export type Arg = string | number;
export interface Message {
  address: string;
  args: Arg[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function padded(text: string): Uint8Array {
  const bytes = enc.encode(text);
  const out = new Uint8Array((Math.floor(bytes.length / 4) + 1) * 4);
  out.set(bytes);
  return out;
}

export function encode(address: string, args: readonly Arg[]): ArrayBuffer {
  let tags = ',';
  const parts: Uint8Array[] = [padded(address)];
  const body: Uint8Array[] = [];
  for (const a of args) {
    if (typeof a === 'string') {
      tags += 's';
      body.push(padded(a));
    } else if (Number.isInteger(a) && a >= -(2 ** 31) && a < 2 ** 31) {
      tags += 'i';
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, a);
      body.push(b);
    } else {
      tags += 'd';
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, a);
      body.push(b);
    }
  }
  parts.push(padded(tags), ...body);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out.buffer;
}

function readString(v: DataView, at: number): [string, number] {
  let end = at;
  while (end < v.byteLength && v.getUint8(end) !== 0) end++;
  if (end >= v.byteLength) throw new Error('OSC string without its NUL');
  return [dec.decode(new Uint8Array(v.buffer, v.byteOffset + at, end - at)), at + (((end - at) >> 2) + 1) * 4];
}

/** An OSC bundle (timetag 1: "immediately") of `messages`, as one packet. */
export function encodeBundle(messages: readonly Message[]): ArrayBuffer {
  const packets = messages.map((m) => new Uint8Array(encode(m.address, m.args)));
  const out = new Uint8Array(16 + packets.reduce((n, p) => n + 4 + p.length, 0));
  out.set(enc.encode('#bundle'));
  const v = new DataView(out.buffer);
  v.setUint32(12, 1);
  let at = 16;
  for (const p of packets) {
    v.setInt32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out.buffer;
}

/** The messages of one packet: a message, or the messages of a bundle (nested ones too), in order. */
export function decodePacket(buf: ArrayBuffer): Message[] {
  const out: Message[] = [];
  const walk = (v: DataView) => {
    if (v.byteLength >= 16 && v.getUint32(0) === 0x2362756e /* #bun */ && v.getUint32(4) === 0x646c6500 /* dle\0 */) {
      for (let at = 16; at + 4 <= v.byteLength; ) {
        const size = v.getInt32(at);
        if (size < 0 || at + 4 + size > v.byteLength) throw new Error('OSC bundle element past its end');
        walk(new DataView(v.buffer, v.byteOffset + at + 4, size));
        at += 4 + size;
      }
    } else out.push(decodeView(v));
  };
  walk(new DataView(buf));
  return out;
}

export function decode(buf: ArrayBuffer): Message {
  return decodeView(new DataView(buf));
}

function decodeView(v: DataView): Message {
  const [address, a1] = readString(v, 0);
  const [tags, a2] = readString(v, a1);
  const args: Arg[] = [];
  let at = a2;
  for (const t of tags.slice(1)) {
    if (t === 'i') (args.push(v.getInt32(at)), (at += 4));
    else if (t === 'f') (args.push(v.getFloat32(at)), (at += 4));
    else if (t === 'd') (args.push(v.getFloat64(at)), (at += 8));
    else if (t === 'h') (args.push(Number(v.getBigInt64(at))), (at += 8));
    else if (t === 's' || t === 'S') {
      const [s, next] = readString(v, at);
      args.push(s);
      at = next;
    } else throw new Error(`OSC type "${t}" not expected from the server`);
  }
  return { address, args };
}
