// contrib/grafana/asic-agent.json: every query names only metrics the agent exports (the families of a
// /metrics text with every part present: board, chains, chips, pools, sensors, API counters, process),
// every panel has a query, and (with promtool, Debian package prometheus) every query is valid PromQL.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderMetrics } from '../../../src/api/prometheus.js';
import { ROOT } from '../../helpers/agent-process.js';
import { sampleSnapshot } from '../../helpers/api-snapshot.js';
import { TOOLS, toolTest } from '../../helpers/system-tool.js';

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync(join(ROOT, 'contrib/grafana/asic-agent.json'), 'utf8')) as {
  panels: Panel[];
  templating: { list: { query: { query: string } }[] };
};

function allPanels(ps: Panel[]): Panel[] {
  return ps.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}
const panels = allPanels(dashboard.panels).filter((p) => p.type !== 'row');
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
/** Grafana's own `label_values(metric, label)` in the variables (not PromQL). */
const variableMetrics = dashboard.templating.list.map((v) => /^label_values\((\w+),\s*\w+\)$/.exec(v.query.query)?.[1] ?? `unparsed: ${v.query.query}`);

/** Families the agent exports, from a /metrics text where every kind of series is present. */
function exported(): Set<string> {
  const s = sampleSnapshot();
  s.chains[0]!.boardTemperature = 45;
  const text = renderMetrics(
    s,
    {
      cgminer: { connections: 1, requests: 1, invalid: 0, denied: 0, writes: 0, failures: 0, overLimit: 0, notAllowed: 0, timeouts: 0, tooLarge: 0 },
      http: { requests: 1, errors: 0 },
    },
    {
      process: {
        cpuUserSeconds: 1,
        cpuSystemSeconds: 1,
        residentBytes: 1,
        heapUsedBytes: 1,
        heapTotalBytes: 1,
        startTimeSeconds: 1,
        openFds: 1,
        lag: { mean: 0, p99: 0, max: 0 },
      },
    },
  );
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string));
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords, labels or variables. */
export function metricNames(expr: string): string[] {
  const e = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // string literals
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1') // label lists
    .replace(/\b([a-z_]+)\s+(by|without)\s*(?=\()/g, '$1') // `sum by (…) (` is a call of sum
    .replace(/\$\w+/g, ''); // Grafana variables
  const out: string[] = [];
  for (const m of e.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?/g)) {
    const name = m[0].replace(/\s*\($/, '');
    if (m[1] !== undefined) continue; // a function call
    if (KEYWORDS.has(name.toLowerCase()) || /^\d/.test(name)) continue;
    out.push(name);
  }
  return out;
}

test('the metric-name extraction itself', () => {
  assert.deepEqual(metricNames('sum by (instance, chain) (rate(a_total{x=~"b|c"}[$__rate_interval])) / on(instance) group_left(name) b_info'), [
    'a_total',
    'b_info',
  ]);
  assert.deepEqual(metricNames('time() - start_seconds{instance=~"$instance"} == 1'), ['start_seconds']);
});

test('every Grafana query names only metrics the agent exports; every panel has a query', () => {
  const have = exported();
  assert.ok(panels.length >= 20, `${panels.length} panels`);
  for (const p of panels) assert.ok((p.targets ?? []).length > 0, `${p.title} has a query`);
  const used = new Set<string>();
  for (const e of exprs) {
    const names = metricNames(e);
    assert.ok(names.length > 0, `no metric in ${e}`);
    for (const n of names) {
      assert.ok(have.has(n), `${n} (in ${e}) is not exported`);
      used.add(n);
    }
  }
  for (const n of variableMetrics) assert.ok(have.has(n), `variable query metric ${n} is exported`);
  // The board's headline figures are on it.
  for (const n of [
    'asic_agent_hashrate_hashes_per_second',
    'asic_agent_efficiency_joules_per_terahash',
    'asic_agent_shares_total',
    'asic_agent_temperature_celsius',
    'asic_agent_fan_rpm',
    'asic_agent_alarms_active',
    'process_cpu_seconds_total',
    'nodejs_eventloop_lag_seconds',
  ]) {
    assert.ok(used.has(n), `${n} is on the dashboard`);
  }
});

toolTest('every Grafana query is valid PromQL (promtool check rules)', [TOOLS.promtool], {}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-grafana-'));
  try {
    const rules = exprs.map(
      (e, i) => `      - record: dashboard:q${i}\n        expr: ${JSON.stringify(e.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*'))}`,
    );
    const file = join(dir, 'rules.yml');
    writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
    const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    if (r.error) assert.fail(`promtool not runnable: ${r.error.message}`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
