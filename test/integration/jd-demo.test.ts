// `npm run demo:jd` keeps telling its story: the censorship-alarm record (pool, template id, error),
// then status records mining on the honest pool with shares accepted, exit code 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { vectorTest } from '../helpers/vectors.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

vectorTest('npm run demo:jd: alarm, fallback, shares accepted on the fallback pool', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo-jd.ts', '--seconds', '5'], { cwd: root, env: { ...process.env, ASIC_AGENT_LOG_LEVEL: 'info', ASIC_AGENT_LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const records: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => {
    if (l.startsWith('{')) records.push(JSON.parse(l) as Record<string, unknown>);
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0);
  const alarm = records.find((r) => r.msg === 'censorship-alarm');
  assert.ok(alarm, 'censorship-alarm record');
  assert.equal(alarm.pool, 'censoring-pool');
  assert.equal(typeof alarm.template_id, 'string');
  assert.match(String(alarm.error), /^invalid-job/);
  const status = records.filter((r) => r.msg === 'status');
  const last = status.at(-1);
  assert.ok(last, 'status records');
  assert.equal(last.mining, 'honest-pool');
  assert.ok((last.accepted as number) > 0);
  assert.ok(records.indexOf(alarm) < records.indexOf(last));
});
