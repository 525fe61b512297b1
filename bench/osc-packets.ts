/** Hand-built OSC packets for the adversarial bench and the OSC input tests. */

/** `inner` wrapped in `depth` bundles, each with timetag "immediately" (seconds 0, fraction 1). */
export function nestedBundles(inner: Buffer, depth: number): Buffer {
  let packet = inner;
  for (let i = 0; i < depth; i++) {
    const head = Buffer.alloc(20);
    head.write('#bundle\0', 0, 'latin1');
    head.writeUInt32BE(0, 8);
    head.writeUInt32BE(1, 12);
    head.writeInt32BE(packet.length, 16);
    packet = Buffer.concat([head, packet]);
  }
  return packet;
}
