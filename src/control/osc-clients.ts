/**
 * Where the OSC server's replies and events go, and how much: the `/reply/to` port of each client
 * (address and port: two sockets on one host are two clients, and neither can redirect the other's
 * replies), the `/notify` subscriptions (bounded, ending when their client stops sending), and the amplification
 * budget: the sender's own address and port may get any reply, but a request never sends more than
 * `amplification` × its size to any other address (a `/reply/to` port, a subscriber). Control thread.
 */
import type { Socket } from 'node:dgram';
import type { OscLimits } from './osc-limits';

/** An address a reply can go to: a UDP address and port, or a TCP connection (`stream` writes to it). */
export interface Peer {
  address: string;
  port: number;
  /** Set for a TCP client: sends one packet on its connection (SLIP-framed). */
  stream?: (packet: Buffer) => void;
}

/** Where a packet came from, its size, and what it may still send elsewhere. */
export interface Sender extends Peer {
  /** The datagram's size. */
  bytes: number;
  /** Bytes this request may still send to addresses other than its sender's. */
  budget: number;
}

/** The sender of a datagram of `bytes`, with its full budget. */
export const sender = (address: string, port: number, bytes: number, amplification: number, stream?: Peer['stream']): Sender => ({ address, port, bytes, budget: amplification * bytes, stream });

/** A client is its transport, address and port. */
export const clientKey = (c: Peer) => `${c.stream ? 'tcp' : 'udp'}:${c.address}:${c.port}`;

const samePeer = (a: Peer, b: Peer) => a.address === b.address && a.port === b.port && !a.stream === !b.stream;

interface Subscription {
  to: Peer;
  until: number;
}

export class OscClients {
  private readonly replyPorts = new Map<string, number>();
  private readonly subscriptions = new Map<string, Subscription>();
  /** Replies and events not sent to a redirected address because the request's budget was spent. */
  withheld = 0;

  constructor(
    private readonly socket: Socket,
    private readonly limits: Readonly<OscLimits>,
    /** Milliseconds now (subscriptions expire by it). */
    private readonly now: () => number = Date.now,
  ) {}

  /** Replies for `from` go to `port` on its host from now on (the least recently set is forgotten first). */
  setReplyPort(from: Sender, port: number): void {
    const key = clientKey(from);
    this.replyPorts.delete(key);
    this.replyPorts.set(key, port);
    if (this.replyPorts.size > this.limits.replyClients) this.replyPorts.delete(this.replyPorts.keys().next().value!);
  }

  /** Where `from`'s replies go: its /reply/to port, or itself (always itself over TCP). */
  private target(from: Sender): Peer {
    if (from.stream) return from;
    const port = this.replyPorts.get(clientKey(from));
    return port ? { address: from.address, port } : from;
  }

  /** Subscribes `from` (at its reply target) for `subscriptionTtlMs`, or renews it; why not, if it cannot. */
  subscribe(from: Sender): string | undefined {
    const key = clientKey(from), now = this.now();
    if (!this.subscriptions.has(key)) {
      this.prune(now);
      if (this.subscriptions.size >= this.limits.subscribers) return `too many subscribers (${this.limits.subscribers}); retry when one ends (a subscription lasts ${this.limits.subscriptionTtlMs / 1000} s unless renewed)`;
    }
    const to = this.target(from);
    this.subscriptions.set(key, { to: { address: to.address, port: to.port, stream: to.stream }, until: now + this.limits.subscriptionTtlMs });
    return undefined;
  }

  /** Any request renews its client's subscription (a client that stops talking falls out). */
  renew(from: Sender): void {
    if (this.subscriptions.size === 0) return;
    const s = this.subscriptions.get(clientKey(from));
    if (s) s.until = Math.max(s.until, this.now() + this.limits.subscriptionTtlMs);
  }

  unsubscribe(from: Peer): void {
    this.subscriptions.delete(clientKey(from));
  }

  /** Live subscriptions (expired ones dropped). */
  get subscribers(): number {
    this.prune(this.now());
    return this.subscriptions.size;
  }

  private prune(now: number): void {
    for (const [key, s] of this.subscriptions) if (s.until <= now) this.subscriptions.delete(key);
  }

  /**
   * Sends a reply for `from`'s request to its reply target. When that is not the sender itself and the
   * request's budget is spent, the reply goes to the sender's own address and port instead.
   */
  reply(from: Sender, packet: Buffer): void {
    const to = this.target(from);
    if (samePeer(to, from) || this.spend(from, packet.length)) this.send(to, packet);
    else {
      this.withheld++;
      this.send(from, packet);
    }
  }

  /**
   * Sends an event to every live subscriber. An event caused by a request (`cause`) reaches the
   * request's own sender whatever its size, and any other subscriber only if it is within
   * `amplification` × the request's size.
   */
  event(packet: Buffer, cause?: Sender): void {
    this.prune(this.now());
    for (const s of this.subscriptions.values()) {
      const own = cause && samePeer(s.to, cause);
      if (!cause || own || packet.length <= this.limits.amplification * cause.bytes) this.send(s.to, packet);
      else this.withheld++;
    }
  }

  /** Takes `n` bytes from the request's budget; false (nothing taken) when they do not fit. */
  private spend(from: Sender, n: number): boolean {
    if (from.budget < n) return false;
    from.budget -= n;
    return true;
  }

  private send(to: Peer, packet: Buffer): void {
    try {
      if (to.stream) to.stream(packet);
      else this.socket.send(packet, to.port, to.address);
    } catch {
      // A reply that cannot be sent is dropped; the command itself already ran.
    }
  }
}
