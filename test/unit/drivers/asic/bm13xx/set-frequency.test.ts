// A running chain changes its hash clock (the board's "hot: reduce frequency"): the PLL register the
// chips hold follows, and the chain keeps its state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bm13xxChain } from '../../../../../drivers/asic/bm13xx/chain.js';
import { FAST_TIMING } from '../../../../../drivers/asic/bm13xx/chain-options.js';
import { ChainStateError } from '../../../../../drivers/asic/bm13xx/errors.js';
import type { FamilyName } from '../../../../../drivers/asic/bm13xx/family.js';
import { ChainSim } from '../../../../../workshop/sim/bm13xx/chain-sim.js';
import { createMemoryUartPair } from '../../../../../drivers/transport/memory-uart.js';

for (const family of ['BM1370', 'BM1397'] as FamilyName[]) {
  test(`${family}: setFrequency ramps a running chain and the chips' PLL follows`, async () => {
    const [host, dev] = createMemoryUartPair();
    await dev.open();
    const sim = new ChainSim({ family, chips: 3 });
    sim.attach(dev);
    const chain = new Bm13xxChain(host, { family, expectedChips: 3, timing: FAST_TIMING });
    try {
      await assert.rejects(chain.setFrequency(300), ChainStateError);
      const up = await chain.bringUp();
      assert.equal(chain.currentFrequencyMhz, up.frequencyMhz);
      for (const c of sim.chips) assert.ok(Math.abs(c.frequencyMhz() - up.frequencyMhz) < 0.01);
      const target = up.frequencyMhz - 100;
      const got = await chain.setFrequency(target);
      assert.ok(Math.abs(got - target) < 5, `${got} vs ${target}`);
      assert.equal(chain.currentFrequencyMhz, got);
      // The memory UART delivers on later turns of the event loop.
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      for (const c of sim.chips) assert.ok(Math.abs(c.frequencyMhz() - got) < 0.01, `chip at ${c.frequencyMhz()}`);
      assert.equal(chain.state, 'running');
    } finally {
      await chain.close();
      sim.detach();
      await dev.close();
    }
  });
}
