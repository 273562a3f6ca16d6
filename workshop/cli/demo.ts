/**
 * `asic-agent demo [--sim-fault NAME@SECONDS]… [--sim-record FILE] [--config FILE]` — what `npm start`
 * runs: the built-in lab Stratum V2 pool on 127.0.0.1 (Noise, a fresh authority key, real block data
 * from the shared vectors when present) and the agent on a simulated board (board-configs/sim-bm1370:
 * 2 chains × 4 BM1370 simulated in their own processes behind pseudo-terminals) mining to it, with the
 * local APIs on their default ports. Ctrl-C stops everything through the board's safe state.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Sv2Pool } from '../lab/sv2-pool.js';
import { loadLabBlocks } from '../lab/block-data.js';
import { loadRunConfig } from '../../src/config/run-config.js';
import { logger } from '../../src/log.js';
import { parseRunArgs, runAgent } from '../../src/cli/run.js';
import { UsageError, type Command } from '../../src/cli/command.js';

/** Shares every few seconds: difficulty for one share per `seconds` at `hashrate` H/s. */
export function demoDifficulty(hashrate: number, seconds = 3): number {
  return (hashrate * seconds) / 2 ** 32;
}

function portOption(flag: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new UsageError(`${flag} takes a port number 0..65535 (0 picks a free port)`);
  return n;
}

const command: Command = {
  name: 'demo',
  summary: 'the demo (npm start): lab SV2 pool + the agent on a simulated board',
  usage: [
    'asic-agent demo [--board NAME] [--user WORKER] [--cgminer-port P] [--http-port P] [--sim-fault NAME[:TARGET]@SECONDS]... [--sim-record FILE]',
    '',
    '  --board NAME         a simulated board-config (default sim-bm1370; sim-bm1397, sim-bm1362, sim-bm1366, sim-bm1368)',
    '  --user WORKER        the worker name sent to the lab pool (default demo.worker)',
    '  --cgminer-port P     the cgminer-compatible API port on 127.0.0.1 (default 4028; 0 picks a free one)',
    '  --http-port P        the HTTP API port on 127.0.0.1: status, /metrics (default 4029; 0 picks a free one)',
    '  --sim-fault F        inject a fault into the simulated board, repeatable (see asic-agent run --help)',
    '  --sim-record FILE    append the simulated hardware state to FILE on every change',
  ].join('\n'),
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          'sim-fault': { type: 'string', multiple: true },
          'sim-record': { type: 'string' },
          board: { type: 'string', default: 'sim-bm1370' },
          user: { type: 'string', default: 'demo.worker' },
          'cgminer-port': { type: 'string', default: '4028' },
          'http-port': { type: 'string', default: '4029' },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    const cgminerPort = portOption('--cgminer-port', values['cgminer-port']);
    const httpPort = portOption('--http-port', values['http-port']);
    const log = logger('demo');
    const dir = mkdtempSync(join(tmpdir(), 'asic-agent-demo-'));
    const file = join(dir, 'config.toml');
    // The board decides the simulated hashrate, which decides the lab pool's difficulty.
    writeFileSync(file, `version = 1\n[board]\nconfig = ${JSON.stringify(values.board)}\n`);
    let hashrate: number;
    try {
      const cfg = loadRunConfig(file);
      if (!cfg.board.sim) throw new UsageError(`${values.board} is not a simulated board`);
      hashrate = cfg.board.sim.chain_hashrate_hs * cfg.board.chain.length;
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const blocks = loadLabBlocks();
    // SRI acknowledges shares in batches of 10; flushing partial batches after 1 s keeps the demo's counters live.
    const pool = new Sv2Pool({ port: 0, difficulty: demoDifficulty(hashrate), prevHashIntervalSeconds: 30, shareBatchSize: 10, ackFlushMs: 1000, blocks });
    const { url } = await pool.start();
    log.info(
      { url, difficulty: demoDifficulty(hashrate), realBlocks: blocks.real, blocksFrom: blocks.real ? blocks.dir : 'synthetic' },
      'lab SV2 pool listening',
    );
    writeFileSync(
      file,
      [
        '# Written by `asic-agent demo`: the simulated board mining to the lab pool started with it.',
        'version = 1',
        '[board]',
        `config = ${JSON.stringify(values.board)}`,
        '[[pool]]',
        'name = "lab-sv2"',
        `url = ${JSON.stringify(url)}`,
        `user = ${JSON.stringify(values.user)}`,
        'channel = "extended"',
        '[api.cgminer]',
        `port = ${cgminerPort}`,
        '[api.http]',
        `port = ${httpPort}`,
        '',
      ].join('\n'),
    );
    try {
      const args = parseRunArgs(['--config', file, ...(values['sim-fault'] ?? []).flatMap((f) => ['--sim-fault', f])]);
      return await runAgent(
        { ...args, ...(values['sim-record'] ? { simRecord: values['sim-record'] } : {}) },
        { hints: { cgminerPort: '--cgminer-port P', httpPort: '--http-port P' } },
      );
    } finally {
      await pool.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default command;
