/**
 * Playing notes: an on-screen keyboard (two octaves, mouse or touch) and the computer keyboard
 * (A W S E D F T G Y H U J K O L: C to D an octave up; Z / X shift the octave), sent as `/midi id
 * 144 note 100` and `/midi id 128 note 0` to the chosen `midi-cv` module: the same path as OSC `/midi`.
 */
import type { Link } from './link.js';

const KEYS = 'awsedftgyhujkol';
const BLACK = new Set([1, 3, 6, 8, 10]);

export class Keyboard {
  private octave = 4;
  private readonly held = new Map<string, number>();
  readonly target: HTMLSelectElement;

  constructor(private readonly link: Link, root: HTMLElement) {
    this.target = root.querySelector('select.midi-target')!;
    const keys = root.querySelector('.keys')!;
    for (let i = 0; i < 25; i++) {
      const k = document.createElement('div');
      k.className = `key ${BLACK.has(i % 12) ? 'black' : 'white'}`;
      k.dataset.offset = String(i);
      const down = (e: PointerEvent) => {
        e.preventDefault();
        k.setPointerCapture(e.pointerId);
        this.on(`mouse${i}`, this.octave * 12 + 12 + i, k);
      };
      const up = () => this.off(`mouse${i}`, k);
      k.addEventListener('pointerdown', down);
      k.addEventListener('pointerup', up);
      k.addEventListener('pointercancel', up);
      keys.append(k);
    }
    window.addEventListener('keydown', (e) => {
      if (e.repeat || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      const key = e.key.toLowerCase();
      if (key === 'z' || key === 'x') {
        this.octave = Math.max(0, Math.min(8, this.octave + (key === 'z' ? -1 : 1)));
        root.querySelector('.octave')!.textContent = `C${this.octave}`;
        return;
      }
      const i = KEYS.indexOf(key);
      if (i < 0) return;
      e.preventDefault();
      this.on(`key${key}`, this.octave * 12 + 12 + i, keys.children[i] as HTMLElement);
    });
    window.addEventListener('keyup', (e) => {
      const key = e.key.toLowerCase();
      const i = KEYS.indexOf(key);
      if (i >= 0) this.off(`key${key}`, keys.children[i] as HTMLElement);
    });
    window.addEventListener('blur', () => {
      for (const k of [...this.held.keys()]) this.off(k);
    });
  }

  /** The midi-cv modules of the patch (the first one is played unless another is chosen). */
  setTargets(ids: string[]): void {
    const keep = this.target.value;
    this.target.replaceChildren(...ids.map((id) => new Option(id, id)));
    if (ids.includes(keep)) this.target.value = keep;
    this.target.closest('.keyboard')!.classList.toggle('none', ids.length === 0);
  }

  private on(key: string, note: number, el?: HTMLElement): void {
    if (this.held.has(key) || !this.target.value || note > 127) return;
    this.held.set(key, note);
    el?.classList.add('down');
    this.link.send('/midi', this.target.value, 144, note, 100);
  }

  private off(key: string, el?: HTMLElement): void {
    const note = this.held.get(key);
    if (note === undefined) return;
    this.held.delete(key);
    el?.classList.remove('down');
    if (this.target.value) this.link.send('/midi', this.target.value, 128, note, 0);
  }
}

export function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA' || el.isContentEditable);
}
