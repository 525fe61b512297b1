/**
 * Live views of `scope` and `meter` panels: each asks the engine for its module's readout
 * (`/module/read id`, the same command any OSC client uses; the reply is a binary frame) with at most
 * one request in flight, the next one sent as soon as a reply arrives but no sooner than MIN_GAP_MS
 * after the last (60 a second at most), and draws only the latest reply on the next animation frame.
 * A slow browser (or engine) therefore drops frames instead of queueing them.
 * `stats` counts frames drawn per module (shown in each view; read by the tests).
 */
import type { Link } from './link.js';
import type { Message } from './osc.js';
import type { Panel } from './panel.js';

/** A request not answered within this is given up (a reply lost with a reconnect). */
const STALE_MS = 500;
/** Shortest time between two requests of one view. */
const MIN_GAP_MS = 16;

export class LiveViews {
  private readonly inflight = new Map<string, number>();
  private readonly latest = new Map<string, (string | number)[]>();
  readonly stats = { frames: {} as Record<string, number>, fps: {} as Record<string, number> };
  private readonly fpsWindow = new Map<string, { t: number; n: number }>();

  constructor(
    private readonly link: Link,
    private readonly panels: Map<string, Panel>,
  ) {
    link.on((m) => this.message(m));
    const tick = (t: number) => {
      this.frame(t);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  private message(m: Message): void {
    if (m.address === '/read') {
      const id = m.args[0] as string;
      this.inflight.delete(id);
      this.latest.set(id, m.args.slice(1));
      this.request(id, performance.now());
    } else if (m.address === '/fail' && m.args[0] === '/module/read') {
      const id = /module "([^"]+)"/.exec(String(m.args[1]))?.[1];
      if (id) this.inflight.delete(id);
    }
  }

  private frame(t: number): void {
    for (const [id, p] of this.panels) {
      if (!p.view) continue;
      const data = this.latest.get(id);
      if (data) {
        this.latest.delete(id);
        if (p.type.readout === 'scope') drawScope(p.view, data);
        else drawMeter(p.view, data);
        this.count(id, t);
      }
      const since = this.inflight.get(id);
      if (since === undefined || t - since > STALE_MS) this.request(id, t);
    }
  }

  private readonly sent = new Map<string, number>();
  private readonly timers = new Map<string, number>();

  /** Asks for `id`'s readout now, or when MIN_GAP_MS have passed since the last ask. */
  private request(id: string, now: number): void {
    if (this.timers.has(id) || !this.link.connected || !this.panels.get(id)?.view) return;
    const wait = (this.sent.get(id) ?? -Infinity) + MIN_GAP_MS - now;
    const go = () => {
      this.timers.delete(id);
      const t = performance.now();
      this.sent.set(id, t);
      this.inflight.set(id, t);
      this.link.send('/module/read', id);
    };
    if (wait <= 0) go();
    else this.timers.set(id, window.setTimeout(go, wait));
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
