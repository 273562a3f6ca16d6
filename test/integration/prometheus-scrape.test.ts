// A real Prometheus (Debian package) scrapes the HTTP API of a simulated running agent (real MiningStats
// and PoolManager, fed as chains and pools would feed them) every second; its query API then shows the
// series the issue lists, with values equal to what the simulation recorded and hashrates in range.
// Waits are generous and only turn a hang into a failure; nothing asserts on how long anything took.
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { resolveApiOptions } from '../../src/api/api-options.js';
import { HttpApiServer } from '../../src/api/http-server.js';
import { systemClock } from '../../src/clock.js';
import { SimAgent, SIM_CHIP_NOMINAL } from '../helpers/sim-agent.js';
import { startPrometheus, type PromSample, type PrometheusServer } from '../helpers/prometheus.js';
import { waitFor } from '../helpers/wait.js';
import { TOOLS, toolTest } from '../helpers/system-tool.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const one = (s: PromSample[]): number => {
  assert.equal(s.length, 1, JSON.stringify(s));
  return (s[0] as PromSample).value;
};

toolTest('Prometheus scrapes /metrics of a simulated agent and sees the expected series', [TOOLS.prometheus], { timeout: 240_000 }, async () => {
  const sim = new SimAgent(systemClock);
  sim.start(20);
  cleanups.push(() => sim.stop());
  const o = resolveApiOptions({ http: { port: 0 }, cgminer: { enabled: false } });
  const http = new HttpApiServer(o.http, { snapshot: sim.snapshot });
  cleanups.push(() => http.close());
  const { port } = await http.listen();

  const prom: PrometheusServer = await startPrometheus([`127.0.0.1:${port}`]);
  cleanups.push(() => prom.stop());

  await prom.waitFor('up{job="asic-agent"}', (s) => one(s) === 1, 'the target to be up');
  await prom.waitFor('asic_agent_hashrate_hashes_per_second{scope="board",window="1m"}', (s) => one(s) > 0, 'a measured board hashrate');
  // Let at least one share be rejected, then freeze the figures and wait for a scrape of the final ones.
  await waitFor(() => sim.recorded.rejected >= 1 && sim.recorded.hwErrors >= 1, 'a rejected share and a hardware error', 60_000);
  sim.pause();
  const final = { ...sim.recorded };
  await prom.waitFor('sum(asic_agent_valid_nonces_total)', (s) => one(s) === final.nonces, 'the final nonce count');

  // Hashrate: board, chain and chip series, in a sane range (positive, at most what the sim can feed).
  const nominal = 8 * SIM_CHIP_NOMINAL;
  const board = one(await prom.query('asic_agent_hashrate_hashes_per_second{scope="board",window="1m"}'));
  assert.ok(board > 0 && board <= 2 * nominal, `board hashrate ${board}`);
  assert.equal(one(await prom.query('asic_agent_hashrate_nominal_hashes_per_second{scope="board"}')), nominal);
  assert.equal((await prom.query('asic_agent_hashrate_hashes_per_second{scope="chain"}')).length, 2 * 5);
  assert.equal((await prom.query('asic_agent_hashrate_hashes_per_second{scope="chip"}')).length, 8 * 2);
  assert.equal(one(await prom.query('asic_agent_hashrate_hashes_per_second{scope="chip",chain="1",chip="2",window="1m"}')), 0);
  assert.ok(one(await prom.query('asic_agent_hashrate_hashes_per_second{scope="chip",chain="1",chip="1",window="1m"}')) > 0);
  assert.equal(one(await prom.query('asic_agent_chip_silent{chain="1",chip="2"}')), 1);
  assert.equal(one(await prom.query('asic_agent_chain_chips_alive{chain="1"}')), 3);

  // Counters equal to what was recorded.
  assert.equal(one(await prom.query('asic_agent_shares_total{pool="main",result="accepted"}')), final.accepted);
  assert.equal(one(await prom.query('asic_agent_shares_total{pool="main",result="rejected",reason="low difficulty"}')), final.rejected);
  assert.equal(one(await prom.query('asic_agent_hardware_errors_total{chain="0",chip="0"}')), final.hwErrors);
  assert.equal(one(await prom.query('sum(asic_agent_hardware_errors_total)')), final.hwErrors);
  assert.equal(one(await prom.query('sum(asic_agent_diff1_work_total)')), final.nonces * 256);

  // Pools, board readings, identity.
  assert.equal(one(await prom.query('asic_agent_pool_up{pool="main"}')), 1);
  assert.equal(one(await prom.query('asic_agent_pool_active{pool="main"}')), 1);
  assert.equal(one(await prom.query('asic_agent_pool_active{pool="backup"}')), 0);
  assert.equal(one(await prom.query('asic_agent_pool_info{pool="main",protocol="sv2",group="primary"}')), 1);
  assert.equal(one(await prom.query('asic_agent_temperature_celsius{sensor="board"}')), 41.5);
  assert.equal(one(await prom.query('asic_agent_fan_duty_ratio{fan="fan0"}')), 0.4);
  assert.equal(one(await prom.query('asic_agent_fan_rpm{fan="fan0"}')), 2900);
  assert.equal(one(await prom.query('asic_agent_power_watts{rail="vdd"}')), 101.6);
  assert.equal(one(await prom.query('asic_agent_board_state{state="running"}')), 1);
  assert.equal(one(await prom.query('asic_agent_info{firmware="asic-agent",model="sim-bm1366-2x4"}')), 1);
  // Prometheus parsed every family (a malformed line would have failed the whole scrape: up = 0).
  assert.ok(one(await prom.query('scrape_samples_scraped{job="asic-agent"}')) > 100);
});
