/**
 * The agent as it is deployed: compiled to plain JavaScript (`npm run build`, what scripts/install.sh
 * runs), and what the kernel says about its process. Shared by agent.bench.ts and deployed.bench.ts.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../test/helpers/agent-process.js';

/**
 * Compiles src, drivers and workshop with tsconfig.build.json (the `npm run build` of install.sh) into a
 * scratch folder, so the agent is measured as it is deployed without touching the repository's dist/.
 * Returns the folder; its bin/asic-agent.js runs dist/src/main.js (no TypeScript compiler at run time).
 */
export function buildScratch(): string {
  const out = mkdtempSync(join(tmpdir(), 'bench-dist-'));
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(out, 'dist')],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`build failed: ${r.stdout}${r.stderr}`);
  // version.ts looks for package.json above the compiled module.
  copyFileSync(join(ROOT, 'package.json'), join(out, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'));
  symlinkSync(join(ROOT, 'board-configs'), join(out, 'board-configs'));
  mkdirSync(join(out, 'bin'));
  copyFileSync(join(ROOT, 'bin', 'asic-agent.js'), join(out, 'bin', 'asic-agent.js'));
  return out;
}

/** CPU ticks used so far (utime + stime, proc(5) stat fields 14 and 15) and resident memory (VmRSS). */
export function procStat(pid: number): { cpuTicks: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuTicks, rssMb: rss ? Number(rss[1]) / 1024 : Number.NaN };
}

/**
 * Writes `dir`/agent.toml and `dir`/board.toml: the simulated BM1370 board (board-configs/sim-bm1370.toml)
 * with 4 chains, each a chain simulator in its own process behind a pseudo-terminal (`sim:` uarts) that
 * replays `noncesPerS` valid nonces a second, mining on the pool at `poolUrl`. Returns agent.toml's path.
 */
export function writeSimAgentConfig(dir: string, poolUrl: string, o: { noncesPerS?: number; logLevel?: string } = {}): string {
  let board = readFileSync(join(ROOT, 'board-configs', 'sim-bm1370.toml'), 'utf8');
  board = board.replace(
    /\[\[chain\]\][\s\S]*?(?=\[gpio\])/,
    [0, 1, 3, 4].map((line, i) => `[[chain]]\nuart = "sim:chain${i}"\nreset = { chip = "sim-gpio", line = ${line}, active_low = true }\n\n`).join(''),
  );
  board = board.replace(/^# chain_faults = .*$/m, `chain_replay_nonces_per_s = ${o.noncesPerS ?? 2000}`);
  writeFileSync(join(dir, 'board.toml'), board);
  const agent = join(dir, 'agent.toml');
  writeFileSync(
    agent,
    `version = 1\n[board]\nconfig = "board.toml"\n[log]\nlevel = "${o.logLevel ?? 'warn'}"\nstatus_interval_s = 1\n[api.cgminer]\nport = 0\n[api.http]\nport = 0\n[[pool]]\nurl = ${JSON.stringify(poolUrl)}\nuser = "bench"\n`,
  );
  return agent;
}

/**
 * Node's flags as the systemd unit starts the agent: those between @NODE@ and the launcher on the
 * ExecStart line of scripts/systemd/asic-agent.service.in (BENCH_NODE_FLAGS replaces them, to try others).
 */
export function unitNodeFlags(): string[] {
  if (process.env.BENCH_NODE_FLAGS !== undefined) return process.env.BENCH_NODE_FLAGS.split(/\s+/).filter(Boolean);
  const unit = readFileSync(join(ROOT, 'scripts', 'systemd', 'asic-agent.service.in'), 'utf8');
  const m = /^ExecStart=@NODE@ (.*?)\s*@PREFIX@\/current\/bin\/asic-agent\.js run /m.exec(unit);
  if (!m) throw new Error('no ExecStart line of the expected form in scripts/systemd/asic-agent.service.in');
  return (m[1] as string).split(/\s+/).filter(Boolean);
}
