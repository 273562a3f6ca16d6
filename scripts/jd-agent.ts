/**
 * `node --import tsx scripts/jd-agent.ts --config AGENT.toml --job-declaration JD.toml [run options]`
 *
 * `asic-agent run` with Job Declaration, until the agent's config loader reads `[job_declaration]`
 * itself: the agent config names a pool entry `jd` (its URL is the Template Provider's), JD.toml holds
 * the `[job_declaration]` table (docs/job-declaration.md), and this runs the real agent (board, chains,
 * pool manager, scheduler, share path, APIs, safe state on exit) with that entry built as the
 * JdUpstream (src/upstream/jd/jd-agent.ts).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { parseRunArgs, runAgent } from '../src/cli/run.js';
import { JobDeclarationConfigError, parseJobDeclarationTable } from '../src/upstream/jd/jd-options.js';
import { jdClients } from '../src/upstream/jd/jd-agent.js';

const argv = process.argv.slice(2);
const i = argv.indexOf('--job-declaration');
const file = i >= 0 ? argv[i + 1] : undefined;
if (!file) {
  console.error('usage: jd-agent.ts --config AGENT.toml --job-declaration JD.toml [asic-agent run options]');
  process.exit(2);
}
argv.splice(i, 2);
let cfg;
try {
  cfg = parseJobDeclarationTable((parse(readFileSync(file, 'utf8')) as { job_declaration?: unknown }).job_declaration);
} catch (err) {
  console.error(err instanceof JobDeclarationConfigError ? `${file}: ${err.message}` : String(err));
  process.exit(1);
}
process.exitCode = await runAgent(parseRunArgs(argv), { clients: jdClients(cfg) });
