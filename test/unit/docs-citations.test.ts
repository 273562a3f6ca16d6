// Every citation in the code resolves: `docs/<file>.md "<heading>"` names a file of this repository's
// docs/ and a heading in it, and nothing cites the shared research notes ("fact sheet", "bm13xx.md §4"),
// which this repository does not contain. External references are cited as file@commit instead.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCANNED_DIRS = ['src', 'drivers', 'scripts', 'workshop', 'web'];
const SOURCE_FILE = /\.(?:ts|tsx|js|mjs|cjs|html|css)$/;

/** A citation: `docs/bm13xx.md "Values and their sources"` (the file alone is also checked). */
const CITATION = /(?<![\w./-])docs\/([A-Za-z0-9_.-]+\.md)(?: "([^"]+)")?/g;
/** Citations of the shared notes, in the forms the code used: "fact sheet …", "bm13xx.md §6", "shared/docs/…". */
const FORBIDDEN: readonly RegExp[] = [/fact sheet/i, /\b[\w-]+\.md §\s*\d/, /shared\/docs\//];

interface Citation {
  file: string;
  heading: string | undefined;
}

/** Headings of a markdown file, without their `#`s; lines inside ``` fences are not headings. */
export function headingsOf(markdown: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    else if (!fenced) {
      const m = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
      if (m?.[1] !== undefined) out.add(m[1]);
    }
  }
  return out;
}

/**
 * Citations in a source text. Comment continuations (`\n * `, `\n // `) are joined first, so a citation
 * wrapped between the file and its heading is still read whole.
 */
export function citationsIn(source: string): Citation[] {
  const joined = source.replace(/[ \t]*\r?\n[ \t]*(?:\*(?!\/)|\/\/)?[ \t]*/g, ' ');
  return [...joined.matchAll(CITATION)].map((m) => ({ file: m[1] ?? '', heading: m[2] }));
}

/** What is wrong with one source file's citations, as readable lines (empty when all resolve). */
export function problemsIn(path: string, source: string, docs: ReadonlyMap<string, Set<string>>): string[] {
  const out: string[] = [];
  for (const c of citationsIn(source)) {
    const headings = docs.get(c.file);
    if (headings === undefined) out.push(`${path}: docs/${c.file} does not exist`);
    else if (c.heading !== undefined && !headings.has(c.heading)) out.push(`${path}: docs/${c.file} has no heading "${c.heading}"`);
  }
  source.split('\n').forEach((line, i) => {
    for (const re of FORBIDDEN) if (re.test(line)) out.push(`${path}:${i + 1}: cites the shared notes: ${line.trim()}`);
  });
  return out;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (SOURCE_FILE.test(name)) out.push(p);
  }
  return out;
}

function loadDocs(): Map<string, Set<string>> {
  const dir = join(ROOT, 'docs');
  const docs = new Map<string, Set<string>>();
  for (const name of readdirSync(dir)) if (name.endsWith('.md')) docs.set(name, headingsOf(readFileSync(join(dir, name), 'utf8')));
  return docs;
}

test('every docs/ citation in src, drivers, scripts (and workshop, web) names an existing file and heading', () => {
  const docs = loadDocs();
  const problems: string[] = [];
  let citations = 0;
  for (const d of SCANNED_DIRS) {
    for (const file of sourceFiles(join(ROOT, d))) {
      const source = readFileSync(file, 'utf8');
      citations += citationsIn(source).filter((c) => c.heading !== undefined).length;
      problems.push(...problemsIn(relative(ROOT, file), source, docs));
    }
  }
  assert.deepEqual(problems, []);
  // The scan is only meaningful while it finds the code's citations (about a hundred today).
  assert.ok(citations >= 80, `only ${citations} heading citations found: is the pattern still the one the code uses?`);
});

test('the checker itself: headings, wrapped citations, missing files and headings, the shared notes', () => {
  const md = '# Title\n\n## Values and their sources\n\n```sh\n# not a heading\n```\n### Job frames\n';
  assert.deepEqual([...headingsOf(md)], ['Title', 'Values and their sources', 'Job frames']);
  const docs = new Map([['bm13xx.md', headingsOf(md)]]);

  const wrapped = '/**\n * Job frames (docs/bm13xx.md\n * "Job frames").\n */';
  assert.deepEqual(citationsIn(wrapped), [{ file: 'bm13xx.md', heading: 'Job frames' }]);
  assert.deepEqual(problemsIn('a.ts', wrapped, docs), []);
  assert.deepEqual(problemsIn('a.ts', '// see docs/bm13xx.md "Ticket mask"', docs), ['a.ts: docs/bm13xx.md has no heading "Ticket mask"']);
  assert.deepEqual(problemsIn('a.ts', '// see docs/nope.md', docs), ['a.ts: docs/nope.md does not exist']);
  assert.deepEqual(problemsIn('a.ts', '// header (# not a heading) in docs/bm13xx.md "not a heading"', docs), [
    'a.ts: docs/bm13xx.md has no heading "not a heading"',
  ]);
  for (const bad of ['// register 0x14 (bm13xx.md §4)', '// B0_32 (fact sheet pitfall 7)', '// ports (fact sheet section 6)', '// see ../shared/docs/sv2.md']) {
    assert.equal(problemsIn('a.ts', bad, docs).length, 1, bad);
  }
  // External references are file@commit and are not mistaken for the shared notes.
  assert.deepEqual(problemsIn('a.ts', '// sv2-spec 05-Mining-Protocol.md@066971c §5.1.2.1; FIPS 180-4 §6.2.2', docs), []);
});
