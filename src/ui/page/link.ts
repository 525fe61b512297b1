/**
 * The page's connection to the engine: OSC packets over the rack's WebSocket (`/ws`). `send` fires a
 * command; `call` sends it and then `/sync`, resolving with that command's `/done` or `/fail` (or
 * nothing, for a command that replies only on failure); every other message (events, `/patch`,
 * `/read`, `/status.reply` …) goes to the listeners. Reconnects after a drop and re-subscribes.
 */
import { decodePacket, encode, encodeBundle, type Arg, type Message } from './osc.js';

export type Listener = (m: Message) => void;

export class Link {
  private ws: WebSocket | undefined;
  private readonly listeners: Listener[] = [];
  private readonly waiting = new Map<number, { address: string; got: Message[]; resolve: (m: Message[]) => void }>();
  private syncId = 1;
  onState: (connected: boolean) => void = () => undefined;

  constructor(private readonly url: string) {
    this.open();
  }

  private open(): void {
    const ws = new WebSocket(this.url);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      this.ws = ws;
      this.onState(true);
    };
    ws.onmessage = (e) => {
      if (!(e.data instanceof ArrayBuffer)) return;
      let ms: Message[];
      try {
        ms = decodePacket(e.data);
      } catch {
        return;
      }
      for (const m of ms) this.route(m);
    };
    ws.onclose = () => {
      if (this.ws === ws) this.ws = undefined;
      for (const w of this.waiting.values()) w.resolve(w.got);
      this.waiting.clear();
      this.onState(false);
      setTimeout(() => this.open(), 1000);
    };
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  private route(m: Message): void {
    if (m.address === '/synced') {
      const w = this.waiting.get(m.args[0] as number);
      if (w) {
        this.waiting.delete(m.args[0] as number);
        w.resolve(w.got);
        return;
      }
    }
    if (m.address === '/done' || m.address === '/fail') {
      for (const w of this.waiting.values()) if (w.address === m.args[0]) w.got.push(m);
    }
    for (const l of this.listeners) l(m);
  }

  on(l: Listener): void {
    this.listeners.push(l);
  }

  send(address: string, ...args: Arg[]): boolean {
    if (!this.connected) return false;
    this.ws!.send(encode(address, args));
    return true;
  }

  /** Sends several commands as one packet (an OSC bundle, run on arrival, in order): one frame. */
  sendBundle(messages: readonly Message[]): boolean {
    if (!this.connected) return false;
    this.ws!.send(messages.length === 1 ? encode(messages[0].address, messages[0].args) : encodeBundle(messages));
    return true;
  }

  /** Sends raw bytes as one frame (text or binary): for tests of the transport's refusals. */
  sendRaw(data: string | ArrayBuffer): void {
    this.ws?.send(data);
  }

  /** Sends a command, then /sync: resolves with its /done or /fail replies once it has been applied. */
  call(address: string, ...args: Arg[]): Promise<Message[]> {
    if (!this.connected) return Promise.resolve([{ address: '/fail', args: [address, 'not connected to the engine'] }]);
    const id = this.syncId++;
    return new Promise((resolve) => {
      this.waiting.set(id, { address, got: [], resolve });
      this.send(address, ...args);
      this.send('/sync', id);
    });
  }
}
