// Issue 14 defect 5: what the chains mine for is named as it is: the real pool (or solo), the mode
// (pool / declared / solo) and, for Job Declaration, the JDS. Never the pool manager's "jd" entry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderMetrics } from '../../../src/api/prometheus.js';
import { poolsView, statusView } from '../../../src/api/http-views.js';
import { sampleSnapshot } from '../../helpers/api-snapshot.js';

test('status, pools view and metrics name the real pool, the mode and the JDS', () => {
  const s = sampleSnapshot();
  const jds = 'stratum2+tcp://pool-a.example:34264/9bXiEd8boQVhq7WddEcERUL5tyyJVFYdU8th3HfbNXK3Yw6GRXh';
  s.mining = { mode: 'declared', pool: 'pool-a', jds };
  assert.deepEqual(statusView(s).mining, { mode: 'declared', pool: 'pool-a', jds });
  assert.deepEqual(poolsView(s).mining, { mode: 'declared', pool: 'pool-a', jds });
  const text = renderMetrics(s);
  assert.match(text, new RegExp(`^asic_agent_mining_info\\{mode="declared",pool="pool-a",jds="${jds.replace(/[+/.]/g, (c) => `\\${c}`)}"\\} 1$`, 'm'));
  s.mining = { mode: 'solo', pool: 'solo' };
  assert.match(renderMetrics(s), /^asic_agent_mining_info\{mode="solo",pool="solo"\} 1$/m);
  // No work: nothing named, no gauge.
  delete s.mining;
  assert.equal(statusView(s).mining, null);
  assert.doesNotMatch(renderMetrics(s), /asic_agent_mining_info/);
});
