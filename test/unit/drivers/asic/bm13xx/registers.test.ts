// Register encoders: ticket mask, PLL solver and layout, hash counting number, timing, baud registers,
// version rolling, core register control, chip id. Known values come from docs/bm13xx.md and the vectors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { incrementVersion } from '../../../../../src/work/version-rolling.js';
import { FAMILIES } from '../../../../../drivers/asic/bm13xx/family.js';
import { decodePllRegister, frequencyRamp, pllRegister, solvePll } from '../../../../../drivers/asic/bm13xx/pll.js';
import {
  chipTicketBound,
  ticketDifficultyForRegister,
  ticketDifficultyFromRegister,
  ticketMaskRegister,
} from '../../../../../drivers/asic/bm13xx/ticket-mask.js';
import { fullScanTimeMs, hashCountingNumber } from '../../../../../drivers/asic/bm13xx/registers/hash-counting.js';
import { chipBaud, planBaudSwitch } from '../../../../../drivers/asic/bm13xx/registers/baud.js';
import { Reg } from '../../../../../drivers/asic/bm13xx/registers/addresses.js';
import { versionMaskFromRegister, versionRollingRegister } from '../../../../../drivers/asic/bm13xx/registers/version-mask.js';
import { decodeCoreRegisterControl, encodeCoreRegisterControl } from '../../../../../drivers/asic/bm13xx/registers/core-register.js';
import { decodeChipId, encodeChipId } from '../../../../../drivers/asic/bm13xx/registers/chip-id.js';
import { readVectorJson, vectorTest } from '../../../../helpers/vectors.js';

interface Timing {
  ticket_mask_reg0x14: Record<string, string>;
  cgminer_gekko_ticket_byte: { diff_to_lowbyte: Record<string, string> };
  pll_test: { target_MHz: number; fb_min: number; fb_max: number; fbdiv: number; refdiv: number; postdiv1: number; postdiv2: number };
  job_timeout_tests: {
    cases: { freq: number; asics: number; small_cores: number; cores: number; version_size: number; percent: number; expected_ms: number }[];
  };
  version_mask_increment: { version: string; mask: string; sequence: string[] };
}
const timing = (): Timing => readVectorJson<Timing>('bm13xx/registers_and_timing.json');

vectorTest('ticket mask register: vector values and cgminer byte table', () => {
  const t = timing();
  for (const d of ['256', '512']) assert.equal(ticketMaskRegister(Number(d)), Number(t.ticket_mask_reg0x14[d]));
  for (const [d, low] of Object.entries(t.cgminer_gekko_ticket_byte.diff_to_lowbyte)) {
    assert.equal(ticketMaskRegister(Number(d)) & 0xff, Number(low), `D=${d}`);
  }
  // Fact sheet: 1024 -> 0x0000C0FF, 64 -> 0x000000FC.
  assert.equal(ticketMaskRegister(1024), 0x0000c0ff);
  assert.equal(ticketMaskRegister(64), 0x000000fc);
});

test('ticket difficulty rounding (ESP-Miner) and decode round trip', () => {
  assert.equal(ticketDifficultyForRegister(300), 256);
  assert.equal(ticketDifficultyForRegister(255.5), 256, 'rounded up first');
  assert.equal(ticketDifficultyForRegister(255), 128);
  assert.equal(ticketDifficultyForRegister(1), 1);
  assert.throws(() => ticketDifficultyForRegister(0.5), { name: 'Bm13xxConfigError' });
  for (let k = 0; k <= 32; k++) assert.equal(ticketDifficultyFromRegister(ticketMaskRegister(2 ** k)), 2 ** k);
  assert.equal(ticketDifficultyFromRegister(0x00000001), undefined, 'not of the form 2^k-1 after bit reversal');
  // The chip's bound: 32 + log2(D) leading zero bits; fractional sim difficulties scale it up.
  assert.equal(chipTicketBound(1), 1n << 224n);
  assert.equal(chipTicketBound(256), 1n << 216n);
  assert.equal(chipTicketBound(2 ** -20), 1n << 244n);
  assert.equal(chipTicketBound(2 ** -40), 1n << 256n);
});

vectorTest('PLL solver: ESP-Miner unit test (450 MHz, fb 60..200 -> fb72 ref2 p2/1)', () => {
  const p = timing().pll_test;
  const s = solvePll(p.target_MHz, { ...FAMILIES.BM1397.pll, fbMin: p.fb_min, fbMax: p.fb_max });
  assert.deepEqual([s.fbDiv, s.refDiv, s.postDiv1, s.postDiv2], [p.fbdiv, p.refdiv, p.postdiv1, p.postdiv2]);
  assert.equal(s.frequencyMhz, 450);
});

test('PLL register bytes of known frequencies', () => {
  const cases: [keyof typeof FAMILIES, number, number][] = [
    ['BM1397', 425, 0x40440221],
    ['BM1366', 485, 0x50c20240],
    ['BM1368', 490, 0x50c40240],
    ['BM1370', 525, 0x40a80230],
    ['BM1370', 600, 0x50c00230],
  ];
  for (const [name, mhz, reg] of cases) {
    const f = FAMILIES[name];
    const s = solvePll(mhz, f.pll);
    assert.equal(pllRegister(s, f.pll).toString(16), reg.toString(16), `${name} ${mhz}`);
    const d = decodePllRegister(reg, f.pll);
    assert.equal(d.frequencyMhz, mhz, `${name} decodes back`);
  }
});

test("every frequency a ramp visits is reachable within each family's FBDIV range", () => {
  for (const f of Object.values(FAMILIES)) {
    const steps = frequencyRamp(f.resetFrequencyMhz, 600);
    assert.ok(steps.length > 50);
    for (const mhz of steps) {
      const s = solvePll(mhz, f.pll);
      assert.ok(s.fbDiv >= f.pll.fbMin && s.fbDiv <= f.pll.fbMax);
      assert.ok(s.postDiv1 > s.postDiv2);
      assert.ok(Math.abs(s.frequencyMhz - mhz) < 3, `${f.name} ${mhz} -> ${s.frequencyMhz}`);
    }
  }
});

test('frequency ramp follows 6.25 MHz steps both ways', () => {
  assert.deepEqual(frequencyRamp(50, 75), [56.25, 62.5, 68.75, 75]);
  assert.deepEqual(frequencyRamp(75, 60), [68.75, 62.5, 60]);
  assert.deepEqual(frequencyRamp(50, 53), [53]);
  assert.deepEqual(frequencyRamp(50, 50), []);
});

test('PLL register encode/decode round trip (property)', () => {
  fc.assert(
    fc.property(fc.constantFrom(...Object.values(FAMILIES)), fc.double({ min: 50, max: 800, noNaN: true }), (f, mhz) => {
      let s;
      try {
        s = solvePll(mhz, f.pll);
      } catch {
        return true; // unreachable targets are typed errors (checked elsewhere)
      }
      const d = decodePllRegister(pllRegister(s, f.pll), f.pll);
      return d.fbDiv === s.fbDiv && d.refDiv === s.refDiv && d.postDiv1 === s.postDiv1 && d.postDiv2 === s.postDiv2 && d.enabled;
    }),
    { numRuns: 500 },
  );
});

test('hash counting number: one BM1370 at 525 MHz gives 0x000C2FB7 (docs/bm13xx.md "Registers")', () => {
  assert.equal(hashCountingNumber({ cores: 128, chips: 1, frequencyMhz: 525, erratum: 268 }), 0x000c2fb7);
  const w = FAMILIES.BM1370.finalize({ chipCount: 1, ticketMask: 0xff, versionRolling: 0x9000ffff, frequencyMhz: 525 });
  assert.deepEqual(w[0], { kind: 'write', register: Reg.hashCountingNumber, value: 0x000c2fb7 });
});

vectorTest("full-scan time matches ESP-Miner's job timeout tests", () => {
  for (const c of timing().job_timeout_tests.cases) {
    const ms = fullScanTimeMs({
      frequencyMhz: c.freq,
      chips: c.asics,
      smallCores: c.small_cores,
      cores: c.cores,
      versions: c.version_size,
      fraction: c.percent,
    });
    assert.ok(ms !== undefined && Math.abs(ms - c.expected_ms) < 0.01, `${JSON.stringify(c)} -> ${ms}`);
  }
  assert.equal(fullScanTimeMs({ frequencyMhz: 450, chips: 0, smallCores: 2040, cores: 128, versions: 1 }), undefined);
});

test('baud registers: ESP-Miner values, reset baud, chip rate from registers', () => {
  // BM1366+: 0x28 = 0x11300200 is ESP-Miner's "1 Mbaud" (25 MHz / 24).
  const v2 = planBaudSwitch('fast-uart-v2', 1_000_000);
  assert.deepEqual(v2.writes, [{ register: Reg.fastUart, value: 0x11300200 }]);
  assert.ok(Math.abs(v2.chipBaud - 1_041_666.67) < 1);
  assert.deepEqual(planBaudSwitch('fast-uart-v2', 3_125_000).writes, [{ register: Reg.fastUart, value: 0x11300000 }]);
  // BM1397: 0x18 = 0x00006031 is 3.125 M; 115200 gives ESP-Miner's default 0x00007A31.
  assert.deepEqual(planBaudSwitch('misc-control', 3_125_000).writes, [{ register: Reg.miscControl, value: 0x00006031 }]);
  assert.deepEqual(planBaudSwitch('misc-control', 115_200).writes, [{ register: Reg.miscControl, value: 0x00007a31 }]);
  // Reset values run at 115,741 baud.
  assert.equal(Math.round(chipBaud('misc-control', () => undefined)), 115741);
  assert.equal(Math.round(chipBaud('fast-uart-v2', () => undefined)), 115741);
  // bm13xx-rs 6.25 M paths: PLL3/PLL1 = 0xC0700111, divider 6, BT8D 7.
  const regs1397 = new Map<number, number>([
    [Reg.pll3Parameter, 0xc0700111],
    [Reg.fastUart, 0x0600000f],
    [Reg.miscControl, 0x00012701],
  ]);
  assert.equal(
    chipBaud('misc-control', (r) => regs1397.get(r)),
    6_250_000,
  );
  const regsV2 = new Map<number, number>([
    [Reg.pll1Parameter, 0xc0700111],
    [Reg.fastUart, 0x15600700],
  ]);
  assert.equal(
    chipBaud('fast-uart-v2', (r) => regsV2.get(r)),
    6_250_000,
  );
  // Our plans reach the same rate.
  for (const scheme of ['misc-control', 'fast-uart-v2'] as const) {
    const p = planBaudSwitch(scheme, 6_250_000);
    const regs = new Map(p.writes.map((w) => [w.register, w.value]));
    assert.equal(
      chipBaud(scheme, (r) => regs.get(r)),
      6_250_000,
      scheme,
    );
  }
  assert.throws(() => planBaudSwitch('fast-uart-v2', 2_000_000), { name: 'Bm13xxConfigError' });
});

vectorTest('version rolling register and the BM1397 midstate version steps', () => {
  assert.equal(versionRollingRegister(0x1fffe000), 0x9000ffff);
  assert.equal(versionMaskFromRegister(0x9000ffff), 0x1fffe000);
  assert.equal(versionRollingRegister(0x1fffffe0), 0x9000ffff, 'BIP323 bits below 13 cannot be rolled by the chip');
  const t = timing().version_mask_increment;
  const v = Number(t.version);
  t.sequence.forEach((want, i) => assert.equal(incrementVersion(v, Number(t.mask), i + 1), Number(want)));
});

test('core register control and chip id fields', () => {
  const c = decodeCoreRegisterControl(0x80008540);
  assert.deepEqual(c, { doCmd: true, coreId: 0, write: true, coreRegId: 5, coreRegVal: 0x40 });
  assert.equal(encodeCoreRegisterControl(c), 0x80008540);
  assert.deepEqual(decodeChipId(0x13971800), { chipId: 0x1397, coreNum: 0x18, address: 0 });
  assert.equal(encodeChipId({ chipId: 0x1370, coreNum: 0, address: 0x40 }), 0x13700040);
});
