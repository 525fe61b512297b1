/**
 * A live session: the patch model the control plane edits, and the engine that plays it. Every edit is
 * checked with the same rules as a patch file (validatePatch), then applied: structural edits through a
 * live plan swap at a block boundary (Engine.applyPatch), param values through the workers' command
 * rings (Engine.setParam). Edits are serialised: each one starts after the previous one is playing.
 * Control thread only.
 */
import { PatchDirectory, PatchDirError } from './patch-dir';
import { basename } from 'node:path';
import type { Engine } from '../engine/engine';
import { checkParam, checkPort, parsePatch, PatchError, serializePatch, validatePatch, ID_PATTERN, PATCH_FORMAT, PATCH_VERSION, type Patch, type PatchModule } from '../plan/patch';
import { findModule, MODULES } from '../modules';
import type { SessionLog } from './session-log';
import { packMidi } from '../midi/message';
import { TimedQueue, type TimedChange } from './timed-queue';

/** The patch as its file document (what a session log stores). */
function patchDocument(patch: Patch): unknown {
  return JSON.parse(serializePatch(patch));
}

/** A refused command: the reason goes back to the client in /fail. */
export class CommandError extends Error {}

export class LiveSession {
  private queue: Promise<unknown> = Promise.resolve();
  /** Timed param changes not yet handed to the workers, in frame order. */
  private readonly timed = new TimedQueue();
  private timer: NodeJS.Timeout | undefined;
  /** Timed changes that arrived after their frame could be reached (applied at once). */
  late = 0;

  constructor(
    private patch: Patch,
    readonly engine: Engine,
    /** Directory /patch/load and /patch/save may use (nothing outside it). */
    readonly patchDir: string,
    /** When recording the session: every applied change with its frame. */
    private readonly log?: SessionLog,
  ) {
    const plan = engine.currentPlan;
    log?.write({ type: 'start', sampleRate: plan?.sampleRate ?? 48000, blockSize: plan?.blockSize ?? 128, patch: patchDocument(patch) });
  }

  /** Writes the end of the session log (frames played) and closes it. */
  endLog(frames: number): void {
    this.log?.write({ type: 'end', frame: frames });
    this.log?.close();
  }

  private logPatch(): void {
    this.log?.write({ type: 'patch', frame: this.engine.lastSwapBlock * this.engine.blockSize(), patch: patchDocument(this.patch) });
  }

  get current(): Patch {
    return this.patch;
  }

  /** Runs `op` after every earlier edit has been applied. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every edit queued before it is playing and every param record has been taken. */
  sync(): Promise<void> {
    return this.serial(() => this.engine.drained());
  }

  private async commit(next: Patch): Promise<void> {
    let valid: Patch;
    try {
      valid = validatePatch(JSON.parse(serializePatch(next)));
    } catch (e) {
      if (e instanceof PatchError) throw new CommandError(e.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
      throw e;
    }
    await this.engine.applyPatch(valid);
    this.patch = valid;
    this.logPatch();
  }

  private module(id: string): PatchModule {
    const m = this.patch.modules.find((x) => x.id === id);
    if (!m) throw new CommandError(`no module "${id}"`);
    return m;
  }

  /** Brings back a module disabled after repeated faults. */
  enableModule(id: string): void {
    if (!this.current.modules.some((m) => m.id === id)) throw new CommandError(`no module "${id}"`);
    if (!this.engine.supervisor?.enable(id)) throw new CommandError(`module "${id}" is not disabled`);
  }

  addModule(type: string, id: string, params: [string, number][]): Promise<void> {
    return this.serial(async () => {
      const desc = findModule(type);
      if (!desc) throw new CommandError(`unknown module type "${type}" (known: ${MODULES.map((d) => d.type).join(', ')})`);
      if (!ID_PATTERN.test(id)) throw new CommandError(`bad module id "${id}": a letter, then letters, digits, "_" or "-"`);
      if (this.patch.modules.some((m) => m.id === id)) throw new CommandError(`module "${id}" already exists`);
      if (type === 'output' && this.patch.modules.some((m) => m.type === 'output')) throw new CommandError('a patch has at most one output module');
      const values: Record<string, number> = {};
      for (const [name, value] of params) {
        const why = checkParam(desc, name, value);
        if (why) throw new CommandError(why);
        values[name] = value;
      }
      const mod: PatchModule = { id, type, params: Object.fromEntries(Object.entries(desc.params).map(([n, p]) => [n, values[n] ?? p.default])) };
      await this.commit({ ...this.patch, modules: [...this.patch.modules, mod] });
    });
  }

  removeModule(id: string): Promise<void> {
    return this.serial(async () => {
      this.module(id);
      const touches = (ref: string) => ref.startsWith(`${id}.`);
      await this.commit({
        ...this.patch,
        modules: this.patch.modules.filter((m) => m.id !== id),
        cables: this.patch.cables.filter((c) => !touches(c.from) && !touches(c.to)),
      });
    });
  }

  connect(from: string, to: string): Promise<void> {
    return this.serial(async () => {
      const byId = new Map(this.patch.modules.map((m) => [m.id, m]));
      const why = checkPort(byId, from, 'output') ?? checkPort(byId, to, 'input');
      if (why) throw new CommandError(why);
      const taken = this.patch.cables.find((c) => c.to === to);
      if (taken) throw new CommandError(`input "${to}" already has a cable (from "${taken.from}"); disconnect it first or use a mixer`);
      await this.commit({ ...this.patch, cables: [...this.patch.cables, { from, to }] });
    });
  }

  disconnect(from: string, to: string): Promise<void> {
    return this.serial(async () => {
      if (!this.patch.cables.some((c) => c.from === from && c.to === to)) throw new CommandError(`no cable from "${from}" to "${to}"`);
      await this.commit({ ...this.patch, cables: this.patch.cables.filter((c) => !(c.from === from && c.to === to)) });
    });
  }

  /**
   * Sets params. Checked synchronously (so the reply can name the bad one), then sent to the workers'
   * command rings without a plan rebuild. `atFrame` > 0 applies them at that absolute sample.
   */
  setParams(id: string, pairs: [string, number][], atFrame = this.engine.nextParamFrame()): void | Promise<void> {
    const m = this.module(id);
    const desc = findModule(m.type)!;
    for (const [name, value] of pairs) {
      const why = checkParam(desc, name, value);
      if (why) throw new CommandError(why);
    }
    // A param that decides channel counts rebuilds the plan (a structural edit, click-free swap).
    if (pairs.some(([name]) => desc.params[name].structural)) {
      return this.serial(() =>
        this.commit({
          ...this.patch,
          modules: this.patch.modules.map((x) => (x.id === id ? { ...x, params: { ...x.params, ...Object.fromEntries(pairs) } } : x)),
        }),
      );
    }
    for (const [name, value] of pairs) {
      m.params[name] = value;
      if (!this.engine.setParam(id, name, value, atFrame)) throw new CommandError('parameter queue full (too many changes at once); retry');
      this.log?.write({ type: 'param', frame: atFrame, id, param: name, value });
    }
  }

  /**
   * Sends a MIDI channel message to a module that takes MIDI (midi-cv), at `atFrame` (default: the
   * next block any worker can still reach). Logged for session replay.
   */
  sendMidi(id: string, status: number, data1: number, data2: number, atFrame = this.engine.nextParamFrame()): void {
    const data = this.checkMidi(id, status, data1, data2);
    if (!this.engine.sendEvent(id, data, atFrame)) throw new CommandError('event queue full (too many changes at once); retry');
    this.log?.write({ type: 'midi', frame: atFrame, id, data });
  }

  /** The packed message, after checking the module takes MIDI and the bytes are a channel message. */
  private checkMidi(id: string, status: number, data1: number, data2: number): number {
    const m = this.module(id);
    if (!findModule(m.type)!.midi) throw new CommandError(`module "${id}" (${m.type}) does not take MIDI; use a midi-cv module`);
    if (status < 0x80 || status > 0xef) throw new CommandError(`status ${status} is not a MIDI channel message (128..239)`);
    if (data1 < 0 || data1 > 127 || data2 < 0 || data2 > 127) throw new CommandError('MIDI data bytes are 0..127');
    return packMidi(status, data1, data2);
  }

  /**
   * Schedules a MIDI message at Unix time `t` (an OSC timetag), like scheduleParams: it lands on the
   * exact frame of `t`, or at once (counted late) when that frame can no longer be reached.
   */
  scheduleMidi(id: string, status: number, data1: number, data2: number, t: number, owner?: string): number {
    const data = this.checkMidi(id, status, data1, data2);
    const frame = this.engine.frameAt(t);
    if (frame === undefined || frame < this.engine.firstReachableFrame()) {
      this.late++;
      this.sendMidi(id, status, data1, data2);
      return frame ?? 0;
    }
    this.enqueue([{ frame, id, param: '', value: data, owner }]);
    return frame;
  }

  /**
   * Queues MIDI messages (packed) at absolute engine frames for every module in `ids`: a MIDI file
   * played live. Handed to the workers a few blocks ahead like timed bundles; a message whose frame has
   * passed is applied at the first reachable frame and counted late (`/status`).
   */
  queueMidi(events: readonly { frame: number; data: number }[], ids: readonly string[]): void {
    this.enqueue(events.flatMap((e) => ids.map((id) => ({ frame: e.frame, id, param: '', value: e.data }))));
  }

  /** Drops the timed changes not handed over yet and stops their timer (shutdown). */
  stopTimed(): void {
    this.timed.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Timed changes `owner` (an OSC client) has waiting; no owner: every client's together. */
  pendingTimed(owner?: string): number {
    return this.timed.pending(owner);
  }

  /** Adds timed changes and starts the release timer. */
  private enqueue(items: TimedChange[]): void {
    this.timed.add(items);
    this.timer ??= setInterval(() => this.release(), 1);
  }

  /**
   * What an analysis module (meter, scope) measures now, as OSC reply arguments. Copies its readout area
   * from shared memory (retrying while a generation-counted area is being written). Control thread.
   */
  readModule(id: string): (string | number)[] {
    const m = this.module(id);
    const desc = findModule(m.type)!;
    if (!desc.readout) throw new CommandError(`module "${id}" (${m.type}) has nothing to read; use a meter or scope`);
    for (let attempt = 0; attempt < 100; attempt++) {
      const v = this.engine.readModule(id);
      if (!v) throw new CommandError(`module "${id}" is not playing yet; retry`);
      if (!desc.readout.generation) return desc.readout.format(v);
      const after = this.engine.readModule(id)?.[0];
      if (v[0] % 2 === 0 && after === v[0]) return desc.readout.format(v);
    }
    throw new CommandError(`module "${id}" kept changing while read; retry`);
  }

  /** Ids of the modules that take MIDI, in patch order. */
  midiModules(): string[] {
    return this.patch.modules.filter((m) => findModule(m.type)?.midi).map((m) => m.id);
  }

  /**
   * Schedules params at Unix time `t` (an OSC timetag): the change lands on the exact frame the engine's
   * clock gives for `t`. Returns that frame. Records are handed to the workers only a few blocks before
   * they are due (so they never hold up immediate changes queued behind them); a change whose frame
   * can no longer be reached is applied at once and counted as late.
   */
  scheduleParams(id: string, pairs: [string, number][], t: number, owner?: string): number {
    const m = this.module(id);
    const desc = findModule(m.type)!;
    for (const [name, value] of pairs) {
      const why = checkParam(desc, name, value);
      if (why) throw new CommandError(why);
    }
    const structural = pairs.find(([name]) => desc.params[name].structural);
    if (structural) throw new CommandError(`"${structural[0]}" of ${m.type} rebuilds the plan, so it cannot be timed: send it outside a timed bundle`);
    const frame = this.engine.frameAt(t);
    if (frame === undefined || frame < this.engine.firstReachableFrame()) {
      this.late++;
      this.setParams(id, pairs);
      return frame ?? 0;
    }
    this.enqueue(pairs.map(([param, value]) => ({ frame, id, param, value, owner })));
    return frame;
  }

  /** Hands due timed records to the workers (control thread timer, ~1 ms). */
  private release(): void {
    const horizon = this.engine.firstReachableFrame() + 8 * this.engine.blockSize();
    for (let r = this.timed.takeBefore(horizon); r; r = this.timed.takeBefore(horizon)) {
      const reachable = this.engine.firstReachableFrame();
      if (r.frame < reachable) {
        this.late++;
        r.frame = reachable; // applied at a known frame, so the session log stays exact
      }
      if (r.param === '') {
        this.engine.sendEvent(r.id, r.value, r.frame);
        this.log?.write({ type: 'midi', frame: r.frame, id: r.id, data: r.value });
        continue;
      }
      const m = this.patch.modules.find((x) => x.id === r.id);
      if (m) m.params[r.param] = r.value;
      this.engine.setParam(r.id, r.param, r.value, r.frame);
      this.log?.write({ type: 'param', frame: r.frame, id: r.id, param: r.param, value: r.value });
    }
    if (this.timed.length === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** The patch directory as a sandbox (control/patch-dir.ts). */
  private get dir(): PatchDirectory {
    return (this.patchDirectory ??= new PatchDirectory(this.patchDir));
  }
  private patchDirectory: PatchDirectory | undefined;

  loadPatch(name: string): Promise<void> {
    return this.serial(async () => {
      let file: string, text: string;
      try {
        ({ file, text } = this.dir.read(name));
      } catch (e) {
        if (e instanceof PatchDirError) throw new CommandError(e.message);
        throw e;
      }
      let next: Patch;
      try {
        next = parsePatch(text, basename(file));
      } catch (e) {
        if (e instanceof PatchError) throw new CommandError(e.message.replace(/\n/g, '; '));
        throw e;
      }
      await this.engine.applyPatch(next);
      this.patch = next;
      this.logPatch();
    });
  }

  savePatch(name: string): Promise<void> {
    return this.serial(async () => {
      try {
        this.dir.write(name, serializePatch(this.patch));
      } catch (e) {
        if (e instanceof PatchDirError) throw new CommandError(e.message);
        throw e;
      }
    });
  }

  clear(): Promise<void> {
    return this.serial(() => this.commit({ ...this.patch, modules: [], cables: [] }));
  }

  static emptyPatch(): Patch {
    return validatePatch({ format: PATCH_FORMAT, version: PATCH_VERSION, modules: [], cables: [] });
  }
}

