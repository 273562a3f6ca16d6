// Issue 15, point 7: the PLL choice is ESP-Miner's, byte for byte, at every 6.25 MHz step a ramp can
// visit from 50 to 1000 MHz (the table was generated from ESP-Miner's own pll.c, see its "source"). And
// BM1397 frequency writes keep the 10 ms gaps ESP-Miner and cgminer use.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Bm13xxChain } from '../../../../../drivers/asic/bm13xx/chain.js';
import { FAST_TIMING } from '../../../../../drivers/asic/bm13xx/chain-options.js';
import { decodeCommand } from '../../../../../drivers/asic/bm13xx/command-frame.js';
import { FAMILIES, type FamilyName } from '../../../../../drivers/asic/bm13xx/family.js';
import { pllRegister, solvePll } from '../../../../../drivers/asic/bm13xx/pll.js';
import { Reg } from '../../../../../drivers/asic/bm13xx/registers/addresses.js';
import { ChainSim } from '../../../../../workshop/sim/bm13xx/chain-sim.js';
import { createMemoryUartPair } from '../../../../../drivers/transport/memory-uart.js';
import { systemClock, type Clock } from '../../../../../src/clock.js';

type Row = [number, number, number, number, number, string];
const table = JSON.parse(readFileSync(new URL('./esp-miner-pll.vectors.json', import.meta.url), 'utf8')) as { rows: Record<FamilyName, Row[]> };

test('every 6.25 MHz step from 50 to 1000 MHz: the same dividers and PLL0 word as ESP-Miner', () => {
  let rows = 0;
  for (const [name, list] of Object.entries(table.rows) as [FamilyName, Row[]][]) {
    const f = FAMILIES[name];
    const wrong: string[] = [];
    for (const [mhz, fb, ref, p1, p2, word] of list) {
      rows++;
      const s = solvePll(mhz, f.pll);
      const got = pllRegister(s, f.pll).toString(16).padStart(8, '0');
      if (s.fbDiv !== fb || s.refDiv !== ref || s.postDiv1 !== p1 || s.postDiv2 !== p2 || got !== word) {
        wrong.push(`${mhz} MHz: ours fb${s.fbDiv}/ref${s.refDiv}/${s.postDiv1}/${s.postDiv2} 0x${got}, ESP-Miner fb${fb}/ref${ref}/${p1}/${p2} 0x${word}`);
      }
    }
    assert.deepEqual(wrong, [], `${name}: ${wrong.length} steps differ`);
  }
  assert.equal(rows, 4 * 153);
});

test('BM1397: 10 ms before each of the four frequency writes and after the last', async () => {
  // A clock that keeps the real timers but notes each pause in the same log as the frames sent.
  const log: string[] = [];
  const clock: Clock = Object.assign(Object.create(systemClock) as Clock, {
    sleep: (ms: number) => {
      if (ms > 0) log.push(`sleep ${ms}`);
      return systemClock.sleep(0);
    },
  });
  const [host, dev] = createMemoryUartPair();
  await dev.open();
  const sim = new ChainSim({ family: 'BM1397', chips: 1 });
  sim.attach(dev);
  const write = host.write.bind(host);
  host.write = (d) => {
    const c = d.length === 11 ? decodeCommand(d).command : undefined;
    if (c?.op === 'write' && (c.register === Reg.pll0Parameter || c.register === Reg.pll0Divider)) log.push(`write 0x${c.register.toString(16)}`);
    return write(d);
  };
  const chain = new Bm13xxChain(host, {
    family: 'BM1397',
    expectedChips: 1,
    frequencyMhz: 56.25,
    clock,
    timing: { ...FAST_TIMING, stepDelayScale: 1, rampStepDelayMs: 0 },
  });
  try {
    await chain.bringUp();
    const step = ['sleep 10', 'write 0x70', 'sleep 10', 'write 0x70', 'sleep 10', 'write 0x8', 'sleep 10', 'write 0x8', 'sleep 10'];
    const start = log.indexOf('write 0x70') - 1;
    assert.deepEqual(log.slice(start, start + step.length), step, log.join(', '));
  } finally {
    await chain.close();
    sim.detach();
    await dev.close();
  }
});
