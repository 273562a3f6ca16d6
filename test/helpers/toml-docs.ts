/** Random TOML documents (via smol-toml's writer) for the key-line scanner's property tests. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse, stringify } from 'smol-toml';
import { indexPath, keyPath, tomlKeyLines } from '../../src/config/toml-lines.js';

/** Every leaf and table path of a parsed document, as the schema layer names them. */
function paths(v: unknown, prefix: string, out: string[]): void {
  if (Array.isArray(v)) {
    v.forEach((el, i) => {
      out.push(indexPath(prefix, i));
      paths(el, indexPath(prefix, i), out);
    });
  } else if (v !== null && typeof v === 'object' && !(v instanceof Date) && v.constructor?.name !== 'TomlDate') {
    for (const [k, x] of Object.entries(v)) {
      const p = keyPath(prefix, k);
      out.push(p);
      paths(x, p, out);
    }
  }
}

const key = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/),
  fc.string({ minLength: 1, maxLength: 6 }).filter((s) => s !== '__proto__' && s !== 'constructor'),
);
const scalar = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('with ] bracket', 'with # hash', 'with "quote"', "it's", 'line\nbreak', '= sign', '{brace}'),
);
export const { doc } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(scalar, { maxLength: 3 }),
    tie('table'),
    fc.array(tie('table'), { minLength: 1, maxLength: 3 }),
  ),
  table: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  doc: fc.dictionary(key, tie('value'), { minKeys: 1, maxKeys: 5 }),
}));

/** Stringifies `obj` with smol-toml, parses it back, and checks every key path has a line that names it. */
export function checkKeyLines(obj: Record<string, unknown>): void {
  let src: string;
  try {
    src = stringify(obj);
  } catch {
    return; // values TOML cannot express
  }
  const parsed = parse(src);
  const L = tomlKeyLines(src);
  const lines = src.split('\n');
  const all: string[] = [];
  paths(parsed, '', all);
  for (const p of all) {
    const n = L.get(p);
    assert.ok(n !== undefined, `no line for ${p} in:\n${src}`);
    assert.ok(n >= 1 && n <= lines.length);
    const last = /\[(\d+)\]$/.test(p) ? undefined : p.slice(Math.max(p.lastIndexOf('.'), 0));
    if (last !== undefined && /^\.?[a-z][a-z0-9_-]*$/.test(last)) {
      assert.ok((lines[n - 1] ?? '').includes(last.replace(/^\./, '')), `${p} -> line ${n}: ${lines[n - 1]}`);
    }
  }
}
