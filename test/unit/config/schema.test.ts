import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigError, formatIssues } from '../../../src/config/config-error.js';
import { bool, checkDocument, int, list, num, oneOf, optional, record, section, str, table, version, withDefault } from '../../../src/config/schema.js';
import { parseToml, validate } from '../../../src/config/toml-file.js';

const schema = table(
  {
    version: version(1),
    name: str({ pattern: /^[a-z]+$/, patternHint: 'lower-case letters' }),
    fans: section(
      table(
        {
          mode: withDefault(oneOf(['auto', 'manual'] as const), 'auto'),
          min_duty: withDefault(int(0, 100, { unit: '%' }), 20),
          max_duty: withDefault(int(0, 100, { unit: '%' }), 100),
        },
        {
          refine(f, report) {
            if (f.min_duty > f.max_duty) report('min_duty', `must not exceed max_duty (${f.max_duty} %)`);
          },
        },
      ),
    ),
    limits: table({ target: num(0, 150, { unit: '°C' }), hot: optional(num(0, 150)) }),
    flags: withDefault(list(bool(), { max: 3 }), []),
    devices: withDefault(record(table({ address: int(8, 0x77) }), { keyPattern: /^[a-z]+$/, keyHint: 'a lower-case name' }), {}),
  },
  { title: 'the test config' },
);

function issues(src: string): string {
  try {
    validate(schema, parseToml(src, 'f.toml'));
    return 'ok';
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
}

test('a valid document fills defaults and types', () => {
  const doc = parseToml('version = 1\nname = "x"\n[limits]\ntarget = 60\n', 'f.toml');
  const v = validate(schema, doc);
  assert.deepEqual(v, {
    version: 1,
    name: 'x',
    fans: { mode: 'auto', min_duty: 20, max_duty: 100 },
    limits: { target: 60, hot: undefined },
    flags: [],
    devices: {},
  });
});

test('every problem is reported at once, with dotted key, line and what is allowed', () => {
  const src = [
    'version = 2', // 1
    'name = "Bad Name"', // 2
    'extra = true', // 3
    '[fans]', // 4
    'mode = "turbo"', // 5
    'min_duty = 120', // 6
    'mni_duty = 5', // 7
    '[limits]', // 8
    'hot = "70"', // 9
    '[devices]', // 10
    'fan = { address = 0x90 }', // 11
    'Fan = { address = 0x40 }', // 12
    'flags = [true, 1]', // 13 (inside [devices]: a device named flags)
  ].join('\n');
  const out = issues(src);
  const lines = out.split('\n');
  const want = [
    'f.toml:1: version: version 2 is not supported; expected 1 (the config format version this asic-agent reads)',
    'f.toml:2: name: "Bad Name" is not lower-case letters',
    'f.toml:3: extra: unknown key; the test config allows version, name, fans, limits, flags, devices',
    'f.toml:5: fans.mode: "turbo" is not allowed; expected one of "auto", "manual"',
    'f.toml:6: fans.min_duty: 120 % is out of range; expected an integer from 0 to 100 %',
    'f.toml:7: fans.mni_duty: unknown key; [fans] allows mode, min_duty, max_duty',
    'f.toml:8: limits.target: missing; expected a number from 0 to 150 °C',
    'f.toml:9: limits.hot: expected a number from 0 to 150, got the string "70"',
    'f.toml:11: devices.fan.address: 144 is out of range; expected an integer from 8 to 119',
    'f.toml:12: devices.Fan: the name "Fan" is not a lower-case name',
    'f.toml:13: devices.flags: expected a table ([devices.flags]), got an array',
  ];
  for (const w of want) assert.ok(lines.includes(w), `missing:\n${w}\nin:\n${out}`);
  assert.equal(lines.length, want.length, out);
});

test('refinements run on valid tables and name the field', () => {
  const out = issues('version = 1\nname = "a"\n[fans]\nmin_duty = 90\nmax_duty = 50\n[limits]\ntarget = 1\n');
  assert.equal(out, 'f.toml:4: fans.min_duty: must not exceed max_duty (50 %)');
});

test('lists: bounds and element keys', () => {
  const out = issues('version = 1\nname = "a"\nflags = [true, 1, false, true]\n[limits]\ntarget = 1\n');
  assert.match(out, /f\.toml:3: flags: has 4 entries; expected an array with at most 3 entries of true or false/);
  assert.match(out, /f\.toml:3: flags\[1\]: expected true or false, got the integer 1/);
});

test('a TOML syntax error is one issue with its line', () => {
  const out = issues('version = 1\nname = "a"\n[limits\ntarget = 1\n');
  assert.match(out, /^f\.toml:3: TOML syntax error/);
});

test('dates and non-integers are named as what they are', () => {
  const out = issues('version = 1.5\nname = 1979-05-27\n[limits]\ntarget = 1\n');
  assert.match(out, /version: version 1.5 is not supported/);
  assert.match(out, /name: expected lower-case letters, got a date/);
});

test('formatIssues sorts by line and omits unknown lines', () => {
  assert.equal(
    formatIssues('x', [
      { key: 'b', line: 9, message: 'm2' },
      { key: 'a', line: 2, message: 'm1' },
      { key: '', line: undefined, message: 'cannot read the file (ENOENT)' },
    ]),
    'x: cannot read the file (ENOENT)\nx:2: a: m1\nx:9: b: m2',
  );
});

test('property: checking arbitrary data never throws; it returns a value or issues with keys', () => {
  const anyValue = fc.anything({ maxDepth: 3, withBigInt: false, withObjectString: false, withNullPrototype: false });
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom('version', 'name', 'fans', 'limits', 'flags', 'devices', 'zz'), anyValue), (data) => {
      const r = checkDocument(schema, data, new Map());
      if (r.value === undefined) assert.ok(r.issues.length > 0);
      for (const i of r.issues) assert.equal(typeof i.message, 'string');
    }),
    { numRuns: 5000 },
  );
});
