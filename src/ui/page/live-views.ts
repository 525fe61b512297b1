/**
 * Live views of `scope` and `meter` panels. Every view of the page is read in one round: one OSC
 * bundle of `/module/read id` (the same command any OSC client uses), whose replies the server sends
 * back in one frame, drawn together on the next animation frame (one frame of the browser's pipeline
 * per round, however many views). At most one round is in flight; the next starts when it is answered
 * but no sooner than MIN_GAP_MS after the last (45 a second at most: the rack asks for 30 or more),
 * so a slow browser or engine lowers the frame rate instead of queueing anything (the server also drops
 * readouts, not queues them, on a connection that is not reading: src/ui/ws-transport.ts). Nothing
 * runs while there is nothing to show: no animation-frame loop, a 4 Hz check for new views.
 *
 * Why so frugal: the page shares the machine with the engine. Two headless browsers drawing at 60 a
 * second took most of a core on the 2-core test machines (bench/rack.ts), and on a virtual machine the
 * busier its CPUs, the more often the host holds one off while an audio thread waits on it.
 * `stats` counts frames drawn per module (shown in each view; read by the tests).
 */
import type { Link } from './link.js';
import type { Message } from './osc.js';
import type { Panel } from './panel.js';

/** A round not answered within this is given up (a reply lost with a reconnect, or dropped). */
const STALE_MS = 500;
/** Shortest time between the starts of two rounds. */
const MIN_GAP_MS = 22;
/** How often an idle page looks for views to read (a panel added, the link back). */
const IDLE_CHECK_MS = 250;

export class LiveViews {
  /** Views asked for in the round in flight, and when it started (0: none in flight). */
  private readonly pending = new Set<string>();
  private roundAt = 0;
  private lastRound = -Infinity;
  private timer = 0;
  private drawQueued = false;
  private readonly latest = new Map<string, (string | number)[]>();
  readonly stats = { frames: {} as Record<string, number>, fps: {} as Record<string, number> };
  private readonly fpsWindow = new Map<string, { t: number; n: number }>();

  constructor(
    private readonly link: Link,
    private readonly panels: Map<string, Panel>,
  ) {
    link.on((m) => this.message(m));
    window.setInterval(() => this.round(), IDLE_CHECK_MS);
  }

  private message(m: Message): void {
    let id: string | undefined;
    if (m.address === '/read') {
      id = m.args[0] as string;
      if (this.pending.has(id)) this.latest.set(id, m.args.slice(1));
    } else if (m.address === '/fail' && m.args[0] === '/module/read') id = /module "([^"]+)"/.exec(String(m.args[1]))?.[1];
    if (id === undefined || !this.pending.delete(id) || this.pending.size > 0) return;
    // The round is complete: draw it, and start the next one when its time comes.
    this.roundAt = 0;
    if (this.latest.size && !this.drawQueued) {
      this.drawQueued = true;
      requestAnimationFrame((t) => this.draw(t));
    }
    this.schedule();
  }

  private draw(t: number): void {
    this.drawQueued = false;
    for (const [id, data] of this.latest) {
      const p = this.panels.get(id);
      if (!p?.view) continue;
      if (p.type.readout === 'scope') drawScope(p.view, data);
      else drawMeter(p.view, data);
      this.count(id, t);
    }
    this.latest.clear();
  }

  /** Starts the next round when MIN_GAP_MS have passed since the last one. */
  private schedule(): void {
    if (this.timer) return;
    const wait = this.lastRound + MIN_GAP_MS - performance.now();
    if (wait <= 0) this.round();
    else this.timer = window.setTimeout(() => ((this.timer = 0), this.round()), wait);
  }

  /** Asks for every view's readout in one packet, unless a round is in flight (and not stale). */
  private round(): void {
    const now = performance.now();
    if (this.timer || (this.roundAt && now - this.roundAt < STALE_MS) || !this.link.connected) return;
    if (now - this.lastRound < MIN_GAP_MS) return this.schedule(); // a timer may fire a little early
    this.pending.clear();
    for (const [id, p] of this.panels) if (p.view) this.pending.add(id);
    if (!this.pending.size) return;
    this.roundAt = this.lastRound = now;
    this.link.sendBundle([...this.pending].map((id) => ({ address: '/module/read', args: [id] })));
  }

  private count(id: string, t: number): void {
    this.stats.frames[id] = (this.stats.frames[id] ?? 0) + 1;
    const w = this.fpsWindow.get(id) ?? { t, n: 0 };
    w.n++;
    if (t - w.t >= 1000) {
      this.stats.fps[id] = Math.round((w.n * 1000) / (t - w.t));
      w.t = t;
      w.n = 0;
    }
    this.fpsWindow.set(id, w);
  }
}

function field(data: (string | number)[], name: string): number {
  return data[data.indexOf(name) + 1] as number;
}

/** `captures N step S points V×256`: the trace on a ±5 V grid (wider when the signal is). */
function drawScope(c: HTMLCanvasElement, data: (string | number)[]): void {
  const g = c.getContext('2d')!;
  const pts = data.slice(data.indexOf('points') + 1) as number[];
  const W = c.width, H = c.height;
  g.fillStyle = '#07110b';
  g.fillRect(0, 0, W, H);
  g.strokeStyle = '#1d3b27';
  g.lineWidth = 1;
  for (let i = 1; i < 4; i++) {
    g.beginPath();
    g.moveTo(0, (H * i) / 4);
    g.lineTo(W, (H * i) / 4);
    g.stroke();
  }
  let peak = 5;
  for (const v of pts) peak = Math.max(peak, Math.abs(v));
  g.strokeStyle = '#5dff8f';
  g.lineWidth = 1.5;
  g.beginPath();
  pts.forEach((v, i) => {
    const x = (i / (pts.length - 1)) * W, y = H / 2 - (v / peak) * (H / 2 - 2);
    if (i === 0) g.moveTo(x, y);
    else g.lineTo(x, y);
  });
  g.stroke();
  g.fillStyle = '#8fbf9f';
  g.font = '10px sans-serif';
  g.fillText(`±${peak.toFixed(1)} V  #${field(data, 'captures')}`, 4, 11);
}

/** `channels N rms V… peak V…`: a bar per channel in dBFS (5 V = 0 dBFS), peak as a tick. */
function drawMeter(c: HTMLCanvasElement, data: (string | number)[]): void {
  const g = c.getContext('2d')!;
  const n = field(data, 'channels');
  const at = data.indexOf('rms') + 1, pk = data.indexOf('peak') + 1;
  const W = c.width, H = c.height;
  g.fillStyle = '#111';
  g.fillRect(0, 0, W, H);
  const dbX = (v: number) => {
    const db = 20 * Math.log10(Math.max(1e-6, Math.abs(v) / 5));
    return Math.max(0, Math.min(1, (db + 60) / 60)) * (W - 40);
  };
  const h = Math.max(3, (H - 4) / n - 2);
  for (let i = 0; i < n; i++) {
    const y = 2 + i * (h + 2);
    const rms = data[at + i] as number, peak = data[pk + i] as number;
    g.fillStyle = rms > 5 ? '#ff4d4d' : '#48d16b';
    g.fillRect(0, y, dbX(rms), h);
    g.fillStyle = '#fff';
    g.fillRect(dbX(peak), y, 2, h);
  }
  g.fillStyle = '#bbb';
  g.font = '10px sans-serif';
  const db = 20 * Math.log10(Math.max(1e-6, (data[at] as number) / 5));
  g.fillText(`${db.toFixed(1)} dB`, W - 38, 11);
}
