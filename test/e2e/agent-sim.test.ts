// End to end, the real agent process: a simulated board (2 chains × 4 BM1370 in their own processes
// behind pseudo-terminals, opened with the real serialport binding) mining to the lab Stratum V2 pool
// over TCP with Noise. Shares accepted, none rejected, no hardware errors, measured work within
// ±15 % of what the simulators report they hashed (whatever the machine's load), a new prev hash reaching every chain, and
// SIGTERM ending in the safe state with exit code 0. Then the same with injected faults.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sv2Pool } from '../../workshop/lab/sv2-pool.js';
import { startAgentProcess, ROOT, type LogRecord } from '../helpers/agent-process.js';
import { waitFor } from '../helpers/wait.js';

const num = (r: LogRecord | undefined, k: string): number => Number(r?.[k] ?? Number.NaN);

/** A copy of sim-bm1370 with the chain simulators tuned for the test, and an agent config using it. */
function writeConfigs(dir: string, poolUrl: string, sim: { hashrate: number; noncesPerS: number; faults?: string }): string {
  let board = readFileSync(join(ROOT, 'board-configs', 'sim-bm1370.toml'), 'utf8');
  board = board
    .replace(/^chain_hashrate_hs = .*$/m, `chain_hashrate_hs = ${sim.hashrate}`)
    .replace(/^chain_nonces_per_s = .*$/m, `chain_nonces_per_s = ${sim.noncesPerS}`);
  if (sim.faults) board = board.replace(/^# chain_faults = .*$/m, `chain_faults = ${JSON.stringify(sim.faults)}`);
  writeFileSync(join(dir, 'board.toml'), board);
  const cfg = join(dir, 'agent.toml');
  writeFileSync(
    cfg,
    [
      'version = 1',
      '[board]',
      'config = "board.toml"',
      '[log]',
      'status_interval_s = 2',
      '[api.cgminer]',
      'port = 0',
      '[api.http]',
      'port = 0',
      '[[pool]]',
      'name = "lab"',
      `url = ${JSON.stringify(poolUrl)}`,
      'user = "e2e.worker"',
      '',
    ].join('\n'),
  );
  return cfg;
}

test('agent on a simulated board mines to the lab SV2 pool: accepted shares, exact hashrate, new blocks reach every chain, SIGTERM is safe', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-'));
  // 2 chains × 100 kH/s; one share every ~1 s at this difficulty.
  const hashrate = 100_000;
  const pool = new Sv2Pool({ port: 0, difficulty: (2 * hashrate) / 2 ** 32, prevHashIntervalSeconds: 0, ackFlushMs: 500 });
  const { url } = await pool.start();
  const agent = startAgentProcess(['run', '--config', writeConfigs(dir, url, { hashrate, noncesPerS: 40 })]);
  try {
    await agent.waitFor((r) => r.msg === 'hashing', 'hashing');
    // 4 BM1370 at 525 MHz per chain (4.28 TH/s nominal) stay under the default 1,000 nonces/s at the
    // register's floor, difficulty 1 (docs/bm13xx.md "Ticket difficulty").
    const ticket = await agent.waitFor((r) => r.msg === 'ticket difficulty', 'the ticket choice logged');
    assert.deepEqual([ticket.difficulty, ticket.source, ticket.limitedBy], [1, 'max_nonces_per_s', 'floor']);
    // The measurement window opens at the first status record after a share was accepted (the chains
    // are up and the work flows) and closes once enough nonces were counted for a precise figure.
    // The simulators' count (sim_hashes) reaches a status record one status interval late: a window that
    // opened before the first count arrived (0) would credit the simulators with less than they did.
    const first = await agent.waitFor(
      (r) => r.msg === 'status' && num(r, 'accepted') >= 1 && num(r, 'sim_hashes') > 0,
      "a status record after the first accepted share, with the simulators' first count",
    );
    // A new block: the pool sends a new prev hash; every chain must get fresh work at once.
    const before = agent.records.length;
    pool.core.newRound();
    const switched = await agent.waitFor(
      (r) => agent.records.indexOf(r) >= before && r.msg === 'new work' && r.clean === true,
      'new work after a new prev hash',
    );
    assert.equal(switched.chains, 2, 'both chains got work for the new block');
    // 600 nonces: the measured work is then within a few per cent of the work done (Poisson, 1/sqrt(600)).
    const last = await agent.waitFor(
      (r) => r.msg === 'status' && num(r, 'valid_nonces') - num(first, 'valid_nonces') >= 600 && num(r, 'accepted') > 3,
      '600 more valid nonces and 4 accepted shares',
    );
    assert.equal(num(last, 'rejected'), 0);
    assert.equal(num(last, 'hw_errors'), 0);
    assert.equal(num(last, 'stale') + num(last, 'lost'), 0);
    // Measured = hashes done (diff-1 work × 2^32) over the window, against the hashes the simulators
    // report they really did over it (on a loaded machine less than their configured rate).
    const seconds = ((last.time as number) - (first.time as number)) / 1000;
    const measured = (num(last, 'diff1_work') - num(first, 'diff1_work')) * 2 ** 32;
    const done = num(last, 'sim_hashes') - num(first, 'sim_hashes');
    assert.ok(done > 0, 'the simulators report their work');
    assert.ok(
      Math.abs(measured - done) / done <= 0.15,
      `measured ${Math.round(measured / seconds)} H/s vs ${Math.round(done / seconds)} H/s the simulators did over ${seconds} s`,
    );
    const nominal = num(last, 'nominal_hs');
    assert.equal(nominal, 2 * hashrate);
    assert.ok(measured / seconds <= 1.15 * nominal, 'never more than the simulators can do');
    // The pool saw what the agent counted, and no share was refused.
    const ps = pool.stats();
    assert.ok(ps.accepted >= num(last, 'accepted'));
    assert.equal(
      Object.values(ps.rejected).reduce((a, b) => a + b, 0),
      0,
    );
    // Every share is accounted for.
    assert.equal(num(last, 'shares_found'), num(last, 'accepted') + num(last, 'rejected') + num(last, 'stale') + num(last, 'lost') + num(last, 'in_flight'));
    const api = agent.records.find((r) => r.msg === 'api listening');
    assert.match(String(api?.cgminer), /^127\.0\.0\.1:\d+$/);
    assert.match(String(api?.http), /^127\.0\.0\.1:\d+$/);
    const { code } = await agent.stop('SIGTERM');
    assert.equal(code, 0);
    const safe = agent.records.find((r) => r.msg === 'safe-state');
    assert.equal(safe?.reason, 'sigterm');
    assert.equal(safe?.complete, true);
  } finally {
    await agent.stop('SIGKILL');
    await pool.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with 1 % corrupted UART frames, a dead chip and a pool disconnect the agent recovers and accounts for every share', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-faults-'));
  const hashrate = 100_000;
  const pool = new Sv2Pool({ port: 0, difficulty: (2 * hashrate) / 2 ** 32, prevHashIntervalSeconds: 0, ackFlushMs: 500 });
  const { url } = await pool.start();
  // Chip 1 of each chain dies 6 s after its simulator started.
  const agent = startAgentProcess(['run', '--config', writeConfigs(dir, url, { hashrate, noncesPerS: 40, faults: 'corrupt=0.01,die=1@6000' })]);
  try {
    await agent.waitFor((r) => r.msg === 'hashing', 'hashing');
    await agent.waitFor((r) => r.msg === 'status' && num(r, 'accepted') >= 1, 'a first accepted share');
    const acceptedAtDrop = pool.stats().accepted;
    pool.dropConnections('e2e: pool restarts');
    // The agent reconnects, and the pool accepts shares again.
    await waitFor(() => pool.stats().accepted > acceptedAtDrop, 'shares accepted after the reconnect');
    await agent.waitFor((r) => r.msg === 'chip silent', 'the dead chip reported');
    // A status where every chain runs and chip 1 is reported silent (a chain may be re-initialised on the way).
    const last = await agent.waitFor((r) => {
      if (r.msg !== 'status') return false;
      const chains = r.chains as { state: string; silent: number[] }[];
      return chains.every((c) => c.state === 'running') && chains.some((c) => c.silent.includes(1));
    }, 'every chain running with chip 1 silent');
    // Every share found is accepted, rejected, stale (with its reason), lost (with its reason) or in flight.
    assert.equal(num(last, 'shares_found'), num(last, 'accepted') + num(last, 'rejected') + num(last, 'stale') + num(last, 'lost') + num(last, 'in_flight'));
    assert.ok(num(last, 'accepted') > 0);
    const { code } = await agent.stop('SIGTERM');
    assert.equal(code, 0);
    assert.ok(agent.records.some((r) => r.msg === 'safe-state'));
  } finally {
    await agent.stop('SIGKILL');
    await pool.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a pool asking for shares below the chips' ticket is named in a warning: the chips never return the shares in between", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-ticket-'));
  // The simulated chips report only hashes of difficulty 16 (as a register ticket of 16 would); the pool
  // takes shares of difficulty 0.001.
  const pool = new Sv2Pool({ port: 0, difficulty: 0.001, prevHashIntervalSeconds: 0, ackFlushMs: 500 });
  const { url } = await pool.start();
  const cfg = writeConfigs(dir, url, { hashrate: 10_000, noncesPerS: 1 });
  const boardFile = join(dir, 'board.toml');
  writeFileSync(boardFile, readFileSync(boardFile, 'utf8').replace(/^# sim_ticket_difficulty = .*$/m, 'sim_ticket_difficulty = 16'));
  const agent = startAgentProcess(['run', '--config', cfg]);
  try {
    const w = await agent.waitFor(
      (r) => r.msg === "pool share difficulty below the chips' ticket: the shares in between are lost" && (r.chains as number[]).length === 2,
      'the warning naming both chains',
    );
    assert.deepEqual(w.tickets, [16, 16]);
    assert.ok(Math.abs(num(w, 'shareDifficulty') - 0.001) < 1e-9, `share difficulty ${w.shareDifficulty}`);
    assert.equal(w.pool, 'lab');
  } finally {
    await agent.stop('SIGKILL');
    await pool.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
