import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parse } from 'smol-toml';
import { checkKeyLines, doc } from '../../helpers/toml-docs.js';
import { indexPath, keyPath, lineOf, tomlKeyLines } from '../../../src/config/toml-lines.js';

test('lines of tables, keys, dotted keys, inline tables, arrays and arrays of tables', () => {
  const src = [
    'version = 1 # comment with [brackets] and = signs', // 1
    '', // 2
    '[board]', // 3
    'config = "a # not a comment"', // 4
    "path.to = 'x'", // 5
    '', // 6
    '[i2c.devices]', // 7
    'fan = { ic = "emc2101", address = 0x4c }', // 8
    '"odd key" = 1', // 9
    'list = [', // 10
    '  1,', // 11
    '  { a = 2 },', // 12
    '  """multi', // 13
    '  ] line""",', // 14
    ']', // 15
    '[[pool]]', // 16
    'url = "a"', // 17
    '[[pool]]', // 18
    'url = "b"', // 19
    '[pool.auth]', // 20
    'user = "u"', // 21
    '[[pool.alt]]', // 22
    'x = 1970-01-01 00:00:00', // 23
    'y = 2', // 24
  ].join('\n');
  parse(src); // valid TOML
  const L = tomlKeyLines(src);
  const expect: Record<string, number> = {
    version: 1,
    board: 3,
    'board.config': 4,
    'board.path': 5,
    'board.path.to': 5,
    i2c: 7,
    'i2c.devices': 7,
    'i2c.devices.fan': 8,
    'i2c.devices.fan.ic': 8,
    'i2c.devices.fan.address': 8,
    'i2c.devices."odd key"': 9,
    'i2c.devices.list': 10,
    'i2c.devices.list[0]': 11,
    'i2c.devices.list[1]': 12,
    'i2c.devices.list[1].a': 12,
    'i2c.devices.list[2]': 13,
    pool: 16,
    'pool[0]': 16,
    'pool[0].url': 17,
    'pool[1]': 18,
    'pool[1].url': 19,
    'pool[1].auth': 20,
    'pool[1].auth.user': 21,
    'pool[1].alt[0]': 22,
    'pool[1].alt[0].x': 23,
    'pool[1].alt[0].y': 24,
  };
  for (const [k, line] of Object.entries(expect)) assert.equal(L.get(k), line, k);
  assert.equal(lineOf(L, 'pool[1].auth.password'), 20, 'a missing key points at its table');
  assert.equal(lineOf(L, 'nothing.here'), undefined);
});

test('keyPath quotes what is not a bare key', () => {
  assert.equal(keyPath('', 'a'), 'a');
  assert.equal(keyPath('a', 'b-c_1'), 'a.b-c_1');
  assert.equal(keyPath('a', 'b.c'), 'a."b.c"');
  assert.equal(keyPath('a', 'é'), 'a."é"');
  assert.equal(indexPath('a', 3), 'a[3]');
});

test('property: every key of any document smol-toml writes has a line, and that line names it', () => {
  // 1 000 here; test/slow/toml-lines.slow.test.ts runs 50 000.
  fc.assert(fc.property(doc, checkKeyLines), { numRuns: 1000 });
});

test('property: the scanner never throws on valid TOML (hand-written shapes)', () => {
  const line = fc.oneof(
    fc.constant('[t]'),
    fc.constant('[[arr]]'),
    fc.constant('[t.sub]'),
    fc.constant('a = 1'),
    fc.constant('b.c = "x"'),
    fc.constant('"q k" = [1, [2, 3], {x = 1}]'),
    fc.constant("lit = '''\n]]]\n'''"),
    fc.constant('ml = """\n[not]\n"""'),
    fc.constant('# [comment]'),
    fc.constant(''),
    fc.constant('d = 1979-05-27T07:32:00Z'),
    fc.constant('inl = { a = { b = [ { c = 1 } ] } }'),
  );
  fc.assert(
    fc.property(fc.array(line, { maxLength: 12 }), (ls) => {
      const src = ls.join('\n');
      try {
        parse(src);
      } catch {
        return; // duplicate keys etc.: not valid TOML, never scanned
      }
      const L = tomlKeyLines(src);
      for (const n of L.values()) assert.ok(n >= 1 && n <= ls.length + src.split('\n').length);
    }),
    { numRuns: 5000 },
  );
});
