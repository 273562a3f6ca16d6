// Alarm conditions from board, chains and pools, and the book that raises each once and clears it once,
// keeping when it began.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlarmBook } from '../../../src/agent/alarm-book.js';
import { alarmConditions, type AlarmInputs } from '../../../src/agent/alarm-conditions.js';
import type { Alarm } from '../../../src/api/snapshot.js';

const base = (o: Partial<AlarmInputs> = {}): AlarmInputs => ({
  now: 1000,
  board: { phase: 'running', level: 'normal' },
  chains: [{ index: 0, state: 'running' }],
  pools: [{ id: 'main', usable: true, failures: 0 }],
  extra: [],
  ...o,
});
const keys = (i: AlarmInputs): string[] => alarmConditions(i).map((c) => c.key);

test('conditions: safe-state reasons by kind, hot, dead chains, pools down, censorship; stops on request are not alarms', () => {
  assert.deepEqual(keys(base()), []);
  assert.deepEqual(keys(base({ board: { phase: 'safe', level: 'dangerous', safe: { reason: 'overheat', detail: '', at: 900 } } })), ['thermal:safe-state']);
  assert.deepEqual(keys(base({ board: { phase: 'safe', level: 'normal', safe: { reason: 'fan-stall', detail: 'fan.fan', at: 900 } } })), ['fan:safe-state']);
  assert.deepEqual(keys(base({ board: { phase: 'safe', level: 'normal', safe: { reason: 'regulator-fault', detail: '', at: 900 } } })), ['power:safe-state']);
  for (const reason of ['stop', 'sigterm', 'sigint', 'exit'] as const)
    assert.deepEqual(keys(base({ board: { phase: 'safe', level: 'normal', safe: { reason, detail: '', at: 900 } } })), [], reason);
  // A safe state from the past (the board restarted) is not an alarm any more.
  assert.deepEqual(keys(base({ board: { phase: 'running', level: 'normal', safe: { reason: 'overheat', detail: '', at: 900 } } })), []);
  assert.deepEqual(keys(base({ board: { phase: 'running', level: 'hot' } })), ['thermal:hot']);
  const dead = alarmConditions(
    base({
      chains: [
        { index: 0, state: 'running' },
        { index: 1, state: 'failed' },
      ],
      labels: { chainName: (i) => (i === 1 ? 'right' : 'left') },
    }),
  );
  assert.deepEqual(
    dead.map((c) => [c.key, c.chain, c.message]),
    [['chain:1:dead', 1, 'right is dead: it did not come up']],
  );
  // Not yet connected at start-up is not "down"; failed and unusable is.
  assert.deepEqual(keys(base({ pools: [{ id: 'main', usable: false, failures: 0 }] })), []);
  assert.deepEqual(
    keys(
      base({
        pools: [
          { id: 'main', usable: true, failures: 2 },
          { id: 'b', usable: false, failures: 1, lastFailure: 'connect-failed' },
        ],
      }),
    ),
    ['pool:b:down'],
  );
  assert.deepEqual(
    keys(
      base({
        pools: [
          { id: 'main', usable: false, failures: 3 },
          { id: 'b', usable: false, failures: 1 },
        ],
      }),
    ),
    ['pool:main:down', 'pool:b:down', 'pool:all-down'],
  );
  const cens: Alarm = { kind: 'censorship', severity: 'warning', message: 'refused', at: 950, active: true, pool: 'jds', templateId: '42' };
  assert.deepEqual(keys(base({ extra: [cens, { ...cens, templateId: '43', active: false }] })), ['censorship:jds:42']);
});

test('the book: one raise and one clear per condition, start time kept, recent clears listed', () => {
  const book = new AlarmBook();
  const events: string[] = [];
  book.on('raise', (a) => events.push(`raise ${a.key} @${a.at}`));
  book.on('clear', (a) => events.push(`clear ${a.key} @${a.at} cleared ${a.clearedAt}`));
  const hot = { key: 'thermal:hot', kind: 'thermal' as const, severity: 'warning' as const, message: 'hot', at: 100 };
  book.update([hot], 100);
  book.update([{ ...hot, at: 101, message: 'hot still' }], 101);
  book.update(
    [
      { ...hot, at: 102 },
      { key: 'chain:0:dead', kind: 'chain', severity: 'critical', message: 'dead', at: 102 },
    ],
    102,
  );
  const list = book.update([{ key: 'chain:0:dead', kind: 'chain', severity: 'critical', message: 'dead', at: 103 }], 103);
  assert.deepEqual(events, ['raise thermal:hot @100', 'raise chain:0:dead @102', 'clear thermal:hot @100 cleared 103']);
  assert.deepEqual(
    list.map((a) => [a.key, a.active]),
    [
      ['thermal:hot', false],
      ['chain:0:dead', true],
    ],
  );
  assert.equal(book.activeAlarms().length, 1);
  // A condition that comes back is a new alarm.
  book.update([hot], 200);
  assert.deepEqual(events.slice(-2), ['raise thermal:hot @100', 'clear chain:0:dead @102 cleared 200']);
  // Only the recent clears are kept.
  for (let i = 0; i < 50; i++) {
    book.update([{ ...hot, key: `x:${i}` }], 300 + i);
    book.update([], 300 + i);
  }
  assert.equal(book.list().filter((a) => !a.active).length, 20);
});
