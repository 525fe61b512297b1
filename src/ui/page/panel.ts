/**
 * One module's panel, laid out from its descriptor: title and id, params as knobs or selectors, inputs
 * and outputs as jacks (a polyphonic module's jacks are marked), a CPU figure, a live view for a scope
 * or a meter, and a "down" state while the engine restarts a faulted module.
 */
import { makeControl, type Control } from './knob.js';
import type { ModuleType, PatchModule } from './model.js';

export interface PanelHooks {
  param: (id: string, name: string, value: number, final: boolean) => void;
  remove: (id: string) => void;
  enable: (id: string) => void;
}

export class Panel {
  readonly element: HTMLElement;
  readonly header: HTMLElement;
  readonly controls = new Map<string, Control>();
  readonly jacks = new Map<string, HTMLElement>();
  readonly view: HTMLCanvasElement | undefined;
  private readonly cpu: HTMLElement;
  private readonly badge: HTMLElement;

  constructor(readonly module: PatchModule, readonly type: ModuleType, hooks: PanelHooks) {
    const el = document.createElement('section');
    el.className = `panel cat-${type.category}${type.poly ? ' poly' : ''}`;
    el.dataset.id = module.id;
    el.dataset.type = module.type;
    this.element = el;
    const head = document.createElement('header');
    head.title = type.doc;
    const title = document.createElement('span');
    title.className = 'title';
    title.textContent = type.title;
    const id = document.createElement('span');
    id.className = 'id';
    id.textContent = module.id;
    const close = document.createElement('button');
    close.className = 'remove';
    close.title = `remove ${module.id}`;
    close.textContent = '×';
    close.onclick = () => hooks.remove(module.id);
    head.append(title, id, close);
    this.header = head;
    this.badge = document.createElement('div');
    this.badge.className = 'badge';
    this.badge.onclick = () => {
      if (el.classList.contains('disabled')) hooks.enable(module.id);
    };
    const params = document.createElement('div');
    params.className = 'params';
    for (const p of type.params) {
      const c = makeControl(p, module.params[p.name] ?? p.default, (v, final) => hooks.param(module.id, p.name, v, final));
      this.controls.set(p.name, c);
      params.append(c.element);
    }
    el.append(head, this.badge, params);
    if (type.readout) {
      const c = document.createElement('canvas');
      c.className = `view view-${type.readout}`;
      c.width = 240;
      c.height = type.readout === 'scope' ? 120 : 60;
      el.append(c);
      this.view = c;
    }
    el.append(this.jackRow('in', type.inputs.map((x) => x.name), type), this.jackRow('out', type.outputs.map((x) => x.name), type));
    this.cpu = document.createElement('footer');
    this.cpu.className = 'cpu';
    this.cpu.textContent = 'cpu —';
    el.append(this.cpu);
  }

  private jackRow(dir: 'in' | 'out', names: string[], type: ModuleType): HTMLElement {
    const row = document.createElement('div');
    row.className = `jacks ${dir}`;
    for (const n of names) {
      const j = document.createElement('div');
      j.className = `jack ${dir}${type.poly ? ' poly' : ''}`;
      const ref = `${this.module.id}.${n}`;
      j.dataset.ref = ref;
      j.dataset.dir = dir;
      const port = (dir === 'in' ? type.inputs : type.outputs).find((x) => x.name === n)!;
      j.title = `${ref} (${dir === 'in' ? 'input' : 'output'}, ${port.signal}${type.poly ? ', polyphonic' : ''}): ${port.doc}`;
      const hole = document.createElement('div');
      hole.className = 'hole';
      const label = document.createElement('span');
      label.textContent = n;
      j.append(hole, label);
      this.jacks.set(ref, j);
      row.append(j);
    }
    return row;
  }

  setCpu(percent: number | undefined, voices?: number): void {
    this.cpu.textContent = percent === undefined ? 'cpu —' : `cpu ${percent < 0.1 ? percent.toFixed(3) : percent.toFixed(1)}%${voices && voices > 1 ? ` · ${voices} voices` : ''}`;
  }

  /** A hot reload's outcome for this module's type: shown in the panel's title bar for 5 s. */
  note(text: string, ok: boolean): void {
    this.element.dataset.reload = ok ? 'reloaded' : 'failed';
    this.element.title = text;
    this.element.classList.remove('reload-ok', 'reload-failed');
    this.element.classList.add(ok ? 'reload-ok' : 'reload-failed');
    clearTimeout(this.noteTimer);
    this.noteTimer = window.setTimeout(() => this.element.classList.remove('reload-ok', 'reload-failed'), 5000);
  }

  private noteTimer = 0;

  /** State from the fault events: 'down' (faulted, being restarted), 'disabled', or back up. */
  setHealth(state: 'up' | 'down' | 'disabled' | 'restarted', detail = ''): void {
    this.element.classList.toggle('down', state === 'down');
    this.element.classList.toggle('disabled', state === 'disabled');
    this.element.classList.toggle('restarted', state === 'restarted');
    this.badge.textContent = state === 'down' ? `DOWN ${detail}` : state === 'disabled' ? `DISABLED ${detail} — click to enable` : state === 'restarted' ? `restarted ${detail}` : '';
    this.element.dataset.health = state === 'restarted' ? 'up' : state;
  }
}
