/**
 * Config files for the real agent on a simulated board (test/e2e, scripts): a copy of a shipped sim
 * board-config with the chain simulators tuned for the test, and an agent config naming it, with the
 * pools and extra TOML the test asks for.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './agent-process.js';

export interface SimBoardTuning {
  /** Shipped board-config name (default sim-bm1370). */
  board?: string;
  /** H/s each simulated chain really hashes. */
  hashrate: number;
  /** Sim-only ticket difficulty chosen for about this many nonces/s per chain. */
  noncesPerS: number;
  /** Chain simulator faults (asic-agent sim --faults). */
  faults?: string;
}

export interface PoolLine {
  name: string;
  url: string;
  user?: string;
  /** Extra `key = value` lines of the [[pool]] table. */
  extra?: string[];
}

/** Writes board.toml and agent.toml into `dir`; returns the agent config's path. */
export function writeSimAgentConfig(dir: string, pools: PoolLine[], sim: SimBoardTuning, extra: string[] = []): string {
  let board = readFileSync(join(ROOT, 'board-configs', `${sim.board ?? 'sim-bm1370'}.toml`), 'utf8');
  board = board
    .replace(/^chain_hashrate_hs = .*$/m, `chain_hashrate_hs = ${sim.hashrate}`)
    .replace(/^chain_nonces_per_s = .*$/m, `chain_nonces_per_s = ${sim.noncesPerS}`);
  if (sim.faults) board = board.replace(/^# chain_faults = .*$/m, `chain_faults = ${JSON.stringify(sim.faults)}`);
  writeFileSync(join(dir, 'board.toml'), board);
  const cfg = join(dir, 'agent.toml');
  const lines = [
    'version = 1',
    '[board]',
    'config = "board.toml"',
    '[log]',
    'status_interval_s = 2',
    '[api.cgminer]',
    'port = 0',
    '[api.http]',
    'port = 0',
    ...extra,
  ];
  for (const p of pools)
    lines.push(
      '[[pool]]',
      `name = ${JSON.stringify(p.name)}`,
      `url = ${JSON.stringify(p.url)}`,
      `user = ${JSON.stringify(p.user ?? 'e2e.worker')}`,
      ...(p.extra ?? []),
    );
  writeFileSync(cfg, `${lines.join('\n')}\n`);
  return cfg;
}
