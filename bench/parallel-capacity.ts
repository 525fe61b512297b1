/**
 * How much parallel throughput this machine gives right now, measured the way the renders use it: a fixed
 * pure-compute JavaScript workload (four independent floating-point recurrences, no memory traffic) timed
 * in one process alone, then in two processes at once. capacity = 2 × t(one) ÷ max t(two): 2.0 on two
 * idle physical cores, about 1.0 when the two vCPUs share one core (SMT siblings, or a host that steals
 * half the time). The peers bench prints it beside the 2-worker speedups: no engine (supernova included)
 * can beat it, so a speedup goal of 1.8× is only measurable where capacity is near 2.
 */
import { spawn } from 'node:child_process';

const WORK = 'let x=0.5,y=0.25,z=0.1,w=0.3;for(let i=0;i<1.2e8;i++){x=x*0.999+1e-3;y=y*0.998+2e-3;z=z*0.997+1e-3;w=w*0.996+1e-3;}if(x+y+z+w===42)console.log(0)';

function timed(args: readonly string[] = ['-e', WORK]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - t0) / 1e9) : reject(new Error(`capacity probe exited ${code}`))));
  });
}

export interface Capacity {
  /** Seconds for the workload alone (median of `repeats`). */
  one: number;
  /** Seconds for the slower of two at once (median of `repeats`). */
  two: number;
  /** 2 × one ÷ two: the aggregate speedup two threads can get on this machine now. */
  capacity: number;
}

export async function parallelCapacity(repeats = 3): Promise<Capacity> {
  return capacityOf(() => timed(), repeats);
}

/**
 * The same measurement with a real workload: `node args(k)` (k = 0 alone, then 0 and 1 at once; e.g. a
 * single-threaded `modsynth render` each to its own file). A render touches memory (buffers, tables,
 * state) and keeps the execution units busy, which a pure register loop does not: where the two vCPUs
 * share a physical core or a cache with each other or with the host, this capacity is the lower one
 * and is what bounds a 2-worker speedup of that render.
 */
export async function workloadCapacity(args: (k: number) => readonly string[], repeats = 3): Promise<Capacity> {
  return capacityOf((k) => timed(args(k)), repeats);
}

async function capacityOf(run: (k: number) => Promise<number>, repeats: number): Promise<Capacity> {
  const ones: number[] = [], twos: number[] = [];
  for (let r = 0; r < repeats; r++) {
    ones.push(await run(0));
    const both = await Promise.all([run(0), run(1)]);
    twos.push(Math.max(...both));
  }
  const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
  const one = med(ones), two = med(twos);
  return { one, two, capacity: (2 * one) / two };
}
