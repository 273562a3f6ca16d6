// Architecture principle 9, product and workshop apart: what install.sh puts on a miner (src/, drivers/)
// never imports the lab servers, the simulators or the CPU miner (workshop/), the tests or the dev
// scripts, nor a dev dependency; the command line's composition root reaches the workshop only through
// src/cli/workshop.ts, by a path computed at run time. (The install test checks the installed tree.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinModules } from 'node:module';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { importsOf, sourceFiles, specifiers } from '../helpers/module-imports.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const product = [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'drivers'))];
const WORKSHOP_ONLY = ['workshop/', 'test/', 'scripts/'];

test('the import scanner sees static, dynamic, re-export and side-effect imports, not comments', () => {
  const text = [
    "import { a } from './a.js';",
    "export { b } from '../b.js';",
    "import './c.js';",
    "const d = await import('../../workshop/d.js');",
    '// import { e } from "../workshop/e.js";',
    "/* import f from '../workshop/f.js'; */",
    "import type { G } from 'node:fs';",
  ].join('\n');
  assert.deepEqual(specifiers(text), ['./a.js', '../b.js', './c.js', '../../workshop/d.js', 'node:fs']);
});

test('no product file imports the workshop, the tests or the dev scripts', () => {
  assert.ok(product.length > 200, `${product.length} product files found`);
  const bad = product.flatMap((f) => importsOf(ROOT, f)).filter((e) => e.target !== undefined && WORKSHOP_ONLY.some((w) => e.target?.startsWith(w)));
  assert.deepEqual(
    bad.map((e) => `${e.file} -> ${e.specifier}`),
    [],
  );
});

test('product files import only Node built-ins and the runtime dependencies (never a dev dependency)', () => {
  // What `npm prune --omit=dev` keeps: the dependencies and theirs (package-lock marks the others dev).
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const allowed = new Set(
    Object.entries(lock.packages)
      .filter(([p, v]) => p.startsWith('node_modules/') && v.dev !== true)
      .map(([p]) => p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length)),
  );
  for (const d of Object.keys(pkg.dependencies)) assert.ok(allowed.has(d), d);
  const bad = product
    .flatMap((f) => importsOf(ROOT, f))
    .filter((e) => e.pkg !== undefined && !e.pkg.startsWith('node:') && !builtinModules.includes(e.pkg) && !allowed.has(e.pkg));
  assert.deepEqual(
    bad.map((e) => `${e.file} -> ${e.specifier}${pkg.devDependencies[e.pkg as string] ? ' (a dev dependency)' : ''}`),
    [],
  );
});

test('only the composition root names the workshop, and the workshop names what it provides', () => {
  const naming = product.filter((f) => /workshop\/index/.test(readFileSync(f, 'utf8'))).map((f) => f.slice(ROOT.length));
  assert.deepEqual(naming, ['src/cli/workshop.ts']);
  const entry = readFileSync(join(ROOT, 'workshop/index.ts'), 'utf8');
  for (const part of ['demo', 'lab', 'sim', 'simulated', 'cpuMining']) assert.match(entry, new RegExp(`\\b${part}\\b`), part);
});

test('the protocol and mining layers import nothing of the agent, the APIs or the board around them', () => {
  // Layers (docs/architecture.md): src/work <- src/upstream, src/mining <- src/agent <- src/api, src/cli.
  // An upstream that imported the API's types (jd-agent.ts did) ties the protocol to one way of showing it.
  const inner = product.filter((f) => /\/src\/(upstream|mining|work)\//.test(f));
  assert.ok(inner.length > 50, `${inner.length} files in src/upstream, src/mining and src/work`);
  const outer = ['src/agent/', 'src/api/', 'src/cli/', 'src/board/', 'src/dashboard/', 'src/notify/', 'src/service/'];
  const bad = inner.flatMap((f) => importsOf(ROOT, f)).filter((e) => e.target !== undefined && outer.some((o) => e.target?.startsWith(o)));
  assert.deepEqual(
    bad.map((e) => `${e.file} -> ${e.specifier}`),
    [],
  );
});
