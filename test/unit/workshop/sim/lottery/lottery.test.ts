// The silicon-lottery simulator and its oracle (workshop/sim/lottery): reproducible from the seed, the
// spreads and figures docs/tuning.md cites, the physics going the right way, and an oracle that is
// never beaten by a simple alternative under the same budget.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { familyByName } from '../../../../../drivers/asic/bm13xx/family.js';
import { drawChips, lotteryFamily, populationSummary } from '../../../../../workshop/sim/lottery/silicon-lottery.js';
import {
  evaluateSetting,
  oracleAtVolts,
  oracleForEfficiency,
  oracleForPower,
  pllGrid,
  type OracleBoard,
} from '../../../../../workshop/sim/lottery/lottery-oracle.js';

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

test('the same seed draws the same chips; another seed or chain draws others', () => {
  const a = drawChips({ family: 'BM1366', chips: 20, seed: 7 });
  const b = drawChips({ family: 'BM1366', chips: 20, seed: 7 });
  assert.deepEqual(
    a.map((c) => c.p),
    b.map((c) => c.p),
  );
  assert.notDeepEqual(
    drawChips({ family: 'BM1366', chips: 20, seed: 8 }).map((c) => c.p.edgeMhz),
    a.map((c) => c.p.edgeMhz),
  );
  assert.notDeepEqual(
    drawChips({ family: 'BM1366', chips: 20, seed: 7, chain: 1 }).map((c) => c.p.edgeMhz),
    a.map((c) => c.p.edgeMhz),
  );
});

test('spreads as cited: 10–15 % best to worst on a 126-chip board (weak chips aside), a few weak chips', () => {
  const spreads: number[] = [];
  let weak = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const chips = drawChips({ family: 'BM1366', chips: 126, seed });
    spreads.push(populationSummary(chips.filter((c) => !c.p.weak)).spreadPct);
    weak += chips.filter((c) => c.p.weak).length;
  }
  const m = median(spreads);
  assert.ok(m >= 10 && m <= 15, `median spread ${m.toFixed(1)} %`);
  assert.ok(weak / 20 >= 1 && weak / 20 <= 5, `${weak / 20} weak chips per board`);
});

test("ESP-Miner's defaults run on typical chips, and the power figures are the cited ones", () => {
  for (const fam of ['BM1366', 'BM1370'] as const) {
    const f = lotteryFamily(fam);
    const chips = drawChips({ family: fam, chips: 200, seed: 3 });
    // At the default point a typical chip sits well inside its edge (0.1 % of its work lost or less).
    const bad = median(chips.map((c) => c.badFraction(f.defaultMhz, f.refVolts, 60)));
    assert.ok(bad < 1e-6, `${fam}: median lost share ${bad}`);
    const w = median(chips.map((c) => c.powerW(f.defaultMhz, f.refVolts, 60)));
    assert.ok(Math.abs(w / f.defaultWatts - 1) < 0.05, `${fam}: median ${w.toFixed(2)} W vs ${f.defaultWatts} W`);
    const jth = w / ((f.defaultMhz * f.hashesPerMhz) / 1e12);
    assert.ok(fam === 'BM1366' ? jth > 18 && jth < 22 : jth > 13 && jth < 17, `${fam}: ${jth.toFixed(1)} J/TH`);
  }
});

test('physics: edges rise with the rail and fall with heat; errors rise steeply past the edge; leakage grows with heat', () => {
  const [c] = drawChips({ family: 'BM1366', chips: 1, seed: 11 });
  assert.ok(c);
  assert.ok(c.edgeMhz(1.25, 60) > c.edgeMhz(1.2, 60) && c.edgeMhz(1.2, 60) > c.edgeMhz(1.1, 60));
  assert.ok(c.edgeMhz(1.2, 40) > c.edgeMhz(1.2, 70));
  const e = c.edgeMhz(1.2, 60);
  assert.ok(Math.abs(c.badFraction(e, 1.2, 60) - 0.001) < 2e-4, 'the edge is where 0.1 % of the work is lost');
  assert.ok(c.badFraction(e * 1.02, 1.2, 60) > 0.1, '2 % past the edge loses more than a tenth');
  assert.ok(c.badFraction(e * 0.97, 1.2, 60) < 1e-6);
  assert.ok(c.leakageW(1.2, 85) > 1.9 * c.leakageW(1.2, 60));
  const r = c.nonceRates(e * 1.03, 1.2, 60, 8);
  assert.ok(r.hw > 0 && r.valid > 0);
});

function board(seed: number, chips = 30): OracleBoard {
  return {
    chips: drawChips({ family: 'BM1366', chips, seed }),
    boardTempC: 60,
    minMhz: 200,
    maxMhz: 575,
    minVolts: 1.0,
    maxVolts: 1.3,
    pll: familyByName('BM1366').pll,
  };
}

test('the oracle keeps the budget, uses only PLL clocks within the limits, and beats one clock for all', () => {
  const b = board(5);
  const nominal = evaluateSetting(
    b,
    1.2,
    b.chips.map(() => 485),
  );
  const budget = 0.7 * nominal.watts;
  const o = oracleForPower(b, budget);
  assert.ok(o.watts <= budget * (1 + 1e-9));
  assert.ok(o.volts >= b.minVolts && o.volts <= b.maxVolts);
  const grid = new Set(pllGrid(b.minMhz, b.maxMhz, b.pll));
  for (const f of o.mhz) assert.ok(grid.has(f), `${f} MHz is a PLL clock within the limits`);
  // One clock for every chip at the oracle's voltage, as high as the budget allows: never better.
  let best = 0;
  for (const f of pllGrid(b.minMhz, b.maxMhz, b.pll)) {
    const s = evaluateSetting(
      b,
      o.volts,
      b.chips.map(() => f),
    );
    if (s.watts <= budget && s.hashrate > best) best = s.hashrate;
  }
  assert.ok(o.hashrate >= best, `${o.hashrate} vs uniform ${best}`);
  // And no voltage of the grid does better with its own best clocks.
  for (const v of [1.0, 1.05, 1.1, 1.15, 1.2]) {
    const s = oracleAtVolts(b, v, budget);
    if (s) assert.ok(s.hashrate <= o.hashrate * (1 + 1e-9), `${v} V`);
  }
});

test('the efficiency oracle is at least as good as every setting the power oracle finds', () => {
  const b = board(9, 20);
  const e = oracleForEfficiency(b);
  const nominal = evaluateSetting(
    b,
    1.2,
    b.chips.map(() => 485),
  );
  for (const share of [0.5, 0.7, 0.9]) {
    const p = oracleForPower(b, share * nominal.watts);
    assert.ok(e.jPerTh <= p.jPerTh * (1 + 1e-6), `${share}: ${e.jPerTh} vs ${p.jPerTh}`);
  }
});
