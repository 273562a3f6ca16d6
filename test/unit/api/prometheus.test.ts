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
