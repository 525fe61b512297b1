/**
 * The worklet's poll schedule (src/io/worklet-poll.ts) against a simulated device: periods of Q render
 * requests every P ms with seeded jitter, each request after the first sent a little after the
 * previous one was answered (as the device thread does), and each sleep overshooting by a seeded
 * amount (as a timed wait does). Asserted: the polls per request an idle engine costs (against the
 * fixed naps it replaced), the longest
 * wait of a request on its schedule (≤ NAP_MAX_MS plus the overshoot), and that a request off its
 * schedule (early, or one more per period than learnt) still waits less than one period.
 * The real worklet thread's wake-ups are measured by test/realtime/idle-cpu.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NAP_MAX_MS, NAP_MIN_MS, PollSchedule } from '../../src/io/worklet-poll';
import { prng } from '../support/prng';


interface Device {
  period: number;
  perPeriod: number;
  /** ± ms of jitter on each period's start. */
  jitter: number;
  /** Extra early requests: period k starts `earlyBy` ms early when k % every === 0. */
  early?: { every: number; by: number };
  /** One more request than usual in period k when k % every === 0. */
  extra?: { every: number };
}

interface Schedule {
  next(now: number, served: boolean): number;
}

/** The schedule before: no sleep right after a request, then naps of NAP_MIN_MS doubling to NAP_MAX_MS. */
class FixedNaps implements Schedule {
  private nap = 0;
  next(_now: number, served: boolean): number {
    if (served) return (this.nap = 0);
    const n = this.nap === 0 ? NAP_MIN_MS : this.nap;
    this.nap = Math.min(NAP_MAX_MS, n * 2);
    return n;
  }
}

/** Runs `periods` device periods; returns polls, requests and each request's wait (ms). */
function simulate(d: Device, periods: number, seed: number, s: Schedule = new PollSchedule()): { polls: number; waits: number[]; onSchedule: number[] } {
  const rnd = prng(seed);
  const waits: number[] = [], onSchedule: number[] = [];
  let t = 0, polls = 0;
  for (let k = 0; k < periods; k++) {
    const off = d.early && k > 0 && k % d.early.every === 0;
    const start = k * d.period + (rnd() - 0.5) * 2 * d.jitter - (off ? d.early!.by : 0);
    const count = d.perPeriod + (d.extra && k > 0 && k % d.extra.every === 0 ? 1 : 0);
    let arrival = start;
    for (let i = 0; i < count; i++) {
      // Polls until the request has arrived.
      for (;;) {
        polls++;
        const served = t >= arrival;
        const sleep = s.next(t, served);
        if (served) {
          waits.push(t - arrival);
          if (!off && i < d.perPeriod) onSchedule.push(t - arrival);
          const answered = t;
          t += sleep + rnd() * 0.06;
          arrival = answered + 0.01 + rnd() * 0.02; // the next request of the period
          break;
        }
        t += sleep + rnd() * 0.06; // a timed wait overshoots by up to 60 µs
      }
    }
  }
  return { polls, waits, onSchedule };
}

const QUANTUM = (128 / 48000) * 1000;

for (const [name, d, seed] of [
  ['one quantum a period (the null sink, JACK at 128)', { period: QUANTUM, perPeriod: 1, jitter: 0.05 }, 1],
  ['two quanta a period (JACK at 256)', { period: 2 * QUANTUM, perPeriod: 2, jitter: 0.05 }, 2],
  ['eight quanta a period (ALSA at 1024)', { period: 8 * QUANTUM, perPeriod: 8, jitter: 0.05 }, 5],
] as [string, Device, number][]) {
  test(`worklet poll: ${name}: at most 0.6 of the fixed naps' polls, each request on its schedule waiting ≤ NAP_MAX`, () => {
    const r = simulate(d, 3000, seed);
    const before = simulate(d, 3000, seed, new FixedNaps());
    const perRequest = r.polls / r.waits.length, beforePerRequest = before.polls / before.waits.length;
    const worst = Math.max(...r.onSchedule.slice(100));
    console.log(`${name}: ${perRequest.toFixed(2)} polls a request (fixed naps: ${beforePerRequest.toFixed(2)}), longest wait ${worst.toFixed(3)} ms`);
    assert.ok(perRequest <= 0.6 * beforePerRequest, `${perRequest.toFixed(2)} polls a request against ${beforePerRequest.toFixed(2)}`);
    assert.ok(worst <= NAP_MAX_MS + 0.06, `a request on its schedule waited ${worst.toFixed(3)} ms`);
  });
}

test('worklet poll: requests off the schedule (early, or one more than learnt) wait less than one period', () => {
  for (const [d, seed] of [
    [{ period: QUANTUM, perPeriod: 1, jitter: 0.05, early: { every: 37, by: 1.5 } }, 3],
    [{ period: 2 * QUANTUM, perPeriod: 2, jitter: 0.05, extra: { every: 41 } }, 4],
  ] as [Device, number][]) {
    const r = simulate(d, 3000, seed);
    const worst = Math.max(...r.waits.slice(100));
    assert.ok(worst < d.period, `a request waited ${worst.toFixed(3)} ms, period ${d.period.toFixed(3)} ms`);
    const onTime = Math.max(...r.onSchedule.slice(100));
    assert.ok(onTime <= NAP_MAX_MS + 0.06, `a request on its schedule waited ${onTime.toFixed(3)} ms`);
  }
});

test('worklet poll: a device that stops asking is polled at NAP_MAX, and its pace is learnt again when it resumes', () => {
  const s = new PollSchedule();
  let t = 0;
  for (let k = 0; k < 50; k++) {
    t = k * QUANTUM;
    s.next(t, true);
    s.next(t + 0.1, false);
  }
  assert.ok(Math.abs(s.period - QUANTUM) < 0.01, `period ${s.period}`);
  // Silence for 100 ms: every sleep is at most NAP_MAX_MS (the device may come back any time).
  let sleeps = 0, longest = 0;
  for (let u = t + 3; u < t + 100; ) {
    const sl = s.next(u, false);
    longest = Math.max(longest, sl);
    u += sl;
    sleeps++;
  }
  assert.ok(longest <= NAP_MAX_MS + 1e-9, `slept ${longest} ms while the device was silent`);
  assert.ok(sleeps >= 97 / NAP_MAX_MS - 2, `${sleeps} polls`);
  // Back at a new pace (twice the period): the first interval is off by half and restarts the estimate.
  const t1 = t + 100;
  for (let k = 0; k < 20; k++) {
    s.next(t1 + k * 2 * QUANTUM, true);
    s.next(t1 + k * 2 * QUANTUM + 0.1, false);
  }
  assert.ok(Math.abs(s.period - 2 * QUANTUM) < 0.05, `period ${s.period}`);
});
