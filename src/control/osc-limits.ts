/**
 * The bounds of the OSC control plane: every input a client can make the server hold or send is
 * bounded by one of these. Documented in README ("OSC control") and docs/osc.md; tests import them.
 */
export interface OscLimits {
  /** A timed bundle more than this many seconds ahead of now is refused (/fail #bundle). */
  timedHorizonS: number;
  /** Timed changes (one per param value or MIDI message) one client (address:port) may have waiting. */
  timedPerClient: number;
  /** Timed changes all clients together may have waiting. */
  timedTotal: number;
  /** /notify subscriptions held at once. */
  subscribers: number;
  /** A subscription ends this long after its client's last request (`/notify 1` or any other). */
  subscriptionTtlMs: number;
  /** Clients whose `/reply/to` port is remembered (the least recently used is forgotten first). */
  replyClients: number;
  /**
   * Bytes one request may cause to be sent to any address but its sender's own (a `/reply/to` port, a
   * subscriber), as a multiple of the request's size.
   */
  amplification: number;
  /** Largest reply datagram (IPv4 UDP payload); a bigger reply is refused with /fail and the way to get it. */
  maxReply: number;
}

export const OSC_LIMITS: Readonly<OscLimits> = {
  timedHorizonS: 60,
  timedPerClient: 4096,
  timedTotal: 16384,
  subscribers: 64,
  subscriptionTtlMs: 60_000,
  replyClients: 1024,
  amplification: 10,
  maxReply: 65_507,
};
