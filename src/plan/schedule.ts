/**
 * The processing order of a patch (the compiler's first step, plan/compile.ts). Off the audio path.
 *
 * Order and latency. Modules run in dependency order, so a cable adds no delay within a block. When the
 * remaining modules form cycles, the unscheduled module that comes first in the patch is scheduled next
 * and its cables from unscheduled modules become feedback cables: each delays exactly one block
 * (the consumer reads what the producer wrote in the previous block). The choice depends only on the
 * patch, so it is deterministic; `feedback` reports it (and `modsynth check` prints it). A cable from a
 * module to itself is always a feedback cable.
 */
import { findModule } from '../modules';
import type { AnyModule } from '../sdk/module-api';
import { parsePortRef, type Patch } from './patch';

/** A cable between two patch modules, by index, and whether it closes a cycle (one block of delay). */
export interface Edge {
  from: number; // patch module index
  fromPort: number;
  to: number;
  toPort: number;
  feedback: boolean;
  cable: { from: string; to: string };
}

/** Execution order (patch indices) and the edges marked as feedback. Pure function of the patch. */
export function scheduleModules(patch: Patch): { order: number[]; edges: Edge[] } {
  const n = patch.modules.length;
  const index = new Map(patch.modules.map((m, i) => [m.id, i]));
  const descs = patch.modules.map((m) => mustFind(m.type));
  const edges: Edge[] = patch.cables.map((c) => {
    const f = parsePortRef(c.from)!, t = parsePortRef(c.to)!;
    const from = index.get(f.module)!, to = index.get(t.module)!;
    return {
      from,
      fromPort: Object.keys(descs[from].outputs).indexOf(f.port),
      to,
      toPort: Object.keys(descs[to].inputs).indexOf(t.port),
      feedback: from === to,
      cable: c,
    };
  });
  const incoming: Edge[][] = Array.from({ length: n }, () => []);
  const outgoing: Edge[][] = Array.from({ length: n }, () => []);
  const pending = new Int32Array(n);
  for (const e of edges) {
    if (e.feedback) continue;
    incoming[e.to].push(e);
    outgoing[e.from].push(e);
    pending[e.to]++;
  }
  const done = new Uint8Array(n);
  const order: number[] = [];
  // The ready modules, smallest patch index first (a binary heap: O(n log n) for the whole order).
  const ready = new MinHeap(n);
  for (let i = 0; i < n; i++) if (pending[i] === 0) ready.push(i);
  let firstUndone = 0;
  while (order.length < n) {
    // Next: the ready module that comes first in the patch; when none is ready, the first unscheduled
    // module, whose remaining inputs become feedback.
    let next = -1;
    while (ready.size > 0 && next < 0) {
      const i = ready.pop();
      if (!done[i]) next = i;
    }
    if (next < 0) {
      while (done[firstUndone]) firstUndone++;
      next = firstUndone;
      for (const e of incoming[next]) {
        if (!done[e.from] && !e.feedback) {
          e.feedback = true;
          pending[next]--;
        }
      }
    }
    done[next] = 1;
    order.push(next);
    for (const e of outgoing[next]) {
      if (e.feedback) continue;
      if (--pending[e.to] === 0 && !done[e.to]) ready.push(e.to);
    }
  }
  return { order, edges };
}

/** A binary min-heap of module indices (each pushed at most once per time its inputs become ready). */
class MinHeap {
  private readonly a: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.a = new Int32Array(Math.max(1, capacity));
  }

  push(v: number): void {
    const a = this.a;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= v) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = v;
  }

  pop(): number {
    const a = this.a, top = a[0], v = a[--this.size];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const c = l + 1 < this.size && a[l + 1] < a[l] ? l + 1 : l;
      if (a[c] >= v) break;
      a[i] = a[c];
      i = c;
    }
    a[i] = v;
    return top;
  }
}

/** The descriptor of a module type; throws for an unknown one (the patch was validated first). */
export function mustFind(type: string): AnyModule {
  const d = findModule(type);
  if (!d) throw new Error(`unknown module type "${type}" (validate the patch first)`);
  return d;
}

