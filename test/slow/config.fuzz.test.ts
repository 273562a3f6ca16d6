/**
 * The config reader at size (npm run test:slow, issue 21): 1 000 000 mutated config documents, agent
 * configs (config.example.toml) and board-configs (every shipped one), through the TOML parser and the
 * schemas with their refinements. Mutations: values replaced by other TOML values, keys renamed or
 * dropped, lines duplicated or dropped, bytes flipped. Every document either checks out or yields
 * ConfigError issues that name a key or the file, each with a message; nothing else is ever thrown.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import fc from 'fast-check';
import { agentConfigSchema } from '../../src/config/agent-config.js';
import { boardConfigSchema } from '../../src/config/board-config.js';
import { ConfigError } from '../../src/config/config-error.js';
import { checkDocument, type Schema } from '../../src/config/schema.js';
import { parseToml } from '../../src/config/toml-file.js';

const RUNS = Number(process.env.ASIC_AGENT_CONFIG_FUZZ_RUNS ?? 1_000_000);
const root = fileURLToPath(new URL('../..', import.meta.url));
const seeds: { text: string; schema: Schema<unknown> }[] = [
  { text: readFileSync(join(root, 'config.example.toml'), 'utf8'), schema: agentConfigSchema as Schema<unknown> },
  ...readdirSync(join(root, 'board-configs'))
    .filter((f) => f.endsWith('.toml'))
    .map((f) => ({ text: readFileSync(join(root, 'board-configs', f), 'utf8'), schema: boardConfigSchema as Schema<unknown> })),
];

const tomlValue = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }).map(String),
  fc.double({ noNaN: false }).map((d) => (Number.isFinite(d) ? String(d) : Number.isNaN(d) ? 'nan' : d > 0 ? 'inf' : '-inf')),
  fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('true', 'false', '[]', '{}', '[1, "a"]', '{ a = 1 }', '1979-05-27', '0x4c', '""', '1e300', '-0', '99999999999'),
);

type Mutation = { kind: 'value' | 'rename' | 'drop' | 'dup' | 'flip'; line: number; v: string; bit: number; pos: number };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('value', 'rename', 'drop', 'dup', 'flip'),
  line: fc.nat(),
  v: tomlValue,
  bit: fc.nat(7),
  pos: fc.nat(),
});

function mutate(text: string, muts: Mutation[]): string {
  const lines = text.split('\n');
  for (const m of muts) {
    if (lines.length === 0) break;
    const i = m.line % lines.length;
    const l = lines[i] as string;
    const eq = l.indexOf('=');
    switch (m.kind) {
      case 'value':
        if (eq > 0) lines[i] = `${l.slice(0, eq + 1)} ${m.v}`;
        break;
      case 'rename':
        if (eq > 0) lines[i] = `${l.slice(0, eq).trim()}x${l.slice(eq)}`;
        break;
      case 'drop':
        lines.splice(i, 1);
        break;
      case 'dup':
        lines.splice(i, 0, l);
        break;
      case 'flip': {
        const b = Buffer.from(l, 'utf8');
        if (b.length > 0) b[m.pos % b.length] = (b[m.pos % b.length] as number) ^ (1 << m.bit);
        lines[i] = b.toString('utf8');
        break;
      }
    }
  }
  return lines.join('\n');
}

test(`${RUNS.toLocaleString('en')} mutated agent configs and board-configs: a value or named issues, never anything else`, { timeout: 3_600_000 }, () => {
  let ok = 0;
  let refused = 0;
  fc.assert(
    fc.property(fc.nat(seeds.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (k, muts) => {
      const seed = seeds[k] as (typeof seeds)[number];
      const text = mutate(seed.text, muts);
      let doc;
      try {
        doc = parseToml(text, 'fuzz.toml');
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        assert.ok(err.issues.length > 0);
        refused++;
        return;
      }
      const r = checkDocument(seed.schema, doc.data, doc.lines);
      if (r.value === undefined) {
        assert.ok(r.issues.length > 0);
        for (const i of r.issues) assert.ok(typeof i.message === 'string' && i.message.length > 0);
        refused++;
      } else ok++;
    }),
    { numRuns: RUNS },
  );
  assert.ok(ok > 0 && refused > 0, `${ok} accepted, ${refused} refused`);
});
