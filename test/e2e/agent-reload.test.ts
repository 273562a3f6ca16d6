// SIGHUP with changed pools: the running agent moves its chains to the new pool without stopping them
// (no new bring-up, no safe state), and the shares it found are all accounted for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { Sv2Pool } from '../../workshop/lab/sv2-pool.js';
import { startAgentProcess, type LogRecord } from '../helpers/agent-process.js';
import { waitFor } from '../helpers/wait.js';

const num = (r: LogRecord | undefined, k: string): number => Number(r?.[k] ?? Number.NaN);

function config(poolName: string, url: string): string {
  return [
    'version = 1',
    '[board]',
    'config = "sim-bm1370"',
    '[log]',
    'status_interval_s = 1',
    '[api.cgminer]',
    'port = 0',
    '[api.http]',
    'port = 0',
    '[pools]',
    'drain = 3',
    '[[pool]]',
    `name = ${JSON.stringify(poolName)}`,
    `url = ${JSON.stringify(url)}`,
    'user = "e2e.worker"',
    '',
  ].join('\n');
}

test('SIGHUP with a new pool: the chains move to it without stopping, and every share is accounted for', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-reload-'));
  const a = new Sv2Pool({ port: 0, difficulty: 2e5 / 2 ** 32, prevHashIntervalSeconds: 0, ackFlushMs: 300 });
  const b = new Sv2Pool({ port: 0, difficulty: 2e5 / 2 ** 32, prevHashIntervalSeconds: 0, ackFlushMs: 300 });
  const { url: urlA } = await a.start();
  const { url: urlB } = await b.start();
  const cfg = join(dir, 'agent.toml');
  writeFileSync(cfg, config('pool-a', urlA));
  const agent = startAgentProcess(['run', '--config', cfg]);
  try {
    await agent.waitFor((r) => r.msg === 'status' && Number(r.accepted) > 2, 'shares accepted by pool A');
    const chainsUp = agent.records.filter((r) => r.msg === 'chain running').length;
    writeFileSync(cfg, config('pool-b', urlB));
    agent.child.kill('SIGHUP');
    await agent.waitFor((r) => r.msg === 'pool groups edited', 'the pools edited in place on the running manager');
    await waitFor(() => b.stats().accepted >= 3, 'pool B accepts shares');
    const last = await agent.waitFor((r) => r.msg === 'status' && r.pool === 'pool-b', 'status on pool B');
    // The chains were not brought up again and the board never stopped.
    assert.equal(agent.records.filter((r) => r.msg === 'chain running').length, chainsUp);
    assert.ok(!agent.records.some((r) => r.msg === 'safe-state'));
    // After pool A's drain ([pools] drain = 3 s, then stopped), a status with nothing in flight.
    const end = await agent.waitFor(
      (r) => r.msg === 'status' && (r.time as number) > (last.time as number) && num(r, 'in_flight') === 0,
      'a later status with no share in flight',
    );
    assert.equal(num(end, 'shares_found'), num(end, 'accepted') + num(end, 'rejected') + num(end, 'stale') + num(end, 'lost') + num(end, 'in_flight'));
    assert.equal(num(end, 'rejected'), 0);
    const { code } = await agent.stop('SIGTERM');
    assert.equal(code, 0);
  } finally {
    await agent.stop('SIGKILL');
    await a.stop();
    await b.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

function cgminer(hostPort: string, request: object): Promise<Record<string, unknown>> {
  const [host, port] = hostPort.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(Number(port), host, () => s.write(JSON.stringify(request)));
    s.on('data', (b) => chunks.push(b));
    s.on('end', () => {
      const b = Buffer.concat(chunks);
      resolve(JSON.parse(b.subarray(0, b.length - 1).toString('utf8')) as Record<string, unknown>);
    });
    s.on('error', reject);
  });
}

const statusOf = (r: Record<string, unknown>): { STATUS: string; Msg: string } =>
  (r.STATUS as { STATUS: string; Msg: string }[])[0] as { STATUS: string; Msg: string };

test('4028 write commands with the token: addpool, switchpool, removepool move the chains without stopping them', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-write-'));
  const a = new Sv2Pool({ port: 0, difficulty: 2e5 / 2 ** 32, prevHashIntervalSeconds: 0, ackFlushMs: 300 });
  const b = new Sv2Pool({ port: 0, difficulty: 2e5 / 2 ** 32, prevHashIntervalSeconds: 0, ackFlushMs: 300 });
  const { url: urlA } = await a.start();
  const { url: urlB } = await b.start();
  const token = 'e2e-write-token-0123456789';
  const cfg = join(dir, 'agent.toml');
  writeFileSync(
    cfg,
    config('pool-a', urlA).replace(
      '[api.cgminer]\nport = 0\n',
      `[api.cgminer]\nport = 0\n[api.cgminer.write]\nenabled = true\nallow = ["127.0.0.1", "::1"]\ntoken = "${token}"\n`,
    ),
  );
  const agent = startAgentProcess(['run', '--config', cfg]);
  try {
    const api = String((await agent.waitFor((r) => r.msg === 'api listening', 'api listening')).cgminer);
    await agent.waitFor((r) => r.msg === 'status' && Number(r.accepted) > 0, 'shares on pool A');
    // Without the token: refused (code 45, access denied).
    const denied = await cgminer(api, { command: 'addpool', parameter: `${urlB},e2e.worker,x` });
    assert.equal(statusOf(denied).STATUS, 'E');
    const added = await cgminer(api, { command: 'addpool', parameter: `${urlB},e2e.worker,x`, token });
    assert.equal(statusOf(added).STATUS, 'S', JSON.stringify(added));
    await agent.waitFor((r) => r.msg === 'pool groups edited', 'pools edited in place after addpool');
    // Saved to the config file (a restart runs with it), the rest of the file as it was.
    const savedAdd = readFileSync(cfg, 'utf8');
    assert.ok(savedAdd.includes(`url = ${JSON.stringify(urlB)}`), savedAdd);
    assert.ok(savedAdd.includes(`url = ${JSON.stringify(urlA)}`), savedAdd);
    const pools = (await cgminer(api, { command: 'pools' })).POOLS as { POOL: number; URL: string }[];
    const hostB = urlB.split('/')[2] as string;
    const bIndex = pools.find((p) => p.URL.includes(hostB))?.POOL;
    assert.ok(bIndex !== undefined, JSON.stringify(pools));
    const switched = await cgminer(api, { command: 'switchpool', parameter: String(bIndex), token });
    assert.equal(statusOf(switched).STATUS, 'S', JSON.stringify(switched));
    await waitFor(() => b.stats().accepted >= 3, 'pool B accepts shares');
    await agent.waitFor((r) => r.msg === 'status' && r.pool !== 'pool-a', 'status away from pool A');
    const poolsNow = (await cgminer(api, { command: 'pools' })).POOLS as { POOL: number; URL: string }[];
    const aIndex = poolsNow.find((p) => p.URL.includes(urlA.split('/')[2] as string))?.POOL;
    const removed = await cgminer(api, { command: 'removepool', parameter: String(aIndex), token });
    assert.equal(statusOf(removed).STATUS, 'S', JSON.stringify(removed));
    const after = (await cgminer(api, { command: 'pools' })).POOLS as { URL: string }[];
    const savedRemove = readFileSync(cfg, 'utf8');
    assert.ok(!savedRemove.includes(urlA), savedRemove);
    assert.ok(savedRemove.includes('[api.cgminer.write]\nenabled = true\n'), savedRemove);
    assert.ok(
      after.every((p) => !p.URL.includes(urlA.split('/')[2] as string)),
      JSON.stringify(after),
    );
    // The board never stopped and the chains were not brought up again.
    assert.ok(!agent.records.some((r) => r.msg === 'safe-state'));
    assert.equal(agent.records.filter((r) => r.msg === 'chain running').length, 2);
    const { code } = await agent.stop('SIGTERM');
    assert.equal(code, 0);
  } finally {
    await agent.stop('SIGKILL');
    await a.stop();
    await b.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
