// Chain recovery without a reset line (issue 15, point 1): after a bring-up the chips run at the fast baud
// and keep it until they are reset (chain-sim.ts). A re-init that only moved the host back to 115200 would
// find nobody; the driver first tells the chips, at the fast rate, to return to 115200.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FAST_TIMING } from '../../../../../drivers/asic/bm13xx/chain-options.js';
import { decodeCommand } from '../../../../../drivers/asic/bm13xx/command-frame.js';
import type { FamilyName } from '../../../../../drivers/asic/bm13xx/family.js';
import { Reg } from '../../../../../drivers/asic/bm13xx/registers/addresses.js';
import { ChainSim } from '../../../../../workshop/sim/bm13xx/chain-sim.js';
import { createMemoryUartPair } from '../../../../../drivers/transport/memory-uart.js';
import { inProcessChain, nonces, simulatedChain, testWork, TEST_SIM_TICKET, verifyReport } from '../../../../helpers/bm13xx.js';

async function chainWithoutReset(family: FamilyName, chips: number) {
  const [host, device] = createMemoryUartPair();
  await device.open();
  const sim = new ChainSim({ family, chips, hashrate: 100_000, simTicketDifficulty: TEST_SIM_TICKET });
  sim.attach(device);
  const chain = simulatedChain(host, { family, expectedChips: chips, timing: FAST_TIMING }, sim.effectiveTicketDifficulty);
  // What left the host, at which rate.
  const sent: { baud: number; frame: Uint8Array }[] = [];
  const write = host.write.bind(host);
  host.write = (d) => {
    sent.push({ baud: host.baudRate, frame: d.slice() });
    return write(d);
  };
  return {
    host,
    sim,
    chain,
    sent,
    close: async () => {
      await chain.close();
      sim.detach();
      await device.close();
    },
  };
}

describe('no reset line', () => {
  for (const [family, register] of [
    ['BM1370', Reg.fastUart],
    ['BM1397', Reg.miscControl],
  ] as const) {
    test(`${family}: a re-init sends the reset-baud write at the fast rate first, then finds every chip`, async () => {
      const t = await chainWithoutReset(family, 4);
      try {
        const up = await t.chain.bringUp();
        assert.ok(up.hostBaud > 115_200, 'the chain runs at its fast baud');
        assert.ok(t.sim.stats().baud > 115_200, 'and so do the chips');
        t.sent.length = 0;
        const again = await t.chain.reinit();
        assert.equal(again.chipCount, 4);
        const first = t.sent[0];
        assert.ok(first, 'the re-init wrote something');
        assert.equal(first.baud, up.hostBaud, 'at the rate the chips run at');
        const c = decodeCommand(first.frame).command;
        assert.ok(c.op === 'write' && c.broadcast && c.register === register, `first frame: ${JSON.stringify(c)}`);
        await t.chain.dispatch(testWork(31));
        for (const r of await nonces(t.chain, 2)) assert.ok(verifyReport(r, t.chain.nonceDifficulty));
      } finally {
        await t.close();
      }
    });
  }

  test('a first bring-up on chips fresh from power-on: the fast-rate write is noise to them and they still come up', async () => {
    const t = await chainWithoutReset('BM1366', 3);
    try {
      const up = await t.chain.bringUp();
      assert.equal(up.chipCount, 3);
    } finally {
      await t.close();
    }
  });
});

// Issue 15, point 9: nobody reads the ticket mask back on hardware, so a chip that answers 0x14 with
// another value gets a warning and keeps hashing.
test('a ticket mask read-back that differs is a warning: the chain comes up and its nonces verify', async () => {
  const t = await inProcessChain({ family: 'BM1368', chips: 3, faults: { ticketMaskReadsAs: 0 } });
  try {
    const up = await t.chain.bringUp();
    assert.equal(up.chipCount, 3);
    assert.deepEqual(up.ticketMaskUnconfirmed, [0, 1, 2]);
    await t.chain.dispatch(testWork(51));
    for (const r of await nonces(t.chain, 2)) assert.ok(verifyReport(r, t.chain.nonceDifficulty));
  } finally {
    await t.close();
  }
});

// Bench testing (issue 15): a chip that never answers is named, and a configured minimum lets the others
// hash at their own positions.
describe('a chip that never answers', () => {
  test('it is named; below the minimum the chain is refused, at the minimum the others hash at their own addresses', async () => {
    const t = await inProcessChain(
      { family: 'BM1370', chips: 4, faults: { silentChips: [1] } },
      { timing: { ...FAST_TIMING, replyQuietMs: 200, readRetries: 0 } },
    );
    try {
      await assert.rejects(t.chain.bringUp(), (e: Error) => e.message.includes('3 of 4 chips answered (at least 4 needed); missing 1'));
    } finally {
      await t.close();
    }
    const t2 = await inProcessChain(
      { family: 'BM1370', chips: 4, faults: { silentChips: [1] } },
      { minChips: 3, timing: { ...FAST_TIMING, replyQuietMs: 200, readRetries: 0 } },
    );
    try {
      const up = await t2.chain.bringUp();
      assert.deepEqual(up.missing, [1]);
      assert.equal(up.chipCount, 4, 'the silent chip keeps its slot');
      assert.deepEqual(up.addresses, [0, 64, 128, 192]);
      assert.deepEqual(
        t2.sim.chips.map((c) => c.address),
        [0, 64, 128, 192],
        'every chip holds the address of its position',
      );
      await t2.chain.dispatch(testWork(61));
      const got = await nonces(t2.chain, 6);
      for (const r of got) {
        assert.ok(verifyReport(r, t2.chain.nonceDifficulty));
        assert.notEqual(r.chip, 1);
      }
    } finally {
      await t2.close();
    }
  });

  test('a chip that answers nothing and takes no address: the others come up; the message says the position is uncertain', async () => {
    const dead = { deaths: [{ chip: 1, atMs: 0, breaksChain: false }] };
    const t = await inProcessChain({ family: 'BM1366', chips: 4, faults: dead }, { timing: { ...FAST_TIMING, replyQuietMs: 200, readRetries: 0 } });
    try {
      await assert.rejects(t.chain.bringUp(), (e: Error) => e.message.includes('missing 3 (or an earlier chip that takes no address'));
    } finally {
      await t.close();
    }
    const t2 = await inProcessChain(
      { family: 'BM1366', chips: 4, faults: dead },
      { minChips: 3, timing: { ...FAST_TIMING, replyQuietMs: 200, readRetries: 0 } },
    );
    try {
      const up = await t2.chain.bringUp();
      assert.equal(up.chipCount, 3);
      assert.equal(up.addressInterval, 85);
      await t2.chain.dispatch(testWork(62));
      for (const r of await nonces(t2.chain, 3)) assert.ok(verifyReport(r, t2.chain.nonceDifficulty));
    } finally {
      await t2.close();
    }
  });
});
