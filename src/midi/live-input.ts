/**
 * Live MIDI input through the optional `@julusian/midi` package (RtMidi: ALSA on Linux, CoreMIDI,
 * WinMM). Every failure is one clear sentence: the package is not installed, the machine has no MIDI
 * system (no ALSA sequencer, as on CI machines), there is no input port, or none matches the name
 * asked for. Messages arrive on the control thread (a libuv callback), never on the audio path.
 */
export interface LiveMidiInput {
  /** The port opened. */
  readonly name: string;
  close(): void;
}

interface RtMidiInput {
  getPortCount(): number;
  getPortName(i: number): string;
  openPort(i: number): void;
  closePort(): void;
  on(event: 'message', cb: (deltaTime: number, message: number[]) => void): void;
}

/**
 * Opens the first input port whose name contains `query` (any port when empty) and calls `onMessage`
 * with each channel message. Throws an Error with a one-line reason.
 */
export function openLiveMidi(query: string, onMessage: (status: number, data1: number, data2: number) => void): LiveMidiInput {
  let midi: { Input: new () => RtMidiInput };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    midi = require('@julusian/midi') as typeof midi;
  } catch {
    throw new Error('live MIDI input needs the optional package @julusian/midi, which is not installed here (npm install @julusian/midi)');
  }
  let input: RtMidiInput;
  try {
    input = new midi.Input();
  } catch (e) {
    throw new Error(`no MIDI system on this machine (${(e as Error).message.split('\n')[0] || 'cannot open the MIDI sequencer'}); on Linux live MIDI needs ALSA's /dev/snd/seq`);
  }
  const names = Array.from({ length: input.getPortCount() }, (_, i) => input.getPortName(i));
  if (names.length === 0) throw new Error('no MIDI input devices found (play a file with --midi FILE.mid, or send OSC /midi)');
  const index = names.findIndex((n) => n.toLowerCase().includes(query.toLowerCase()));
  if (index < 0) throw new Error(`no MIDI input matching "${query}" (inputs: ${names.join(', ')})`);
  input.on('message', (_dt, m) => {
    if (m.length >= 1 && m[0] >= 0x80 && m[0] <= 0xef) onMessage(m[0], m[1] ?? 0, m[2] ?? 0);
  });
  input.openPort(index);
  return {
    name: names[index],
    close: () => input.closePort(),
  };
}
