/**
 * Access to ../shared/vectors (real-world data no one here wrote). The folder can be moved with
 * ASIC_AGENT_VECTORS. When it is missing, vector tests are skipped with a loud reason, except when
 * ASIC_AGENT_REQUIRE_VECTORS=1 (set by .ci/run), where a missing folder fails the suite.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export const VECTORS_DIR = resolve(process.env.ASIC_AGENT_VECTORS ?? join(repoRoot, '..', 'shared', 'vectors'));
export const vectorsPresent = existsSync(VECTORS_DIR);
const required = process.env.ASIC_AGENT_REQUIRE_VECTORS === '1';

let warned = false;
function skipReason(): string | false {
  if (vectorsPresent) return false;
  const reason = `VECTORS MISSING: ${VECTORS_DIR} does not exist (set ASIC_AGENT_VECTORS); vector test skipped`;
  if (!warned) {
    warned = true;
    console.error(`\n*** ${reason} ***\n`);
  }
  return reason;
}

/** A test that needs the vectors folder. */
export function vectorTest(name: string, fn: (t: TestContext) => void | Promise<void>): void {
  if (required && !vectorsPresent) {
    test(name, () => {
      throw new Error(`vectors folder ${VECTORS_DIR} is required (ASIC_AGENT_REQUIRE_VECTORS=1) but missing`);
    });
    return;
  }
  test(name, { skip: skipReason() }, fn);
}

export function vectorPath(rel: string): string {
  return join(VECTORS_DIR, rel);
}

export function readVectorText(rel: string): string {
  return readFileSync(vectorPath(rel), 'utf8');
}

export function readVectorJson<T>(rel: string): T {
  return JSON.parse(readVectorText(rel)) as T;
}

/** Parses a CSV with a header row and no quoted commas inside fields except plain quoted text. */
export function readVectorCsv(rel: string): Record<string, string>[] {
  const lines = readVectorText(rel)
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  const split = (line: string): string[] => {
    const out: string[] = [];
    let cur = '';
    let quoted = false;
    for (const ch of line) {
      if (ch === '"') quoted = !quoted;
      else if (ch === ',' && !quoted) {
        out.push(cur);
        cur = '';
      } else cur += ch;
    }
    out.push(cur);
    return out;
  };
  const head = split(lines[0] ?? '');
  return lines.slice(1).map((l) => {
    const cells = split(l);
    const row: Record<string, string> = {};
    head.forEach((h, i) => (row[h] = cells[i] ?? ''));
    return row;
  });
}
