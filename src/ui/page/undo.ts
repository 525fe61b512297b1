/**
 * Undo and redo of this tab's edits. An edit is the commands that did it and the commands that undo it
 * (e.g. connect ↔ disconnect; remove a module ↔ add it back with its params, place and cables). Steps
 * of one param within COALESCE_MS merge into one edit (a knob turned by keys or wheel). Edits made
 * elsewhere (another tab, an OSC client) are not in this tab's history. Loading, clearing ("new")
 * start a new history.
 */
import type { Arg } from './osc.js';

export type Command = [string, ...Arg[]];
export interface Edit {
  label: string;
  redo: Command[];
  undo: Command[];
  /** Merge key (a param), and when it was last extended. */
  key?: string;
  at?: number;
}

const COALESCE_MS = 600;

export class History {
  private done: Edit[] = [];
  private undone: Edit[] = [];
  onChange: () => void = () => undefined;

  push(e: Edit): void {
    const last = this.done[this.done.length - 1];
    const now = performance.now();
    if (e.key && last?.key === e.key && now - (last.at ?? 0) < COALESCE_MS) {
      last.redo = e.redo;
      last.at = now;
    } else this.done.push({ ...e, at: now });
    this.undone = [];
    this.onChange();
  }

  clear(): void {
    this.done = [];
    this.undone = [];
    this.onChange();
  }

  get canUndo(): boolean {
    return this.done.length > 0;
  }
  get canRedo(): boolean {
    return this.undone.length > 0;
  }

  /** Takes the edit to undo (it moves to the redo side). */
  takeUndo(): Edit | undefined {
    const e = this.done.pop();
    if (e) this.undone.push(e);
    this.onChange();
    return e;
  }

  takeRedo(): Edit | undefined {
    const e = this.undone.pop();
    if (e) this.done.push({ ...e, at: 0 });
    this.onChange();
    return e;
  }
}
