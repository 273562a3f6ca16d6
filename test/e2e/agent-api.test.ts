// The running agent's local APIs, end to end: the real agent process (simulated board, lab SV2 pool)
// serving cgminer 4028-style and HTTP on ephemeral ports; a real Prometheus server scrapes its /metrics;
// `asic-agent status` reads it over HTTP; the cgminer API answers summary+pools with the JSON-NUL-close
// wire format and identifies the firmware honestly.
import assert from 'node:assert/strict';

import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sv2Pool } from '../../workshop/lab/sv2-pool.js';
import { BIN, ROOT, startAgentProcess } from '../helpers/agent-process.js';
import { startPrometheus, type PromSample } from '../helpers/prometheus.js';
import { TOOLS, toolTest } from '../helpers/system-tool.js';

const one = (s: PromSample[]): number => {
  assert.equal(s.length, 1, JSON.stringify(s));
  return (s[0] as PromSample).value;
};

function cgminer(hostPort: string, request: string): Promise<Buffer> {
  const [host, port] = hostPort.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(Number(port), host, () => s.write(request));
    s.on('data', (b) => chunks.push(b));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

toolTest('a real Prometheus scrapes the running agent; status and the cgminer API read it', [TOOLS.prometheus], { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-api-'));
  const pool = new Sv2Pool({ port: 0, difficulty: 2e5 / 2 ** 32, prevHashIntervalSeconds: 0, ackFlushMs: 300 });
  const { url } = await pool.start();
  const cfg = join(dir, 'agent.toml');
  writeFileSync(
    cfg,
    [
      'version = 1',
      '[board]',
      'config = "sim-bm1370"',
      '[log]',
      'status_interval_s = 2',
      '[api.cgminer]',
      'port = 0',
      '[api.http]',
      'port = 0',
      '[[pool]]',
      'name = "lab"',
      `url = ${JSON.stringify(url)}`,
      'user = "e2e.worker"',
      '',
    ].join('\n'),
  );
  const agent = startAgentProcess(['run', '--config', cfg]);
  let prom: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  try {
    const listening = await agent.waitFor((r) => r.msg === 'api listening', 'api listening');
    const http = String(listening.http);
    await agent.waitFor((r) => r.msg === 'status' && Number(r.accepted) > 0, 'an accepted share');
    prom = await startPrometheus([http]);
    await prom.waitFor('up{job="asic-agent"}', (s) => one(s) === 1, 'the agent scraped');
    await prom.waitFor('asic_agent_hashrate_hashes_per_second{scope="board",window="1m"}', (s) => one(s) > 0, 'a measured hashrate');
    const board = one(await prom.query('asic_agent_hashrate_hashes_per_second{scope="board",window="1m"}'));
    // A sane value: positive and never above what the two simulators can hash (accuracy: agent-sim.test.ts).
    assert.ok(board > 0 && board < 2 * 4e5, `board hashrate ${board}`);
    assert.equal(one(await prom.query('asic_agent_hashrate_nominal_hashes_per_second{scope="board"}')), 4e5);
    assert.equal((await prom.query('asic_agent_hashrate_hashes_per_second{scope="chip",window="1m"}')).length, 8);
    assert.equal(one(await prom.query('sum(asic_agent_chain_chips_alive)')), 8);
    assert.ok(one(await prom.query('asic_agent_shares_total{pool="lab",result="accepted"}')) > 0);
    // Rejected and stale exist at 0 from the first scrape, so rate() and alerts have a series to work on.
    assert.equal(one(await prom.query('asic_agent_shares_total{pool="lab",result="rejected",reason="unknown"}')), 0);
    assert.equal(one(await prom.query('asic_agent_shares_total{pool="lab",result="stale",reason="unknown"}')), 0);
    await prom.waitFor('rate(asic_agent_shares_total{pool="lab",result="rejected"}[1m])', (x) => one(x) === 0, 'a rate of rejected shares, 0');
    assert.ok(Math.abs(one(await prom.query('asic_agent_start_time_seconds')) - Date.now() / 1000) < 3600);
    assert.ok(one(await prom.query('process_resident_memory_bytes')) > 10e6);
    assert.ok(one(await prom.query('nodejs_eventloop_lag_seconds')) >= 0);
    assert.ok(one(await prom.query('asic_agent_efficiency_joules_per_terahash')) > 0);
    assert.equal((await prom.query('asic_agent_chain_info')).length, 2);
    assert.equal(one(await prom.query('sum(asic_agent_hardware_errors_total)')), 0);
    const temps = await prom.query('asic_agent_temperature_celsius');
    assert.ok(temps.length >= 2 && temps.every((t) => t.value > 0 && t.value < 100), JSON.stringify(temps));
    assert.ok((await prom.query('asic_agent_fan_duty_ratio')).length >= 1);

    // `asic-agent status` over the HTTP API.
    const st = spawnSync(process.execPath, [BIN, 'status', '--json', '--url', `http://${http}`], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ASIC_AGENT_FROM_SOURCE: '1' },
    });
    assert.equal(st.status, 0, st.stderr);
    const status = JSON.parse(st.stdout) as { firmware: { name: string }; pools: { id: string; active: boolean }[]; chains: unknown[] };
    assert.equal(status.firmware.name, 'asic-agent');
    assert.ok(status.pools.some((p) => p.id === 'lab' && p.active));
    assert.equal(status.chains.length, 2);

    // The cgminer API: JSON, a NUL, then the server closes; the firmware says what it is.
    const reply = await cgminer(String(listening.cgminer), '{"command":"version+summary+pools"}');
    assert.equal(reply[reply.length - 1], 0);
    const body = JSON.parse(reply.subarray(0, reply.length - 1).toString('utf8')) as Record<string, [Record<string, unknown[]>]>;
    assert.match(JSON.stringify(body.version?.[0].VERSION), /asic-agent/);
    assert.ok(!/password/i.test(reply.toString('utf8')));
    const pools = body.pools?.[0].POOLS as { URL: string; Accepted: number }[];
    assert.ok(pools.some((p) => p.URL.startsWith('stratum2+tcp://') && p.Accepted > 0));
    const { code } = await agent.stop('SIGTERM');
    assert.equal(code, 0);
  } finally {
    await prom?.stop();
    await agent.stop('SIGKILL');
    await pool.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
