/**
 * Dragging in the rack: a cable from a jack to another (picking up a patched input takes its cable
 * off: dropped elsewhere it moves, dropped on nothing it is removed), and a panel by its header. A drop
 * becomes one undoable edit (rack.ts runs it as OSC commands); nothing changes locally until the
 * engine says so.
 */
import { curve, type CableLayer } from './cables.js';
import type { Cable } from './model.js';
import type { Command, Edit } from './undo.js';

/** What a drag needs from the rack. */
export interface DragSite {
  readonly cables: CableLayer;
  /** The patch's cables now. */
  patchCables(): readonly Cable[];
  /** Runs and records an edit. */
  edit(e: Edit): Promise<boolean>;
  /** Redraws the cables (a drag that changed nothing puts its cable back). */
  redraw(): void;
}

/** Starts a drag when the primary button goes down on a jack or on a panel's header. */
export function pointerDown(site: DragSite, e: PointerEvent): void {
  if (e.button !== 0) return;
  const target = e.target as HTMLElement;
  const jack = target.closest('.jack') as HTMLElement | null;
  if (jack) return dragCable(site, e, jack);
  const head = target.closest('.panel > header') as HTMLElement | null;
  if (head && !target.closest('button')) return dragPanel(site, e, head.parentElement as HTMLElement);
}

function dragCable(site: DragSite, e: PointerEvent, jack: HTMLElement): void {
  e.preventDefault();
  let fixed = jack.dataset.ref!, fixedDir = jack.dataset.dir!;
  // Picking up a patched input takes its cable off (dropped elsewhere: moved or removed).
  const existing = fixedDir === 'in' ? site.patchCables().find((c) => c.to === fixed) : undefined;
  if (existing) {
    fixed = existing.from;
    fixedDir = 'out';
    site.cables.lift(existing.to);
  }
  const start = site.cables.jackCentre(fixed)!;
  const temp = site.cables.loose(fixed);
  const move = (ev: PointerEvent) => {
    const p = site.cables.at(ev);
    temp.setAttribute('d', fixedDir === 'out' ? curve(start, p) : curve(p, start));
  };
  const up = (ev: PointerEvent) => {
    window.removeEventListener('pointermove', move);
    window.removeEventListener('pointerup', up);
    temp.remove();
    const over = (document.elementFromPoint(ev.clientX, ev.clientY) as HTMLElement | null)?.closest('.jack') as HTMLElement | null;
    const other = over && over.dataset.dir !== fixedDir ? over.dataset.ref! : undefined;
    const from = fixedDir === 'out' ? fixed : other, to = fixedDir === 'out' ? other : fixed;
    const redo: Command[] = [], undo: Command[] = [];
    if (existing && !(other && existing.to === to && existing.from === from)) {
      redo.push(['/cable/disconnect', existing.from, existing.to]);
      undo.unshift(['/cable/connect', existing.from, existing.to]);
    } else if (existing) {
      site.redraw();
      return; // put back where it was
    }
    if (from && to) {
      redo.push(['/cable/connect', from, to]);
      undo.unshift(['/cable/disconnect', from, to]);
    }
    if (redo.length) void site.edit({ label: redo.map((c) => c.join(' ')).join('; '), redo, undo });
    else site.redraw();
  };
  move(e);
  window.addEventListener('pointermove', move);
  window.addEventListener('pointerup', up);
}

function dragPanel(site: DragSite, e: PointerEvent, el: HTMLElement): void {
  e.preventDefault();
  const id = el.dataset.id!;
  const x0 = el.offsetLeft, y0 = el.offsetTop, cx = e.clientX, cy = e.clientY;
  const move = (ev: PointerEvent) => {
    el.style.left = `${Math.max(0, x0 + ev.clientX - cx)}px`;
    el.style.top = `${Math.max(0, y0 + ev.clientY - cy)}px`;
    site.redraw();
  };
  const up = () => {
    window.removeEventListener('pointermove', move);
    window.removeEventListener('pointerup', up);
    const x = el.offsetLeft, y = el.offsetTop;
    if (x !== x0 || y !== y0) void site.edit({ label: `move ${id}`, redo: [['/module/move', id, x, y]], undo: [['/module/move', id, x0, y0]] });
  };
  window.addEventListener('pointermove', move);
  window.addEventListener('pointerup', up);
}
