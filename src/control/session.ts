/**
 * A live session: the patch model the control plane edits, and the engine that plays it. Every edit is
 * checked with the same rules as a patch file (validatePatch), logged, then applied: structural edits
 * (control/session-edits.ts) through a live plan swap at a block boundary (Engine.applyPatch), param
 * values and MIDI through the workers' command rings (Engine.setParam, sendEvent), timed ones when
 * their frame comes near (control/timed-release.ts). Structural edits are serialised: each one starts
 * after the previous one is playing.
 *
 * The session log (control/session-log.ts) is written before a change is applied, at the frame the
 * change will take effect, and a change that cannot be logged (a full disk) is refused and not applied:
 * the log always replays what was heard. Control thread only.
 */
import type { Engine } from '../engine/engine';
import { patchDocument, PatchError, validatePatch, PATCH_FORMAT, PATCH_VERSION, type Patch } from '../plan/patch';
import { findModule } from '../modules';
import { FileWriteError } from '../io/file-error';
import { CommandError } from './command-error';
import { checkedMidi } from './midi-check';
import { PatchDirectory } from './patch-dir';
import { readModuleValues } from './readout';
import { checkParams, cleared, hasStructural, moduleOf, withCable, withinLimits, withModule, withoutCable, withoutModule, withParams } from './session-edits';
import { loadNamed, saveNamed } from './session-files';
import type { SessionEvent, SessionLog } from './session-log';
import { TimedRelease } from './timed-release';
import type { TimedChange } from './timed-queue';

export { CommandError } from './command-error';


export class LiveSession {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timed: TimedRelease;
  /** Timed changes dropped because their log line could not be written. */
  notLogged = 0;
  /** The patch directory as a sandbox (control/patch-dir.ts), opened on first use. */
  private patchDirectory: PatchDirectory | undefined;

  /** Opens the session; with a log, writes its start line (a FileWriteError when it cannot). */
  constructor(
    private patch: Patch,
    readonly engine: Engine,
    /** Directory /patch/load and /patch/save may use (nothing outside it). */
    readonly patchDir: string,
    /** When recording the session: every applied change with its frame. */
    private readonly log?: SessionLog,
    /** Create the patch directory (mode 0700) on the first save when it does not exist (the per-user default). */
    private readonly createPatchDir = false,
  ) {
    const plan = engine.currentPlan;
    log?.write({ type: 'start', sampleRate: plan?.sampleRate ?? 48000, blockSize: plan?.blockSize ?? 128, patch: patchDocument(patch) });
    this.timed = new TimedRelease(engine, (r) => this.deliverTimed(r));
  }

  /** Timed changes that arrived after their frame could be reached (applied at once). */
  get late(): number {
    return this.timed.late;
  }

  /**
   * Writes the end of the session log (frames played), makes it durable and moves it to its final
   * path. Never throws (it runs in the shutdown): returns the problem, as one line, when the log could
   * not be completed (the temp file that holds it is named).
   */
  endLog(frames: number): string | undefined {
    if (!this.log) return undefined;
    try {
      this.log.end(frames);
      return undefined;
    } catch (e) {
      this.log.abandon();
      return `${(e as Error).message}; the session so far is in ${this.log.tempPath} (render it with --session and --seconds)`;
    }
  }

  get current(): Patch {
    return this.patch;
  }

  /** Writes log lines before their change is applied; refuses the change when they cannot be written. */
  private logFirst(write: (log: SessionLog) => void): void {
    if (!this.log) return;
    try {
      write(this.log);
    } catch (e) {
      if (e instanceof FileWriteError) throw new CommandError(`not applied: the session log cannot be written (${e.message})`);
      throw e;
    }
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

  /**
   * Validates `next` as a patch file would be (`edit`: an edit of the valid patch made by
   * session-edits.ts, which checked what it changed: only the size limits are checked again, so an edit
   * costs no O(patch) validation), logs it at its swap block and installs it.
   */
  private async commit(next: Patch, edit = false): Promise<void> {
    let valid: Patch;
    try {
      valid = edit ? withinLimits(next) : validatePatch(patchDocument(next));
    } catch (e) {
      if (e instanceof PatchError) throw new CommandError(e.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
      throw e;
    }
    const json = this.log ? JSON.stringify(patchDocument(valid)) : '';
    const B = this.engine.blockSize();
    // Without a session log no hook: the engine may then choose a nearer swap block (Engine.applyPatch).
    await this.engine.applyPatch(valid, undefined, this.log ? (atBlock) => this.logFirst((log) => log.writePatch(atBlock * B, json)) : undefined);
    this.patch = valid;
  }

  /** Brings back a module disabled after repeated faults. */
  enableModule(id: string): void {
    moduleOf(this.patch, id);
    if (!this.engine.supervisor?.enable(id)) throw new CommandError(`module "${id}" is not disabled`);
  }

  addModule(type: string, id: string, params: [string, number][]): Promise<void> {
    return this.serial(() => this.commit(withModule(this.patch, type, id, params), true));
  }

  removeModule(id: string): Promise<void> {
    return this.serial(() => this.commit(withoutModule(this.patch, id), true));
  }

  connect(from: string, to: string): Promise<void> {
    return this.serial(() => this.commit(withCable(this.patch, from, to), true));
  }

  disconnect(from: string, to: string): Promise<void> {
    return this.serial(() => this.commit(withoutCable(this.patch, from, to), true));
  }

  clear(): Promise<void> {
    return this.serial(() => this.commit(cleared(this.patch), true));
  }

  /**
   * Sets params. Checked synchronously (so the reply can name the bad one), logged, then sent to the
   * workers' command rings without a plan rebuild, all or none. `atFrame` applies them at that
   * absolute sample (default: the first frame the workers can still reach).
   */
  setParams(id: string, pairs: [string, number][], atFrame = this.engine.nextParamFrame()): void | Promise<void> {
    const m = moduleOf(this.patch, id);
    checkParams(m, pairs);
    // A param that decides channel counts rebuilds the plan (a structural edit, click-free swap).
    if (hasStructural(m, pairs)) return this.serial(() => this.commit(withParams(this.patch, id, pairs), true));
    // Room first (the control thread is the only producer: it stays), so nothing logged is then dropped.
    if (!this.engine.canQueue(id, pairs.length)) throw new CommandError('parameter queue full (too many changes at once); retry');
    this.logFirst((log) => log.writeAll(pairs.map(([param, value]): SessionEvent => ({ type: 'param', frame: atFrame, id, param, value }))));
    for (const [name, value] of pairs) {
      m.params[name] = value;
      this.engine.setParam(id, name, value, atFrame);
    }
  }

  /**
   * Sends a MIDI channel message to a module that takes MIDI (midi-cv), at `atFrame` (default: the
   * next block any worker can still reach). Logged first, for session replay.
   */
  sendMidi(id: string, status: number, data1: number, data2: number, atFrame = this.engine.nextParamFrame()): void {
    const data = checkedMidi(moduleOf(this.patch, id), status, data1, data2);
    if (!this.engine.canQueue(id, 1)) throw new CommandError('event queue full (too many changes at once); retry');
    this.logFirst((log) => log.write({ type: 'midi', frame: atFrame, id, data }));
    this.engine.sendEvent(id, data, atFrame);
  }

  /**
   * Schedules params at Unix time `t` (an OSC timetag): the change lands on the exact frame the engine's
   * clock gives for `t`. Returns that frame. A change whose frame can no longer be reached is applied
   * at once and counted as late.
   */
  scheduleParams(id: string, pairs: [string, number][], t: number, owner?: string): number {
    const m = moduleOf(this.patch, id);
    checkParams(m, pairs);
    const structural = hasStructural(m, pairs);
    if (structural) throw new CommandError(`"${structural}" of ${m.type} rebuilds the plan, so it cannot be timed: send it outside a timed bundle`);
    const frame = this.engine.frameAt(t);
    if (frame === undefined || frame < this.engine.firstReachableFrame()) {
      this.timed.late++;
      this.setParams(id, pairs);
      return frame ?? 0;
    }
    this.timed.add(pairs.map(([param, value]) => ({ frame, id, param, value, owner })));
    return frame;
  }

  /** Schedules a MIDI message at Unix time `t`, like scheduleParams. */
  scheduleMidi(id: string, status: number, data1: number, data2: number, t: number, owner?: string): number {
    const data = checkedMidi(moduleOf(this.patch, id), status, data1, data2);
    const frame = this.engine.frameAt(t);
    if (frame === undefined || frame < this.engine.firstReachableFrame()) {
      this.timed.late++;
      this.sendMidi(id, status, data1, data2);
      return frame ?? 0;
    }
    this.timed.add([{ frame, id, param: '', value: data, owner }]);
    return frame;
  }

  /**
   * Queues MIDI messages (packed) at absolute engine frames for every module in `ids`: a MIDI file
   * played live, handed over like timed bundles.
   */
  queueMidi(events: readonly { frame: number; data: number }[], ids: readonly string[]): void {
    this.timed.add(events.flatMap((e) => ids.map((id) => ({ frame: e.frame, id, param: '', value: e.data }))));
  }

  /** Drops the timed changes not handed over yet and stops their timer (shutdown). */
  stopTimed(): void {
    this.timed.stop();
  }

  /** Timed changes `owner` (an OSC client) has waiting; no owner: every client's together. */
  pendingTimed(owner?: string): number {
    return this.timed.pending(owner);
  }

  /** A due timed change (its frame final): logged, then handed to the workers. */
  private deliverTimed(r: TimedChange): void {
    const m = this.patch.modules.find((x) => x.id === r.id);
    if (!m || !this.engine.canQueue(r.id, 1)) return; // removed since, or a full ring (counted as dropped)
    try {
      this.log?.write(r.param === '' ? { type: 'midi', frame: r.frame, id: r.id, data: r.value } : { type: 'param', frame: r.frame, id: r.id, param: r.param, value: r.value });
    } catch (e) {
      if (!(e instanceof FileWriteError)) throw e;
      this.notLogged++; // not applied: the log replays what was heard
      return;
    }
    if (r.param === '') {
      this.engine.sendEvent(r.id, r.value, r.frame);
      return;
    }
    m.params[r.param] = r.value;
    this.engine.setParam(r.id, r.param, r.value, r.frame);
  }

  /** What an analysis module (meter, scope) measures now, as OSC reply arguments (control/readout.ts). */
  readModule(id: string): (string | number)[] {
    return readModuleValues(this.engine, moduleOf(this.patch, id));
  }

  /** Ids of the modules that take MIDI, in patch order. */
  midiModules(): string[] {
    return this.patch.modules.filter((m) => findModule(m.type)?.midi).map((m) => m.id);
  }

  private get dir(): PatchDirectory {
    return (this.patchDirectory ??= new PatchDirectory(this.patchDir, { create: this.createPatchDir }));
  }

  loadPatch(name: string): Promise<void> {
    return this.serial(() => this.commit(loadNamed(this.dir, name)));
  }

  savePatch(name: string): Promise<void> {
    return this.serial(async () => saveNamed(this.dir, name, this.patch));
  }

  static emptyPatch(): Patch {
    return validatePatch({ format: PATCH_FORMAT, version: PATCH_VERSION, modules: [], cables: [] });
  }
}
