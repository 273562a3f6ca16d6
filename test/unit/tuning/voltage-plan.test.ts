// Choosing the rail (src/tuning/voltage-plan.ts) on a synthetic board whose answer is known.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PowerModel, type RoundRecord } from '../../../src/tuning/power-model.js';
import { bestVolts, grid, predict } from '../../../src/tuning/voltage-plan.js';

const limits = { minMhz: 100, maxMhz: 600, minVolts: 1.0, maxVolts: 1.3, defaultMhz: 485, defaultVolts: 1.2 };
/** Two rounds of a board with P = 0.02·V²·F + 10·V³ and edges ∝ V^2.5 (16 chips). */
function model(): { m: PowerModel; ref: RoundRecord } {
  const m = new PowerModel();
  const round = (v: number): RoundRecord => {
    const clocks = Array.from({ length: 16 }, (_, i) => 400 * (1 + 0.01 * (i - 8)) * (v / 1.1) ** 2.5);
    const sum = clocks.reduce((s, x) => s + x, 0);
    return { volts: v, sumMhz: sum, watts: 0.02 * v * v * sum + 10 * v ** 3, clocks, kinds: clocks.map(() => 'edge'), tempC: 60, settled: true };
  };
  m.add(round(1.05));
  const ref = round(1.15);
  m.add(ref);
  return { m, ref };
}

test("the fit recovers the power law and the edges' exponent from two rounds", () => {
  const { m } = model();
  const { a, b } = m.coefficients();
  assert.ok(Math.abs(a / 0.02 - 1) < 1e-6 && Math.abs(b / 10 - 1) < 1e-6, `${a} ${b}`);
  assert.ok(Math.abs(m.exponent() - 2.5) < 1e-6);
});

test('under a power cap the plan picks the voltage that buys the most hashrate, within the cap', () => {
  const { m, ref } = model();
  const hpm = ref.clocks.map(() => 1e9);
  const inp = { model: m, ref, hpm, limits, step: 0.005 };
  const cap = 180;
  const plan = bestVolts(inp, { capW: cap, reach: 0.01 });
  assert.ok(plan.watts <= cap * (1 + 1e-9));
  for (const v of grid(limits, 0.005)) assert.ok(predict(inp, v, { capW: cap }).hs <= plan.hs * (1 + 1e-6), `${v} V`);
  // Below the edges' reach of the cap the plan goes no lower than needed: its voltage draws the cap.
  assert.ok(plan.watts >= cap * 0.99);
});

test('for a hashrate target the plan takes the least power that reaches it', () => {
  const { m, ref } = model();
  const inp = { model: m, ref, hpm: ref.clocks.map(() => 1e9), limits, step: 0.005 };
  const target = 6.5e12;
  const plan = bestVolts(inp, { hs: target });
  assert.ok(plan.hs >= target * (1 - 1e-9));
  for (const v of grid(limits, 0.005)) {
    const p = predict(inp, v, { hs: target });
    if (p.hs >= target * (1 - 1e-9)) assert.ok(p.watts >= plan.watts * (1 - 1e-6), `${v} V`);
  }
});
