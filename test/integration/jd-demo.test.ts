// The real agent with Job Declaration across processes on 127.0.0.1 (`npm run demo:jd`): lab Template
// Provider, a censoring lab JDS/pool and an honest one as their own processes, and the agent
// (`asic-agent run` with a [job_declaration] table) on the simulated board
// sim-bm1370 whose chains run in their own processes behind ptys. The agent is refused, logs
// `censorship-alarm` (pool, template id, error), falls back, and its status records show shares
// accepted on the honest pool, every share accounted for; the honest pool's own counters agree.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { vectorTest } from '../helpers/vectors.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

vectorTest('npm run demo:jd: the agent on a simulated board is refused, raises the alarm, mines on the fallback pool', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo-jd.ts', '--until-done', '--seconds', '120'], {
    cwd: root,
    env: { ...process.env, ASIC_AGENT_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const records: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => {
    if (l.startsWith('{')) records.push(JSON.parse(l) as Record<string, unknown>);
  });
  // A hang guard, not a timing assertion: a demo that never ends fails with what it printed.
  const guard = setTimeout(() => child.kill('SIGINT'), 180_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(guard);
  assert.equal(code, 0, JSON.stringify(records.filter((r) => r.module === 'demo')));

  const alarm = records.find((r) => r.msg === 'censorship-alarm');
  assert.ok(alarm, 'censorship-alarm record');
  assert.equal(alarm.pool, 'censoring-pool');
  assert.equal(typeof alarm.template_id, 'string');
  assert.match(String(alarm.error), /^invalid-job: transaction 7c798f85/);
  assert.equal(alarm.action, 'next-pool');
  const fallback = records.find((r) => r.msg === 'job declaration fallback');
  assert.equal(fallback?.to, 'honest-pool');
  const accepted = records.find((r) => r.msg === 'custom job accepted by the pool');
  assert.equal(accepted?.pool, 'honest-pool', 'the first custom job the agent got accepted is on the fallback pool');
  t.diagnostic(`alarm -> custom job accepted on the fallback pool: ${Number(accepted?.time) - Number(alarm.time)} ms`);

  const status = records.filter((r) => r.msg === 'status' && r.module === 'agent');
  assert.ok(status.length > 0);
  for (const s of status) {
    // No share lost that the counters do not show.
    assert.equal(
      s.shares_found,
      (s.accepted as number) + (s.rejected as number) + (s.stale as number) + (s.lost as number) + (s.in_flight as number),
      JSON.stringify(s),
    );
    // The real pool the templates are declared to (issue 14 defect 5), never the pool manager's "jd" entry.
    assert.ok(s.pool === null || s.pool === 'censoring-pool' || s.pool === 'honest-pool', `status names ${String(s.pool)}`);
    if (s.pool !== null) {
      assert.equal(s.mode, 'declared');
      assert.match(String(s.jds), /^stratum2\+tcp:\/\/127\.0\.0\.1:\d+/);
    }
  }
  const last = status.at(-1) as Record<string, unknown>;
  assert.ok((last.accepted as number) > 0, 'shares accepted');
  assert.equal(last.pool, 'honest-pool');
  assert.equal(last.mode, 'declared');
  assert.ok(records.indexOf(alarm) < records.indexOf(last));

  const counters = (name: string): Record<string, Record<string, unknown>> =>
    records.find((r) => r.msg === 'lab server counters' && r.server === name)?.counters as Record<string, Record<string, unknown>>;
  const honest = counters('honest-pool');
  const censor = counters('censoring-pool');
  assert.ok((honest.pool?.accepted as number) >= (last.accepted as number), 'the honest pool accepted at least what the agent last reported');
  assert.equal(censor.pool?.accepted, 0);
  // Every declaration the censoring pool saw was refused for the censored transaction. Usually one; a
  // newer template declared before the first refusal came back (a slow machine) is refused as well.
  const refused = censor.jds?.declareRefused as Record<string, number>;
  assert.deepEqual(Object.keys(refused), ['invalid-job']);
  assert.ok((refused['invalid-job'] ?? 0) >= 1);
  // One alarm per refusal at most: a refusal is never reported twice.
  assert.ok(records.filter((r) => r.msg === 'censorship-alarm').length <= (refused['invalid-job'] ?? 0));
  assert.equal((counters('template-provider') as unknown as { protocolErrors: number }).protocolErrors, 0);
});
