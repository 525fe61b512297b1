/**
 * OSC 1.0 messages in the browser: what the rack sends and reads over its WebSocket (one packet per
 * binary frame). Numbers: whole ones in the int32 range as `i`, others as `d` (float64, so a value
 * typed in the page reaches the engine exactly); strings as `s`. Decoding takes what the server sends
 * (i, f, h, d, s). A codec only: every command is the server's (src/protocol/commands.ts).
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

export function decode(buf: ArrayBuffer): Message {
  const v = new DataView(buf);
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
