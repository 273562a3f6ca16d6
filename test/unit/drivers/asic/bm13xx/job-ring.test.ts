// The job ring's memory of earlier units per chip job id (issue 21 D5): newest first, only within the
// late window, at most LATE_GENERATIONS back, and a flag when a unit still within the window was forgotten.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobRing, LATE_GENERATIONS, LATE_WINDOW_MS, type RingEntry } from '../../../../../drivers/asic/bm13xx/job-ring.js';

interface E extends RingEntry<E> {
  name: string;
}

test('lineage: the current unit, then the ones it replaced within the window, newest first', () => {
  const r = new JobRing<E>();
  const put = (slot: number, name: string, t: number): E => {
    const e: E = { name, generation: r.nextGeneration() };
    r.put(slot, e, t);
    return e;
  };
  put(8, 'a', 0);
  put(16, 'other slot', 10);
  put(8, 'b', 100);
  put(8, 'c', 200);
  assert.deepEqual(
    r.lineage(8, 250).map((e) => e.name),
    ['c', 'b', 'a'],
  );
  assert.deepEqual(
    r.lineage(8, 250).map((e) => e.generation),
    [4, 3, 1],
  );
  // 'a' was replaced at 100: gone once the window has passed since then; 'b' (replaced at 200) stays a bit longer.
  assert.deepEqual(
    r.lineage(8, 100 + LATE_WINDOW_MS + 1).map((e) => e.name),
    ['c', 'b'],
  );
  assert.deepEqual(
    r.lineage(8, 200 + LATE_WINDOW_MS + 1).map((e) => e.name),
    ['c'],
  );
  assert.deepEqual(r.lineage(99, 0), []);
  assert.equal(r.historyCut(8, 250), false);
});

test('a flood: at most LATE_GENERATIONS units behind the current one, and the cut is reported while it matters', () => {
  const r = new JobRing<E>();
  for (let i = 0; i < LATE_GENERATIONS + 5; i++) r.put(0, { name: `u${i}`, generation: r.nextGeneration() }, i);
  const l = r.lineage(0, 20);
  assert.equal(l.length, LATE_GENERATIONS + 1);
  assert.equal(l[0]?.name, `u${LATE_GENERATIONS + 4}`);
  assert.equal(r.historyCut(0, 20), true);
  assert.equal(r.historyCut(0, 20 + LATE_WINDOW_MS), false);
  r.clear();
  assert.deepEqual(r.lineage(0, 0), []);
  assert.equal(r.historyCut(0, 20), false);
});

test('units replaced longer ago than the late window are let go at the next put, with what they hold (no flood reported)', () => {
  const r = new JobRing<E>();
  const put = (name: string, t: number): E => {
    const e: E = { name, generation: r.nextGeneration() };
    r.put(0, e, t);
    return e;
  };
  put('a', 0);
  put('b', 10);
  put('c', 20);
  // 'a' and 'b' were replaced at 10 and 20: past the window at this put, never matched again.
  const d = put('d', 20 + LATE_WINDOW_MS + 1);
  const chain: string[] = [];
  for (let e: E | undefined = d; e; e = e.earlier) chain.push(e.name);
  assert.deepEqual(chain, ['d', 'c'], 'the slot keeps only what a late nonce can still match (c, replaced just now)');
  assert.equal(r.historyCut(0, 20 + LATE_WINDOW_MS + 1), false, 'forgetting units past the window is no flood');
});
