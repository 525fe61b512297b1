/**
 * The rack: every module of the live patch as a panel, cables between jacks, and the edits a user
 * makes with the mouse (drag a cable from a jack to another, pick a cable up by its input or click it
 * to remove it, move a panel by its header, turn knobs, remove a module). Every edit is an OSC command
 * to the engine; the rack redraws from what the engine then says (`/notify` events and `/patch`), so
 * every tab and OSC client sees the same patch. Edits go into this tab's undo history. The cables'
 * drawing is cables.ts, the drags drag.ts.
 */
import type { Link } from './link.js';
import type { Message } from './osc.js';
import { Panel } from './panel.js';
import { type ModuleType, type Patch, type PatchInfo, type PatchModule } from './model.js';
import { History, type Command, type Edit } from './undo.js';
import { CableLayer } from './cables.js';
import { pointerDown } from './drag.js';

const PANEL_W = 250;

export class Rack {
  patch: Patch = { modules: [], cables: [] };
  info: PatchInfo | undefined;
  readonly panels = new Map<string, Panel>();
  readonly history = new History();
  private readonly cables: CableLayer;
  private refreshQueued = false;
  private pendingParams = new Map<string, [string, string, number]>();
  /**
   * Param changes this tab has sent whose echo (`/param/changed`, which the sender gets too) has not
   * come back yet: while any is out, echoes for that param are this tab's own, older values, and are
   * not shown (the knob would jump back under the hand).
   */
  private unechoed = new Map<string, number>();
  private paramFrame = 0;
  /** Param values when the current gesture on them began (for undo). */
  private gestureStart = new Map<string, number>();
  private health = new Map<string, [Parameters<Panel['setHealth']>[0], string]>();
  sampleRate = 48000;
  onPatch: () => void = () => undefined;
  onFail: (address: string, reason: string) => void = () => undefined;

  constructor(
    private readonly root: HTMLElement,
    readonly catalogue: Map<string, ModuleType>,
    readonly link: Link,
  ) {
    this.cables = new CableLayer(root, this.panels);
    link.on((m) => this.message(m));
    const site = { cables: this.cables, patchCables: () => this.patch.cables, edit: (e: Edit) => this.edit(e), redraw: () => this.drawCables() };
    root.addEventListener('pointerdown', (e) => pointerDown(site, e));
    new ResizeObserver(() => this.drawCables()).observe(root);
  }

  /** Asks the engine for the whole patch (the reply redraws the rack). */
  refresh(): void {
    if (this.refreshQueued) return;
    this.refreshQueued = true;
    queueMicrotask(() => {
      this.refreshQueued = false;
      this.link.send('/patch/get');
    });
  }

  private message(m: Message): void {
    const [a0, ...rest] = m.args;
    switch (m.address) {
      case '/patch':
        this.patch = JSON.parse(a0 as string) as Patch;
        this.render();
        this.onPatch();
        break;
      case '/patch.info':
        this.info = JSON.parse(a0 as string) as PatchInfo;
        for (const [id, p] of this.panels) p.setCpu(this.info.modules[id]?.cpuPercent, this.info.modules[id]?.voices);
        this.drawCables();
        break;
      case '/module/added':
      case '/module/removed':
      case '/cable/connected':
      case '/cable/disconnected':
      case '/patch/loaded':
      case '/patch/cleared':
        this.refresh();
        break;
      case '/module/moved': {
        const mod = this.module(a0 as string);
        if (mod) {
          mod.ui = { ...mod.ui, x: rest[0] as number, y: rest[1] as number };
          this.place(a0 as string);
          this.drawCables();
        }
        break;
      }
      case '/param/changed': {
        const mod = this.module(a0 as string);
        for (let i = 0; i + 1 < rest.length; i += 2) {
          const name = rest[i] as string, v = rest[i + 1] as number;
          const key = `${a0}.${name}`, out = this.unechoed.get(key) ?? 0;
          if (out > 0) {
            if (out === 1) this.unechoed.delete(key);
            else this.unechoed.set(key, out - 1);
            continue;
          }
          if (mod) mod.params[name] = v;
          const c = this.panels.get(a0 as string)?.controls.get(name);
          if (c && !c.busy && !this.pendingParams.has(key)) c.show(v);
        }
        break;
      }
      case '/fault':
        this.setHealth(a0 as string, 'down', `(${rest[0]})`);
        break;
      case '/restarted':
        this.setHealth(a0 as string, 'restarted', `after ${(((rest[1] as number) / this.sampleRate) * 1000).toFixed(0)} ms`);
        setTimeout(() => {
          if (this.health.get(a0 as string)?.[0] === 'restarted') this.setHealth(a0 as string, 'up');
        }, 2000);
        break;
      case '/disabled':
        this.setHealth(a0 as string, 'disabled', `(${rest[0]})`);
        break;
      case '/enabled':
        this.setHealth(a0 as string, 'up');
        break;
      case '/module/reloaded':
      case '/module/reload-failed': {
        // Hot reload of a user module type (--module-dir): a note on each panel of that type for 5 s.
        const ok = m.address === '/module/reloaded', type = ok ? a0 : rest[1];
        for (const mod of this.patch.modules) if (mod.type === type) this.panels.get(mod.id)?.note(ok ? 'reloaded' : 'reload failed', ok);
        if (!ok) this.onFail('/module/reload-failed', `${a0}: ${rest[0]}`);
        break;
      }
      case '/fail':
        if (a0 === '/param/set') this.unechoed.clear(); // a refused change has no echo
        if (a0 !== '/module/read') this.onFail(a0 as string, String(rest[0]));
        break;
    }
  }

  private setHealth(id: string, state: Parameters<Panel['setHealth']>[0], detail = ''): void {
    this.health.set(id, [state, detail]);
    this.panels.get(id)?.setHealth(state, detail);
  }

  module(id: string): PatchModule | undefined {
    return this.patch.modules.find((m) => m.id === id);
  }

  /** Rebuilds every panel from the patch (positions from the modules' `ui` data, else packed). */
  private render(): void {
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.param;
    const focusedId = (document.activeElement?.closest('.panel') as HTMLElement | null)?.dataset.id;
    for (const p of this.panels.values()) p.element.remove();
    this.panels.clear();
    for (const m of this.patch.modules) {
      const type = this.catalogue.get(m.type);
      if (!type) continue;
      const panel = new Panel(m, type, {
        param: (id, name, v, final) => this.param(id, name, v, final),
        remove: (id) => void this.removeModule(id),
        enable: (id) => void this.link.call('/module/enable', id),
      });
      this.panels.set(m.id, panel);
      this.root.append(panel.element);
      const h = this.health.get(m.id);
      if (h) panel.setHealth(h[0], h[1]);
      panel.setCpu(this.info?.modules[m.id]?.cpuPercent, this.info?.modules[m.id]?.voices);
    }
    this.layout();
    if (focused && focusedId) (this.panels.get(focusedId)?.controls.get(focused)?.element.querySelector('[data-param]') as HTMLElement | null)?.focus();
    this.drawCables();
  }

  /** Places panels: those with `ui.x/y` there, the others packed into columns after them. */
  private layout(): void {
    const heights: number[] = [];
    let col = 0;
    for (const m of this.patch.modules) {
      const p = this.panels.get(m.id);
      if (!p) continue;
      if (typeof m.ui?.x === 'number' && typeof m.ui?.y === 'number') {
        this.place(m.id);
        continue;
      }
      const cols = Math.max(1, Math.floor((this.root.clientWidth || 1200) / (PANEL_W + 16)));
      const c = heights.length < cols ? heights.length : heights.indexOf(Math.min(...heights));
      const y = heights[c] ?? 16;
      p.element.style.left = `${16 + c * (PANEL_W + 16)}px`;
      p.element.style.top = `${y}px`;
      heights[c] = y + p.element.offsetHeight + 16;
      col++;
    }
    void col;
  }

  private place(id: string): void {
    const m = this.module(id), p = this.panels.get(id);
    if (!m || !p || typeof m.ui?.x !== 'number') return;
    p.element.style.left = `${m.ui.x}px`;
    p.element.style.top = `${m.ui.y}px`;
  }

  /** A free place for a new panel: right of everything, at the top of the visible area. */
  freeSpot(): { x: number; y: number } {
    let right = 0;
    for (const p of this.panels.values()) right = Math.max(right, p.element.offsetLeft + p.element.offsetWidth);
    return { x: right + 16, y: 16 + Math.round(this.root.scrollTop) };
  }

  /** Draws every cable as a curve from its output to its input (polyphonic: thick, with its channels). */
  drawCables(): void {
    this.cables.draw(this.patch.cables, this.info, (c) => void this.edit({ label: `disconnect ${c.from} → ${c.to}`, redo: [['/cable/disconnect', c.from, c.to]], undo: [['/cable/connect', c.from, c.to]] }));
  }

  /** Runs an edit's commands in order and records it; stops at the first refusal (shown). */
  async edit(e: Edit, record = true): Promise<boolean> {
    const ok = await this.run(e.redo);
    if (ok && record) this.history.push(e);
    return ok;
  }

  async run(cmds: Command[]): Promise<boolean> {
    for (const [address, ...args] of cmds) {
      const r = await this.link.call(address, ...args);
      if (r.some((m) => m.address === '/fail')) return false;
    }
    return true;
  }

  async undo(): Promise<void> {
    const e = this.history.takeUndo();
    if (e) await this.run(e.undo);
  }

  async redo(): Promise<void> {
    const e = this.history.takeRedo();
    if (e) await this.run(e.redo);
  }

  /** A knob moved: sent at once, then at most once per display frame while turning; one undo step per gesture. */
  private param(id: string, name: string, v: number, final: boolean): void {
    const key = `${id}.${name}`;
    if (!this.gestureStart.has(key)) this.gestureStart.set(key, this.module(id)?.params[name] ?? v);
    this.pendingParams.set(key, [id, name, v]);
    // The first change goes at once; more within the same display frame wait for its end (the last wins).
    if (!this.paramFrame) this.flushParams();
    this.paramFrame ||= requestAnimationFrame(() => {
      this.paramFrame = 0;
      this.flushParams();
    });
    if (final) {
      const start = this.gestureStart.get(key)!;
      this.gestureStart.delete(key);
      const m = this.module(id);
      if (m) m.params[name] = v;
      if (start !== v) this.history.push({ label: `${key} ${start} → ${v}`, redo: [['/param/set', id, name, v]], undo: [['/param/set', id, name, start]], key });
    }
  }

  private flushParams(): void {
    for (const [k, [pid, pname, pv]] of this.pendingParams) {
      if (this.link.send('/param/set', pid, pname, pv)) this.unechoed.set(k, (this.unechoed.get(k) ?? 0) + 1);
    }
    this.pendingParams.clear();
  }

  async addModule(type: string): Promise<string | undefined> {
    let n = 1;
    while (this.module(`${type}${n}`)) n++;
    const id = `${type}${n}`;
    const at = this.freeSpot();
    const ok = await this.edit({ label: `add ${id}`, redo: [['/module/add', type, id], ['/module/move', id, at.x, at.y]], undo: [['/module/remove', id]] });
    return ok ? id : undefined;
  }

  async removeModule(id: string): Promise<void> {
    const m = this.module(id);
    if (!m) return;
    const p = this.panels.get(id);
    const x = typeof m.ui?.x === 'number' ? m.ui.x : p?.element.offsetLeft ?? 0, y = typeof m.ui?.y === 'number' ? m.ui.y : p?.element.offsetTop ?? 0;
    const cables = this.patch.cables.filter((c) => c.from.startsWith(`${id}.`) || c.to.startsWith(`${id}.`));
    const add: Command = ['/module/add', m.type, id, ...Object.entries(m.params).flat()];
    await this.edit({ label: `remove ${id}`, redo: [['/module/remove', id]], undo: [add, ['/module/move', id, x, y], ...cables.map((c): Command => ['/cable/connect', c.from, c.to])] });
  }
}
