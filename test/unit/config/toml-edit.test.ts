// Edits in place of a TOML file: values replaced where they stand, comments and layout kept, pools
// added, removed and reordered with their own lines; anything the editor cannot do cleanly is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse } from 'smol-toml';
import { applyToData, editToml, formatTomlValue, TomlEditError, type TableItem, type TomlEdit } from '../../../src/config/toml-edit.js';

const DOC = `# My miner
version = 1

[board]
config = "sim-bm1370"        # the board
# voltage = 1.12             # core volts

[fans]
mode = "auto"                # auto | manual | immersion
min_duty = 20

# The pools, in order.
[[pool]]
name = "a"                   # first
url = "stratum+tcp://a.example:3333"
user = "w"

[[pool]]
# the backup
name = "b"
url = "stratum+tcp://b.example:3333"
user = "w"
password = "secret"

[pools]
failback = 60
`;

const lines = (s: string): string[] => s.split('\n');

test('a changed value is replaced on its line; its comment stays, aligned', () => {
  const out = editToml(DOC, [{ op: 'set', key: 'fans.mode', value: 'manual' }]);
  assert.ok(out.includes('mode = "manual"              # auto | manual | immersion\n'), out);
  assert.equal(lines(out).length, lines(DOC).length);
  const diff = lines(out).filter((l, i) => l !== lines(DOC)[i]);
  assert.deepEqual(diff, ['mode = "manual"              # auto | manual | immersion']);
});

test('a new key goes under its commented-out example, or at the end of its table; a new table at the end', () => {
  const out = editToml(DOC, [
    { op: 'set', key: 'board.voltage', value: 1.2 },
    { op: 'set', key: 'fans.duty', value: 55 },
    { op: 'set', key: 'dashboard.hashed_password', value: 'scrypt$1' },
  ]);
  assert.ok(out.includes('# voltage = 1.12             # core volts\nvoltage = 1.2\n'), out);
  assert.ok(out.includes('min_duty = 20\nduty = 55\n'), out);
  assert.ok(out.endsWith('failback = 60\n\n[dashboard]\nhashed_password = "scrypt$1"\n'), out);
  assert.ok(out.startsWith('# My miner\n'));
});

test('deleting a key removes its line only', () => {
  const out = editToml(DOC, [{ op: 'delete', key: 'fans.min_duty' }]);
  assert.equal(lines(out).length, lines(DOC).length - 1);
  assert.ok(!out.includes('min_duty'));
});

test('pools: reordered, removed and added with their own lines; comments between them stay', () => {
  const items: TableItem[] = [{ from: 1, set: {} }, { set: { name: 'c', url: 'stratum+tcp://c.example:1', user: 'u' } }];
  const out = editToml(DOC, [{ op: 'tables', key: 'pool', items }]);
  const data = parse(out) as { pool: { name: string; password?: string }[] };
  assert.deepEqual(
    data.pool.map((p) => p.name),
    ['b', 'c'],
  );
  assert.equal(data.pool[0]?.password, 'secret', 'the kept pool keeps the keys the edit did not name');
  assert.ok(out.includes('# The pools, in order.\n[[pool]]\n# the backup\nname = "b"'), out);
  assert.ok(!out.includes('"a"'));
  assert.ok(out.includes('[pools]\nfailback = 60'));
  // A pool removed at the end leaves no growing gap.
  const removed = editToml(DOC, [{ op: 'tables', key: 'pool', items: [{ from: 0, set: {} }] }]);
  assert.ok(!removed.includes('\n\n\n'), removed);
});

test('groups with their pools ([[group]] / [[group.pool]])', () => {
  const src =
    '[[group]]\nname = "g1"  # main\n\n[[group.pool]]\nurl = "stratum+tcp://a:1"\nuser = "u"\n\n[[group]]\nname = "g2"\nquota = 2\n\n[[group.pool]]\nurl = "stratum+tcp://b:1"\nuser = "u"\n';
  const out = editToml(src, [
    {
      op: 'tables',
      key: 'group',
      items: [
        { from: 1, set: { quota: 3 }, arrays: { pool: [{ from: 0, set: {} }, { set: { url: 'stratum+tcp://c:1', user: 'v' } }] } },
        { from: 0, set: {} },
      ],
    },
  ]);
  const data = parse(out) as { group: { name: string; quota?: number; pool: { url: string }[] }[] };
  assert.deepEqual(
    data.group.map((g) => [g.name, g.quota, g.pool.map((p) => p.url)]),
    [
      ['g2', 3, ['stratum+tcp://b:1', 'stratum+tcp://c:1']],
      ['g1', undefined, ['stratum+tcp://a:1']],
    ],
  );
  assert.ok(out.includes('name = "g1"  # main'));
});

test('layouts the editor cannot change in place are refused, never written wrong', () => {
  assert.throws(() => editToml('fans = { mode = "auto" }\n', [{ op: 'set', key: 'fans.mode', value: 'manual' }]), TomlEditError);
  assert.throws(() => editToml('fans.mode = "auto"\n', [{ op: 'set', key: 'fans.duty', value: 5 }]), TomlEditError);
  assert.throws(() => editToml('pool = [{ url = "x", user = "u" }]\n', [{ op: 'tables', key: 'pool', items: [] }]), TomlEditError);
  assert.throws(() => editToml('[fans]\nmode = """\nauto"""\n', [{ op: 'set', key: 'fans.mode', value: 'manual' }]), TomlEditError);
});

test('CRLF files stay CRLF', () => {
  const out = editToml('[fans]\r\nmode = "auto"\r\n', [{ op: 'set', key: 'fans.mode', value: 'manual' }]);
  assert.equal(out, '[fans]\r\nmode = "manual"\r\n');
});

test('every value the settings write round-trips (strings with quotes, control characters, DEL; numbers)', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean()), (v) => {
      const out = editToml('[t]\nk = 1   # c\n', [{ op: 'set', key: 't.k', value: v }]);
      const got = (parse(out) as { t: { k: unknown } }).t.k;
      assert.ok(Object.is(got, v) || got === v || (typeof v === 'number' && got === v), `${formatTomlValue(v)} → ${String(got)}`);
      assert.ok(out.includes('# c'));
    }),
    { numRuns: 300 },
  );
});

test('random edits of the example config: the result parses to exactly the edited data and keeps every comment', () => {
  const src = readFileSync(new URL('../../../config.example.toml', import.meta.url), 'utf8');
  const comments = src.split('\n').filter((l) => /^\s*#/.test(l));
  const edit = fc.oneof(
    fc.record({
      op: fc.constant('set' as const),
      key: fc.constantFrom(
        'fans.mode',
        'fans.duty',
        'temperature.target',
        'board.voltage',
        'board.frequency_mhz',
        'log.level',
        'api.http.port',
        'dashboard.enabled',
      ),
      value: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.string({ maxLength: 12 }), fc.boolean()),
    }),
    fc.record({ op: fc.constant('delete' as const), key: fc.constantFrom('fans.min_duty', 'temperature.cool', 'log.status_interval_s') }),
    fc.shuffledSubarray([0, 1, -1, -2], { minLength: 0, maxLength: 4 }).map(
      (order): TomlEdit => ({
        op: 'tables',
        key: 'pool',
        items: order.map((i) =>
          i >= 0 ? { from: i, set: i === 0 ? { user: 'changed' } : {} } : { set: { url: `stratum+tcp://n${-i}.example:1`, user: 'n' } },
        ),
      }),
    ),
  );
  fc.assert(
    fc.property(fc.array(edit, { maxLength: 4 }), (edits) => {
      // Two edits of one key: keep the last (the settings code never sends both).
      const seen = new Set<string>();
      const uniq = edits.reverse().filter((e) => (seen.has(e.key) ? false : (seen.add(e.key), true)));
      const out = editToml(src, uniq);
      const want = applyToData(parse(src) as Record<string, unknown>, uniq);
      assert.deepEqual(JSON.parse(JSON.stringify(parse(out))), JSON.parse(JSON.stringify(want)));
      const kept = out.split('\n').filter((l) => /^\s*#/.test(l));
      for (const c of comments) assert.ok(kept.includes(c), `lost: ${c}`);
    }),
    { numRuns: 200 },
  );
});
