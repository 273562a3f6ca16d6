/**
 * Issue 21 D1: no authorised command (pause, resume, restart, start, config reload) can undo a fault the
 * thermal policy has not itself seen cleared. Random sequences of faults and commands against the
 * simulated board (test/helpers/safety-property.ts); the full run (≥ 10 000 sequences) is in test/slow.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { runSafetyScenario, safetyScenario } from '../../helpers/safety-property.js';

const RUNS = Number(process.env.ASIC_AGENT_SAFETY_RUNS ?? 200);

test(`safety property: ${RUNS} random sequences of faults and authorised commands never keep the board powered past a fault's window`, async () => {
  await fc.assert(
    fc.asyncProperty(safetyScenario(), async (sc) => {
      const r = await runSafetyScenario(sc);
      assert.deepEqual(r.violations, []);
    }),
    { numRuns: RUNS },
  );
});
