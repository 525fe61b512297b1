/**
 * Encoding the server's replies and events as OSC messages: strings as `s`, whole numbers as `i` (or
 * `h`, int64, beyond the int32 range: an engine frame passes 2^31 after 12.4 hours at 48 kHz, and a
 * reply must not be lost for it), other numbers as `f` (float32, what every OSC client reads).
 */
import type { ArgValue } from '../protocol/commands';

function padded(text: string): Buffer {
  const bytes = Buffer.byteLength(text, 'utf8');
  const out = Buffer.alloc((Math.floor(bytes / 4) + 1) * 4); // at least one NUL, padded to 4
  out.write(text, 0, 'utf8');
  return out;
}

export function encodeMessage(address: string, args: readonly ArgValue[]): Buffer {
  let tags = ',';
  const parts: Buffer[] = [];
  for (const a of args) {
    if (typeof a === 'string') {
      tags += 's';
      parts.push(padded(a));
    } else if (Number.isInteger(a) && a >= -(2 ** 31) && a < 2 ** 31) {
      tags += 'i';
      const b = Buffer.allocUnsafe(4);
      b.writeInt32BE(a);
      parts.push(b);
    } else if (Number.isSafeInteger(a)) {
      tags += 'h';
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(BigInt(a));
      parts.push(b);
    } else {
      tags += 'f';
      const b = Buffer.allocUnsafe(4);
      b.writeFloatBE(a);
      parts.push(b);
    }
  }
  return Buffer.concat([padded(address), padded(tags), ...parts]);
}
