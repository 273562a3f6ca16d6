// Issue 14 defect 3 and issue 21 D4, end to end: the real agent on a simulated board (2 chains × 4
// BM1370) while its pools fail.
//  - The first pool never answers and the fallback is not up yet: the chains have no work, and chain
//    health must not take that for dead chains (no "chain silent" re-initialisation).
//  - Every pool gone: the chains go idle (chips held in reset: no more nonces), the status says there is
//    no pool; when the pool is back they resume at once and shares are accepted again.
// The test follows the agent's own records (status records every 2 s are events the agent emits).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { Sv2Pool } from '../../workshop/lab/sv2-pool.js';
import { startAgentProcess, statusRecords, type AgentProcess, type LogRecord } from '../helpers/agent-process.js';
import { writeSimAgentConfig } from '../helpers/sim-agent-config.js';

const num = (r: LogRecord | undefined, k: string): number => Number(r?.[k] ?? Number.NaN);

/** A TCP server that accepts connections and never says a word (a pool that hangs). */
async function silentServer(): Promise<{ server: Server; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => undefined);
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    close: async () => {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Resolves once the agent has emitted `n` status records after the `from`-th record. */
function statusAfter(agent: AgentProcess, from: number, n: number, what: string): Promise<LogRecord> {
  let seen = 0;
  return agent.waitFor((r) => r.msg === 'status' && agent.records.indexOf(r) >= from && ++seen >= n, what, 120_000);
}

test('no work: no chain is re-initialised while the pools fail; with no pool the chains idle; they resume when the pool is back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-nowork-'));
  const hashrate = 50_000;
  const hung = await silentServer();
  const hungPort = (hung.server.address() as { port: number }).port;
  // The fallback's port is known (and its authority key fixed) before the pool exists.
  const port = await freePort();
  const authoritySecret = secp256k1.utils.randomSecretKey();
  const makePool = (): Sv2Pool => new Sv2Pool({ port, authoritySecret, difficulty: (2 * hashrate) / 2 ** 32, prevHashIntervalSeconds: 0, ackFlushMs: 300 });
  let pool = makePool();
  const url = pool.url.replace(':0/', `:${port}/`);
  const cfg = writeSimAgentConfig(
    dir,
    [
      { name: 'hung', url: `stratum2+tcp://127.0.0.1:${hungPort}`, extra: ['allow_unauthenticated = true'] },
      { name: 'lab', url },
    ],
    { hashrate, noncesPerS: 40 },
    ['[pools]', 'standby = 0', 'idle_after = 2'],
  );
  const agent = startAgentProcess(['run', '--config', cfg]);
  try {
    const hashing = await agent.waitFor((r) => r.msg === 'hashing', 'hashing');
    // Several health windows (5 s, checked every 5 s) with no work at all: the first pool hangs until
    // its handshake times out, and the fallback is not listening yet.
    const quiet = await statusAfter(agent, agent.records.indexOf(hashing), 8, '8 status records without work');
    assert.equal(agent.records.filter((r) => r.msg === 'chain silent: re-initialising').length, 0, 'no chain re-initialised for lack of work');
    assert.equal(quiet.pool, null, 'no pool named while nothing is mined');
    for (const c of quiet.chains as { state: string }[]) assert.equal(c.state, 'running');

    // The fallback comes up: mining.
    await pool.start();
    await agent.waitFor((r) => r.msg === 'status' && num(r, 'accepted') > 0 && r.pool === 'lab', 'accepted shares on the fallback', 120_000);
    const mining = statusRecords(agent).at(-1) as LogRecord;
    assert.equal(mining.mode, 'pool');

    // Every pool gone: the chains idle.
    const beforeDrop = agent.records.length;
    await pool.stop();
    await agent.waitFor((r) => agent.records.indexOf(r) >= beforeDrop && r.msg === 'chains idle: no work, chips held in reset', 'the chains parked');
    const parkedAt = agent.records.length;
    const idle1 = await statusAfter(agent, parkedAt, 2, 'a status record after parking');
    const idle2 = await statusAfter(agent, agent.records.indexOf(idle1) + 1, 2, 'two more status records');
    assert.equal(num(idle2, 'valid_nonces'), num(idle1, 'valid_nonces'), 'no nonces while idle: the chips are held in reset');
    assert.equal(idle2.pool, null);
    assert.equal(idle2.mode, null);
    for (const c of idle2.chains as { state: string }[]) assert.equal(c.state, 'idle');
    assert.equal(num(idle2, 'blocks'), 0);
    assert.equal(agent.records.filter((r) => r.msg === 'chain silent: re-initialising').length, 0);

    // The pool is back: the chains resume at once and shares are accepted again.
    pool = makePool();
    await pool.start();
    const acceptedBefore = num(idle2, 'accepted');
    const back = await agent.waitFor(
      (r) => r.msg === 'status' && agent.records.indexOf(r) > agent.records.indexOf(idle2) && num(r, 'accepted') > acceptedBefore,
      'accepted shares after the pool came back',
      120_000,
    );
    assert.equal(back.pool, 'lab');
    await agent.waitFor(
      (r) =>
        r.msg === 'status' && agent.records.indexOf(r) >= agent.records.indexOf(back) && (r.chains as { state: string }[]).every((c) => c.state === 'running'),
      'chains running again',
    );
    // Every share is accounted for.
    const last = statusRecords(agent).at(-1) as LogRecord;
    assert.equal(num(last, 'shares_found'), num(last, 'accepted') + num(last, 'rejected') + num(last, 'stale') + num(last, 'lost') + num(last, 'in_flight'));
    assert.equal(num(last, 'rejected'), 0);
    const { code } = await agent.stop('SIGTERM');
    assert.equal(code, 0);
  } finally {
    await agent.stop('SIGKILL');
    await pool.stop();
    await hung.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
