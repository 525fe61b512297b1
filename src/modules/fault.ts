import { defineModule, ports, type BlockIO, type Kernel } from '../sdk';
import { clamp, finiteOr0 } from '../dsp/numeric';

const spec = ports({
  params: {
    gain: { unit: 'gain', min: 0, max: 2, default: 1, doc: 'Gain of the pass-through (shows that params survive a restart).' },
    kind: { unit: 'enum', min: 0, max: 4, default: 0, choices: ['throw', 'nan', 'hang', 'heap', 'stall'], doc: 'Fault that `inject` causes.' },
    inject: { unit: 'ratio', min: 0, max: 1, default: 0, doc: 'Raising it to 1 injects one fault of `kind`, from that sample; set it back to 0 to re-arm.' },
  },
  inputs: {
    in: { signal: 'audio', doc: 'Signal passed through.' },
  },
  outputs: {
    out: { signal: 'audio', doc: 'in × gain (0 V while the module is down).' },
  },
});

type IO = BlockIO<typeof spec>;

/**
 * Memory each block takes and keeps after a `heap` fault: 1 MiB of doubles on the JS heap, as 8 arrays
 * of 16,384 (V8 makes one huge `new Array(n)` a slow dictionary, which would look like a hang).
 */
const HEAP_CHUNK = 1 << 14, HEAP_CHUNKS = 8;
/** How long a `stall` blocks (ms): several hang budgets, well under the watchdog's stall limit. */
export const STALL_MS = 30;

/**
 * Fault injector for tests and demos of fault isolation: a pass-through (out = in × gain) that fails
 * on command. `inject` going from below 0.5 to 0.5 or more (a param change, sample-accurate with an
 * OSC timed bundle) causes, from that sample:
 *   throw — `process` throws;
 *   nan   — the output holds NaN;
 *   hang  — `process` never returns (an endless loop);
 *   heap  — from then on every block allocates and keeps 1 MiB until the worker's heap limit is hit;
 *   stall — `process` blocks for STALL_MS without using the CPU (as a thread waiting in the kernel on a
 *           lock does), once: not a fault; the watchdog must not take it for a hang.
 * A restarted fault module starts with the params it had (inject included) and does not fail again
 * until inject goes back to 0 and up to 1.
 */
class FaultKernel implements Kernel<typeof spec> {
  /** inject as last seen (NaN: not seen yet, so a restart with inject = 1 does not fail again). */
  private last = NaN;
  private hog: number[][] | undefined;
  /** Waited on by a `stall` (nothing ever wakes it: the wait times out). */
  private readonly never = new Int32Array(new SharedArrayBuffer(4));

  reset(): void {
    this.last = NaN;
    this.hog = undefined;
  }

  process(io: IO, start: number, end: number): void {
    const x = io.in.in, out = io.out.out;
    const gain = clamp(io.params.gain, 0, 2), inject = io.params.inject;
    const fire = this.last === this.last && this.last < 0.5 && inject >= 0.5;
    this.last = inject;
    for (let i = start; i < end; i++) out[i] = finiteOr0(x[i]) * gain;
    if (fire) this.fail(Math.round(io.params.kind), out, start);
    if (this.hog) for (let k = 0; k < HEAP_CHUNKS; k++) this.hog.push(new Array<number>(HEAP_CHUNK).fill(k + 0.5));
  }

  private fail(kind: number, out: Float32Array, at: number): void {
    if (kind === 0) throw new Error('injected fault');
    if (kind === 1) out[at] = NaN;
    else if (kind === 2) for (;;);
    else if (kind === 3) this.hog = [];
    else Atomics.wait(this.never, 0, 0, STALL_MS);
  }
}

export const Fault = defineModule(spec, {
  type: 'fault',
  version: 1,
  title: 'Fault injector',
  category: 'debug',
  isolated: true,
  doc:
    'A pass-through (out = in × gain) that fails on command, to show and test fault isolation: raising `inject` to 1 makes it throw, output NaN, ' +
    'hang in an endless loop, exhaust its worker\'s heap, or block for ' + STALL_MS + ' ms without using the CPU (`stall`: not a fault, the watchdog lets it be) (`kind`). It always runs on a worker of its own. A restarted module keeps its ' +
    'params and fails again only when `inject` goes back to 0 and up to 1.',
  create: () => new FaultKernel(),
});
