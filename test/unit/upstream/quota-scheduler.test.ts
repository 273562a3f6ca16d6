import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { QuotaScheduler } from '../../../src/upstream/quota-scheduler.js';

test('stride order for quotas 1:3 and ties to the first group', () => {
  const q = new QuotaScheduler([
    { name: 'a', quota: 1 },
    { name: 'b', quota: 3 },
  ]);
  const all = new Set(['a', 'b']);
  const order: string[] = [];
  for (let i = 0; i < 8; i++) {
    const g = q.pick(all) as string;
    order.push(g);
    q.charge(g, 60);
  }
  assert.deepEqual(order, ['a', 'b', 'b', 'b', 'a', 'b', 'b', 'b']);
  assert.equal(q.pick(new Set()), undefined);
  assert.equal(q.pick(new Set(['b'])), 'b');
});

// A group is only charged while it has the lowest used/quota, so used_i/q_i <= min + 1/q_i; with
// sum(used) = T this gives T·q_i/Q - n·q_i/Q <= used_i <= T·q_i/Q + 1 (n groups, Q = sum of quotas).
test('property: over equal slices a group is at most 1 slice ahead of quota/sum and n·q/Q slices behind', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 50, max: 400 }), (quotas, slices) => {
      const groups = quotas.map((quota, i) => ({ name: `g${i}`, quota }));
      const q = new QuotaScheduler(groups);
      const all = new Set(groups.map((g) => g.name));
      for (let i = 0; i < slices; i++) q.charge(q.pick(all) as string, 1);
      const sum = quotas.reduce((a, b) => a + b, 0);
      for (const g of groups) {
        const ideal = (slices * g.quota) / sum;
        const used = q.usedMs(g.name);
        assert.ok(used <= ideal + 1 + 1e-9, `${g.name}: ${used} > ${ideal} + 1`);
        assert.ok(used >= ideal - (groups.length * g.quota) / sum - 1e-9, `${g.name}: ${used} too far below ${ideal}`);
      }
    }),
    { numRuns: 300 },
  );
});

test("rejoin: a returning group is raised to the others' level, so it gets no catch-up run", () => {
  const q = new QuotaScheduler([
    { name: 'a', quota: 1 },
    { name: 'b', quota: 1 },
  ]);
  q.charge('a', 1000);
  q.rejoin('b', new Set(['a', 'b']));
  assert.equal(q.usedMs('b'), 1000);
  assert.throws(() => new QuotaScheduler([{ name: 'x', quota: 0 }]), RangeError);
});
