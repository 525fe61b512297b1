/**
 * A param control: a knob (drag up/down, Shift for fine; wheel; arrow keys, Page Up/Down, Home/End,
 * Shift for fine; double-click resets to the default) or, for an enum, a selector. Shows the value
 * with its unit. `onChange(value, final)` is called as the user turns it (final at the end of a
 * gesture); `show(value)` moves it to what the engine says without calling back.
 */
import { clamp, formatValue, isDiscrete, stepOf, type ParamRef } from './model.js';

export interface Control {
  readonly element: HTMLElement;
  show(value: number): void;
  /** True while the user holds it (the engine's echo must not fight the hand). */
  readonly busy: boolean;
}

export type OnChange = (value: number, final: boolean) => void;

export function makeControl(p: ParamRef, value: number, onChange: OnChange): Control {
  return p.unit === 'enum' ? selector(p, value, onChange) : knob(p, value, onChange);
}

function selector(p: ParamRef, value: number, onChange: OnChange): Control {
  const wrap = document.createElement('label');
  wrap.className = 'param select';
  const sel = document.createElement('select');
  sel.dataset.param = p.name;
  sel.title = p.doc;
  (p.choices ?? []).forEach((c, i) => sel.append(new Option(c, String(i))));
  sel.value = String(Math.round(value));
  sel.onchange = () => onChange(Number(sel.value), true);
  const name = document.createElement('span');
  name.className = 'label';
  name.textContent = p.name;
  wrap.append(sel, name);
  return { element: wrap, show: (v) => (sel.value = String(Math.round(v))), busy: false };
}

function knob(p: ParamRef, initial: number, onChange: OnChange): Control {
  const wrap = document.createElement('div');
  wrap.className = 'param';
  const k = document.createElement('div');
  k.className = 'knob';
  k.tabIndex = 0;
  k.setAttribute('role', 'slider');
  k.dataset.param = p.name;
  k.title = `${p.name}: ${p.doc} (${p.min} … ${p.max}${p.unit === 'ratio' || p.unit === 'gain' ? '' : ` ${p.unit}`}; drag, wheel or arrow keys, Shift = fine, double-click = default ${formatValue(p, p.default)})`;
  k.setAttribute('aria-valuemin', String(p.min));
  k.setAttribute('aria-valuemax', String(p.max));
  const dot = document.createElement('div');
  dot.className = 'knob-dot';
  k.append(dot);
  const label = document.createElement('div');
  label.className = 'label';
  label.textContent = p.name;
  const text = document.createElement('div');
  text.className = 'value';
  wrap.append(k, label, text);

  let value = initial;
  let busy = false;
  const discrete = isDiscrete(p);
  const draw = () => {
    const t = p.max > p.min ? (value - p.min) / (p.max - p.min) : 0;
    k.style.setProperty('--turn', `${-135 + 270 * t}deg`);
    text.textContent = formatValue(p, value);
    k.setAttribute('aria-valuenow', String(value));
    k.setAttribute('aria-valuetext', text.textContent);
  };
  const set = (v: number, final: boolean) => {
    const next = clamp(discrete ? Math.round(v) : v, p);
    if (next === value && !final) return;
    value = next;
    draw();
    onChange(value, final);
  };
  draw();

  // Drag: 200 px spans the range (2000 px with Shift).
  let startY = 0, startValue = 0;
  k.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    k.setPointerCapture(e.pointerId);
    k.focus();
    busy = true;
    startY = e.clientY;
    startValue = value;
    e.preventDefault();
  });
  k.addEventListener('pointermove', (e) => {
    if (!busy) return;
    const span = (p.max - p.min) / (e.shiftKey ? 2000 : 200);
    set(startValue + (startY - e.clientY) * span, false);
  });
  const end = (e: PointerEvent) => {
    if (!busy) return;
    busy = false;
    k.releasePointerCapture(e.pointerId);
    if (value !== startValue) onChange(value, true);
  };
  k.addEventListener('pointerup', end);
  k.addEventListener('pointercancel', end);
  k.addEventListener('wheel', (e) => {
    e.preventDefault();
    const step = stepOf(p) * (e.shiftKey && !discrete ? 0.1 : 1);
    set(value + (e.deltaY < 0 ? step : -step), true);
  }, { passive: false });
  k.addEventListener('keydown', (e) => {
    const step = stepOf(p) * (e.shiftKey && !discrete ? 0.1 : 1);
    const moves: Record<string, number> = { ArrowUp: step, ArrowRight: step, ArrowDown: -step, ArrowLeft: -step, PageUp: 10 * step, PageDown: -10 * step };
    if (e.key in moves) set(value + moves[e.key], true);
    else if (e.key === 'Home') set(p.min, true);
    else if (e.key === 'End') set(p.max, true);
    else return;
    e.preventDefault();
    e.stopPropagation();
  });
  k.addEventListener('dblclick', () => set(p.default, true));
  return {
    element: wrap,
    show: (v) => {
      value = v;
      draw();
    },
    get busy() {
      return busy;
    },
  };
}
