// The full safety property run (npm run test:slow): 10 000 random sequences of faults and authorised
// commands against the simulated board (issue 21 D1); the same property as the unit test, at size.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { runSafetyScenario, safetyScenario } from '../helpers/safety-property.js';

test("slow: 10 000 sequences of faults and commands never keep the board powered past a fault's window", async () => {
  let accepted = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(safetyScenario(), async (sc) => {
      const r = await runSafetyScenario(sc);
      accepted += r.commandsAccepted;
      refused += r.commandsRefused;
      assert.deepEqual(r.violations, []);
    }),
    { numRuns: 10_000 },
  );
  // The run is only worth something when commands were both carried out and refused.
  assert.ok(accepted > 1000 && refused > 1000, `accepted ${accepted}, refused ${refused}`);
});
