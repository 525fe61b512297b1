/** The timed queue: frame order, equal frames in arrival order, per-owner counts, across many takes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimedQueue, type TimedChange } from '../../src/control/timed-queue';
import { Random } from '../../src/dsp/random';

test('timed queue: takes in frame order (ties in arrival order), counts per owner, one at a time and in batches', () => {
  const rng = new Random(7);
  const q = new TimedQueue();
  const all: TimedChange[] = [];
  let seq = 0;
  const make = (): TimedChange => ({ frame: rng.nextUint32() % 500, id: 'm', param: 'p', value: seq++, owner: ['a', 'b', undefined][rng.nextUint32() % 3] });
  let frame = 0;
  const taken: TimedChange[] = [];
  for (let round = 0; round < 200; round++) {
    const batch = Array.from({ length: round % 10 === 0 ? 100 : 1 + (rng.nextUint32() % 5) }, make).map((c) => ({ ...c, frame: c.frame + frame }));
    all.push(...batch);
    q.add(batch);
    frame += 3;
    for (let c = q.takeBefore(frame); c; c = q.takeBefore(frame)) taken.push(c);
    const waiting = all.filter((c) => !taken.includes(c));
    assert.equal(q.length, waiting.length);
    assert.equal(q.pending('a'), waiting.filter((c) => c.owner === 'a').length);
    assert.equal(q.pending(), waiting.filter((c) => c.owner !== undefined).length);
  }
  for (let c = q.takeBefore(Infinity); c; c = q.takeBefore(Infinity)) taken.push(c);
  assert.equal(taken.length, all.length);
  assert.equal(q.pending(), 0);
  // Each take is the earliest waiting change; among equal frames, the one added first.
  const added = new Map(all.map((c, i) => [c, i]));
  const byFrameThenArrival = (x: TimedChange, y: TimedChange) => x.frame - y.frame || added.get(x)! - added.get(y)!;
  // (Every change added has a frame at or after the last threshold, so the takes are globally sorted.)
  for (let i = 1; i < taken.length; i++) assert.ok(byFrameThenArrival(taken[i - 1], taken[i]) < 0, `take ${i}: frame ${taken[i - 1].frame} then ${taken[i].frame}`);
});
