/**
 * The browser rack's page: connects to the engine (OSC over the WebSocket), builds the rack, the module
 * browser, the toolbar (new, load, save, undo, redo), the status bar and the keyboard, and polls what
 * is not pushed as events (`/status` and `/patch/info`, once a second; this also keeps the `/notify`
 * subscription alive).
 */
import { Link } from './link.js';
import { Rack } from './rack.js';
import { LiveViews } from './live-views.js';
import { Keyboard, isTyping } from './keyboard.js';
import type { ModuleType } from './model.js';
import type { Message } from './osc.js';

const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;

async function start(): Promise<void> {
  const types = (await (await fetch('/modules.json')).json()) as ModuleType[];
  const catalogue = new Map(types.map((t) => [t.type, t]));
  const link = new Link(`ws://${location.host}/ws`);
  const rack = new Rack($('#rack'), catalogue, link);
  const views = new LiveViews(link, rack.panels);
  const keyboard = new Keyboard(link, $('.keyboard'));
  (window as unknown as { modsynth: unknown }).modsynth = { link, rack, views };

  // Messages: the last refusal, as the engine worded it.
  const msg = $('#message');
  let msgTimer = 0;
  rack.onFail = (address, reason) => {
    msg.textContent = `${address}: ${reason}`;
    msg.dataset.address = address;
    msg.classList.add('show');
    clearTimeout(msgTimer);
    msgTimer = window.setTimeout(() => msg.classList.remove('show'), 8000);
  };
  msg.onclick = () => msg.classList.remove('show');

  link.onState = (up) => {
    document.body.classList.toggle('offline', !up);
    $('#conn').textContent = up ? 'connected' : 'disconnected — retrying';
    if (up) {
      link.send('/notify', 1);
      link.send('/patch/get');
      link.send('/patch/list');
      link.send('/status');
      link.send('/patch/info');
    }
  };
  setInterval(() => {
    link.send('/status');
    link.send('/patch/info');
  }, 1000);

  link.on((m: Message) => {
    if (m.address === '/status.reply') showStatus(m.args, rack);
    else if (m.address === '/patches') {
      const sel = $<HTMLSelectElement>('#load-name');
      const keep = sel.value;
      sel.replaceChildren(...(m.args as string[]).map((n) => new Option(n, n)));
      if ((m.args as string[]).includes(keep)) sel.value = keep;
    } else if (m.address === '/patch.info') {
      const load = rack.info?.load ?? [];
      $('#load').textContent = load.length ? load.map((l) => `${(l * 100).toFixed(0)}%`).join(' / ') : '—';
    } else if (m.address === '/done' && (m.args[0] === '/patch/save' || m.args[0] === '/patch/load')) {
      link.send('/patch/list');
      $('#patch-name').textContent = String(m.args[1]);
    }
  });
  rack.onPatch = () => {
    $('#patch-name').textContent ||= rack.patch.name ?? '';
    keyboard.setTargets(rack.patch.modules.filter((x) => catalogue.get(x.type)?.midi).map((x) => x.id));
  };

  // Toolbar.
  const undoBtn = $<HTMLButtonElement>('#undo'), redoBtn = $<HTMLButtonElement>('#redo');
  rack.history.onChange = () => {
    undoBtn.disabled = !rack.history.canUndo;
    redoBtn.disabled = !rack.history.canRedo;
  };
  rack.history.onChange();
  undoBtn.onclick = () => void rack.undo();
  redoBtn.onclick = () => void rack.redo();
  $('#new').onclick = async () => {
    if (rack.patch.modules.length && !confirmClear()) return;
    if (await rack.run([['/patch/clear']])) rack.history.clear();
    $('#patch-name').textContent = '';
  };
  $('#load-button').onclick = async () => {
    const name = $<HTMLSelectElement>('#load-name').value;
    if (name && (await rack.run([['/patch/load', name]]))) rack.history.clear();
  };
  $('#save-button').onclick = () => {
    const name = $<HTMLInputElement>('#save-name').value.trim() || $('#patch-name').textContent || 'patch';
    void rack.run([['/patch/save', name]]);
  };
  window.addEventListener('keydown', (e) => {
    if (!(e.ctrlKey || e.metaKey) || isTyping(e.target)) return;
    const k = e.key.toLowerCase();
    if (k === 'z' && !e.shiftKey) void rack.undo();
    else if ((k === 'z' && e.shiftKey) || k === 'y') void rack.redo();
    else if (k === 's') $('#save-button').click();
    else return;
    e.preventDefault();
  });

  // Module browser: search by name, title, category or doc; click (or Enter) adds one.
  const list = $('#browser-list'), search = $<HTMLInputElement>('#browser-search'), cat = $<HTMLSelectElement>('#browser-category');
  for (const c of [...new Set(types.map((t) => t.category))].sort()) cat.append(new Option(c, c));
  const fill = () => {
    const q = search.value.trim().toLowerCase();
    list.replaceChildren(
      ...types
        .filter((t) => (!cat.value || t.category === cat.value) && (!q || `${t.type} ${t.title} ${t.category} ${t.doc}`.toLowerCase().includes(q)))
        .map((t) => {
          const b = document.createElement('button');
          b.className = 'browser-item';
          b.dataset.type = t.type;
          b.title = t.doc;
          b.innerHTML = '<b></b> <small></small>';
          b.querySelector('b')!.textContent = t.title;
          b.querySelector('small')!.textContent = `${t.type} · ${t.category}${t.poly ? ' · poly' : ''}`;
          b.onclick = () => void rack.addModule(t.type);
          return b;
        }),
    );
  };
  search.oninput = fill;
  cat.onchange = fill;
  search.onkeydown = (e) => {
    if (e.key === 'Enter') (list.firstElementChild as HTMLButtonElement | null)?.click();
  };
  fill();
}

function confirmClear(): boolean {
  return (document.body.dataset.noConfirm === '1') || window.confirm('Remove every module and cable? (Save first to keep this patch.)');
}

function showStatus(args: (string | number)[], rack: Rack): void {
  const kv: Record<string, number> = {};
  for (let i = 0; i + 1 < args.length; i += 2) kv[args[i] as string] = args[i + 1] as number;
  if (kv.sampleRate) rack.sampleRate = kv.sampleRate;
  const set = (id: string, text: string) => ($(`#${id}`).textContent = text);
  set('seconds', `${(kv.seconds ?? 0).toFixed(1)} s`);
  set('underruns', String(kv.underruns ?? 0));
  set('latency', kv.latencyMs !== undefined ? `${kv.latencyMs} ms` : '—');
  set('faults', `${kv.faults ?? 0} faults · ${kv.restarts ?? 0} restarts${kv.disabled ? ` · ${kv.disabled} disabled` : ''}`);
  set('rate', `${kv.sampleRate ?? '?'} Hz · block ${kv.block ?? '?'} · ${kv.workers ?? '?'} workers`);
  $('#underruns').classList.toggle('bad', (kv.underruns ?? 0) > 0);
}

void start();
