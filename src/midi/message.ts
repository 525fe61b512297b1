/**
 * A MIDI channel message packed into one number, so it travels through the command rings like a param
 * value (Engine.sendEvent) and reaches a module's Kernel.event without allocation:
 * status | data1 << 8 | data2 << 16 (exact in a double and in a Float64 record).
 */
export function packMidi(status: number, data1 = 0, data2 = 0): number {
  return (status & 0xff) | ((data1 & 0x7f) << 8) | ((data2 & 0x7f) << 16);
}

/** Status byte of a packed message. RT-safe. */
export function midiStatus(packed: number): number {
  return packed & 0xff;
}

export function midiData1(packed: number): number {
  return (packed >> 8) & 0x7f;
}

export function midiData2(packed: number): number {
  return (packed >> 16) & 0x7f;
}
