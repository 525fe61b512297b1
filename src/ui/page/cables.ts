/**
 * The rack's cable layer: one SVG over the panels, holding a curve per cable from its output jack to
 * its input jack (polyphonic cables thick, with their channel count), and the loose cable a drag
 * draws. Geometry only: what a click or a drop does is the rack's (rack.ts, drag.ts).
 */
import type { Panel } from './panel.js';
import { cableColour, type Cable, type PatchInfo } from './model.js';

const SVG = 'http://www.w3.org/2000/svg';

export interface Point {
  x: number;
  y: number;
}

/** The sagging curve of a cable from a to b, as an SVG path. */
export function curve(a: Point, b: Point): string {
  const sag = 30 + Math.hypot(b.x - a.x, b.y - a.y) * 0.25;
  return `M ${a.x} ${a.y} C ${a.x} ${a.y + sag}, ${b.x} ${b.y + sag}, ${b.x} ${b.y}`;
}

export class CableLayer {
  readonly svg: SVGSVGElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly panels: ReadonlyMap<string, Panel>,
  ) {
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.classList.add('cables');
    root.append(this.svg);
  }

  /** A pointer event's position in the rack's scrolled coordinates. */
  at(ev: { clientX: number; clientY: number }): Point {
    const b = this.root.getBoundingClientRect();
    return { x: ev.clientX - b.left + this.root.scrollLeft, y: ev.clientY - b.top + this.root.scrollTop };
  }

  /** Centre of the hole of jack `ref` (`module.port`), or undefined when no panel shows it. */
  jackCentre(ref: string): Point | undefined {
    const id = ref.slice(0, ref.indexOf('.'));
    const el = this.panels.get(id)?.jacks.get(ref)?.querySelector('.hole');
    if (!el) return undefined;
    const r = el.getBoundingClientRect();
    return this.at({ clientX: r.left + r.width / 2, clientY: r.top + r.height / 2 });
  }

  /** Draws every cable as a curve from its output to its input; `remove` runs when one is clicked. */
  draw(cables: readonly Cable[], info: PatchInfo | undefined, remove: (c: Cable) => void): void {
    this.svg.setAttribute('width', String(this.root.scrollWidth));
    this.svg.setAttribute('height', String(this.root.scrollHeight));
    this.svg.replaceChildren();
    for (const c of cables) {
      const a = this.jackCentre(c.from), b = this.jackCentre(c.to);
      if (!a || !b) continue;
      const channels = info?.cables.find((x) => x.from === c.from && x.to === c.to)?.channels ?? 1;
      const path = document.createElementNS(SVG, 'path');
      path.setAttribute('d', curve(a, b));
      path.setAttribute('stroke', cableColour(c.from));
      path.classList.add('cable');
      if (channels > 1) path.classList.add('poly');
      path.dataset.from = c.from;
      path.dataset.to = c.to;
      const title = document.createElementNS(SVG, 'title');
      title.textContent = `${c.from} → ${c.to}${channels > 1 ? ` (${channels} channels)` : ''}; click to remove`;
      path.append(title);
      path.addEventListener('click', () => remove(c));
      this.svg.append(path);
      if (channels > 1) {
        const t = document.createElementNS(SVG, 'text');
        t.setAttribute('x', String((a.x + b.x) / 2));
        t.setAttribute('y', String((a.y + b.y) / 2 + 30));
        t.classList.add('channels');
        t.textContent = String(channels);
        this.svg.append(t);
      }
    }
  }

  /** Marks the drawn cable into input `to` as picked up. */
  lift(to: string): void {
    this.svg.querySelector(`path[data-to="${CSS.escape(to)}"]`)?.classList.add('lifted');
  }

  /** A loose cable for a drag, coloured as cables from output `from` are; remove it when the drag ends. */
  loose(from: string): SVGPathElement {
    const temp = document.createElementNS(SVG, 'path');
    temp.classList.add('cable', 'dragging');
    temp.setAttribute('stroke', cableColour(from));
    this.svg.append(temp);
    return temp;
  }
}
