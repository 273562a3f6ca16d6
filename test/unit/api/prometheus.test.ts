// The /metrics text: exposition format 0.0.4 (HELP/TYPE once per family, escaped label values, no NaN),
// the series the issue lists with the snapshot's values, and a lint by promtool (Debian `prometheus`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { MetricsWriter, escapeLabelValue, renderMetrics } from '../../../src/api/prometheus.js';
import type { AgentSnapshot } from '../../../src/api/snapshot.js';
import { sampleSnapshot } from '../../helpers/api-snapshot.js';
import { TOOLS, toolTest } from '../../helpers/system-tool.js';

/** name{labels} → value, from the text. */
function series(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

test('every family has one HELP and one TYPE line before its samples, and samples are contiguous', () => {
  const text = renderMetrics(sampleSnapshot(), { http: { requests: 3, errors: 1 } });
  assert.ok(text.endsWith('\n'));
  const seen = new Set<string>();
  let current = '';
  for (const line of text.trimEnd().split('\n')) {
    const help = /^# HELP (\S+) /.exec(line);
    if (help) {
      assert.ok(!seen.has(help[1] as string), `one HELP for ${help[1]}`);
      seen.add(help[1] as string);
      current = help[1] as string;
      continue;
    }
    const type = /^# TYPE (\S+) (gauge|counter)$/.exec(line);
    if (type) {
      assert.equal(type[1], current);
      continue;
    }
    assert.match(line, /^[a-z][a-z0-9_]*(\{[^}]*\})? -?[0-9.e+]+$/, line);
    assert.ok(line.startsWith(current), `${line} under ${current}`);
    if (line.split(' ')[0]?.split('{')[0]?.endsWith('_total')) assert.ok(text.includes(`# TYPE ${current} counter`));
  }
  assert.ok(!/NaN|Inf/.test(text));
});

test('the series of the issue, with the snapshot values', () => {
  const m = series(renderMetrics(sampleSnapshot()));
  const want: [string, number][] = [
    ['asic_agent_hashrate_hashes_per_second{scope="board",window="1m"}', 3.5e12],
    ['asic_agent_hashrate_hashes_per_second{scope="chain",chain="1",window="5s"}', 1.5e12 * 1.01],
    ['asic_agent_hashrate_hashes_per_second{scope="chip",chain="1",chip="2",window="1m"}', 0],
    ['asic_agent_hashrate_hashes_per_second{scope="chip",chain="0",chip="3",window="15m"}', 500e9 * 0.98],
    ['asic_agent_shares_total{pool="main",result="accepted"}', 115],
    ['asic_agent_shares_total{pool="main",result="rejected",reason="low difficulty"}', 2],
    ['asic_agent_shares_total{pool="main",result="stale",reason="job not found"}', 2],
    ['asic_agent_shares_total{pool="backup",result="lost",reason="lost-to-switch"}', 1],
    ['asic_agent_hardware_errors_total{chain="0",chip="0"}', 2],
    ['asic_agent_hardware_errors_total{chain="1",chip="3"}', 0],
    ['asic_agent_chip_silent{chain="1",chip="2"}', 1],
    ['asic_agent_temperature_celsius{sensor="board",kind="board"}', 44.25],
    ['asic_agent_fan_duty_ratio{fan="fan0"}', 0.45],
    ['asic_agent_fan_rpm{fan="fan0"}', 3120],
    ['asic_agent_power_volts{rail="vdd"}', 12.05],
    ['asic_agent_power_amperes{rail="vdd"}', 10.2],
    ['asic_agent_power_watts{rail="vdd"}', 122.9],
    ['asic_agent_power_faults{rail="vdd"}', 0],
    ['asic_agent_pool_switches_total{pool="main",reason="disconnected"}', 1],
    ['asic_agent_pool_switches_total{pool="backup",reason="failback"}', 1],
    ['asic_agent_censorship_alarms_total{pool="main"}', 1],
    ['asic_agent_chain_chips_alive{chain="1",family="BM1366"}', 3],
    ['asic_agent_chain_frequency_hertz{chain="0"}', 485e6],
    ['asic_agent_pool_up{pool="backup"}', 0],
    ['asic_agent_pool_active{pool="main"}', 1],
    ['asic_agent_board_state{state="running"}', 1],
    ['asic_agent_alarms_active{kind="censorship",severity="warning"}', 1],
  ];
  for (const [k, v] of want) assert.equal(m.get(k), v, k);
  // fan1 has no tachometer: no rpm series rather than a made-up 0.
  assert.equal(m.has('asic_agent_fan_rpm{fan="fan1"}'), false);
  // The cleared thermal alarm is not active: its series is there, at 0, like every kind's.
  assert.equal(m.get('asic_agent_alarms_active{kind="thermal",severity="critical"}'), 0);
});

test('shares the adapter gave no reason for are counted under reason="unknown"; repeats are summed', () => {
  const s = sampleSnapshot();
  const p = s.pools[0] as AgentSnapshot['pools'][number];
  p.shares.rejected = 5; // 3 with reasons
  p.shares.reasons.push({ result: 'rejected', reason: '', count: 1 });
  const m = series(renderMetrics(s));
  assert.equal(m.get('asic_agent_shares_total{pool="main",result="rejected",reason="unknown"}'), 2);
});

test('label values and HELP are escaped; non-finite values are left out', () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  const w = new MetricsWriter();
  w.sample('x_total', 'counter', 'help with \\ and\nnewline', { pool: 'we"ird\\name\n' }, 1);
  w.sample('x_total', 'counter', '', { pool: 'ok' }, Number.NaN);
  w.sample('y', 'gauge', 'only NaN', {}, Number.POSITIVE_INFINITY);
  assert.equal(w.text(), '# HELP x_total help with \\\\ and\\nnewline\n# TYPE x_total counter\nx_total{pool="we\\"ird\\\\name\\n"} 1\n');
  const s = sampleSnapshot();
  s.temperatures.push({ name: 'broken', celsius: Number.NaN });
  s.hashrate.rate5s = Number.POSITIVE_INFINITY;
  const text = renderMetrics(s);
  assert.ok(!text.includes('sensor="broken"'));
  assert.ok(!text.includes('window="5s"} Infinity'));
});

toolTest('promtool accepts the exposition (Debian package prometheus)', [TOOLS.promtool], {}, (t) => {
  const s = sampleSnapshot();
  s.pools[1]!.id = 'we"ird\\pool\nid';
  const text = renderMetrics(s, { http: { requests: 1, errors: 0 } });
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) assert.fail(`promtool not runnable (.ci/run installs the Debian package prometheus): ${r.error.message}`);
  t.diagnostic(r.stdout + r.stderr);
  // promtool exits 0 when the text parses; lint remarks (exit 3) would show in stdout.
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('a fresh agent: every counter label set exists at 0 from the first scrape (rate() needs it)', () => {
  const s = sampleSnapshot();
  for (const p of s.pools) {
    p.shares = { accepted: 0, rejected: 0, stale: 0, lost: 0, acceptedDifficulty: 0, rejectedDifficulty: 0, staleDifficulty: 0, reasons: [] };
    p.switchesAway = {};
  }
  s.alarms = [];
  const m = series(
    renderMetrics(s, {
      cgminer: { connections: 0, requests: 0, invalid: 0, denied: 0, writes: 0, failures: 0, overLimit: 0, notAllowed: 0, timeouts: 0, tooLarge: 0 },
    }),
  );
  for (const pool of ['main', 'backup']) {
    assert.equal(m.get(`asic_agent_shares_total{pool="${pool}",result="accepted"}`), 0);
    for (const result of ['rejected', 'stale', 'lost'])
      assert.equal(m.get(`asic_agent_shares_total{pool="${pool}",result="${result}",reason="unknown"}`), 0, `${pool} ${result}`);
    for (const result of ['accepted', 'rejected', 'stale']) assert.equal(m.get(`asic_agent_share_difficulty_total{pool="${pool}",result="${result}"}`), 0);
    for (const reason of ['disconnected', 'connect-failed', 'no-job', 'reject-run', 'failback', 'quota'])
      assert.equal(m.get(`asic_agent_pool_switches_total{pool="${pool}",reason="${reason}"}`), 0);
    assert.equal(m.get(`asic_agent_pool_failures_total{pool="${pool}"}`) !== undefined, true);
  }
  for (const reason of ['invalid', 'access-denied', 'too-many-connections', 'address-not-allowed', 'timeout', 'too-large'])
    assert.equal(m.get(`asic_agent_api_cgminer_refused_total{reason="${reason}"}`), 0);
  for (const kind of ['thermal', 'fan', 'power', 'chain', 'pool', 'censorship', 'other'])
    assert.equal(m.get(`asic_agent_alarms_active{kind="${kind}",severity="critical"}`), 0);
  assert.equal(m.get('asic_agent_blocks_found_total'), s.shares.blocksFound);
});

test('start time, power, efficiency in J/TH, chain identity from the board-config, board temperatures', () => {
  const s = sampleSnapshot();
  s.chains[0]!.name = 'left';
  s.chains[0]!.boardTemperature = 48.5;
  const m = series(renderMetrics(s));
  assert.equal(m.get('asic_agent_start_time_seconds'), s.now - s.uptimeSeconds);
  assert.equal(m.get('asic_agent_board_power_watts'), 122.9);
  // 122.9 W at 3.5 TH/s (1 m window).
  assert.ok(Math.abs((m.get('asic_agent_efficiency_joules_per_terahash') ?? 0) - 122.9 / 3.5) < 1e-9);
  assert.equal(m.get('asic_agent_chain_info{chain="0",name="left",family="BM1366",device="/dev/ttyS1"}'), 1);
  assert.equal(m.get('asic_agent_chain_info{chain="1",name="chain1",family="BM1366",device="/dev/ttyS2"}'), 1);
  assert.equal(m.get('asic_agent_chain_board_temperature_celsius{chain="0"}'), 48.5);
  assert.equal(m.get('asic_agent_temperature_celsius{sensor="chain0-chip",kind="chip",chain="0"}'), 61.5);
  assert.equal(m.get('asic_agent_chain_valid_nonces_total{chain="1"}'), 3000);
  // Not hashing: no efficiency rather than Infinity.
  s.hashrate.rate1m = 0;
  assert.equal(series(renderMetrics(s)).has('asic_agent_efficiency_joules_per_terahash'), false);
});

test('per-chip series can be switched off; the chain totals stay', () => {
  const s = sampleSnapshot();
  const on = renderMetrics(s);
  const off = renderMetrics(s, {}, { perChip: false });
  assert.ok(on.includes('chip="3"'));
  assert.ok(!off.includes('chip='), 'no chip label at all');
  assert.ok(off.length < on.length);
  const m = series(off);
  assert.equal(m.get('asic_agent_chain_hardware_errors_total{chain="0"}'), 2);
  assert.ok(m.has('asic_agent_hashrate_hashes_per_second{scope="chain",chain="1",window="1m"}'));
});

test('process metrics: CPU, resident memory, heap, open descriptors, event-loop lag', async () => {
  const { ProcessMetrics } = await import('../../../src/api/process-metrics.js');
  const pm = new ProcessMetrics(10);
  // Let the event-loop monitor take a few samples.
  await new Promise<void>((resolve) => {
    let n = 0;
    const tick = (): void => {
      if (++n >= 5) resolve();
      else setTimeout(tick, 15);
    };
    tick();
  });
  const m = series(renderMetrics(sampleSnapshot(), {}, { process: pm.read() }));
  pm.close();
  assert.ok((m.get('process_cpu_seconds_total') ?? 0) > 0);
  assert.ok((m.get('process_resident_memory_bytes') ?? 0) > 10e6);
  assert.ok((m.get('process_start_time_seconds') ?? 0) > 1.6e9);
  assert.ok((m.get('nodejs_heap_size_used_bytes') ?? 0) > 0);
  if (process.platform === 'linux') assert.ok((m.get('process_open_fds') ?? 0) > 2);
  assert.ok((m.get('nodejs_eventloop_lag_seconds') ?? -1) >= 0);
  assert.ok((m.get('nodejs_eventloop_lag_p99_seconds') ?? -1) >= (m.get('nodejs_eventloop_lag_seconds') ?? 0) * 0.5);
});

toolTest('promtool accepts the whole exposition, process metrics included', [TOOLS.promtool], {}, (t) => {
  const text = renderMetrics(
    sampleSnapshot(),
    { http: { requests: 1, errors: 0 } },
    {
      process: {
        cpuUserSeconds: 1.5,
        cpuSystemSeconds: 0.5,
        residentBytes: 8e7,
        heapUsedBytes: 2e7,
        heapTotalBytes: 3e7,
        startTimeSeconds: 1.7e9,
        openFds: 20,
        lag: { mean: 0.011, p99: 0.02, max: 0.03 },
      },
    },
  );
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) assert.fail(`promtool not runnable: ${r.error.message}`);
  t.diagnostic(r.stdout + r.stderr);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal((r.stdout + r.stderr).trim(), '', 'no lint remark');
});
