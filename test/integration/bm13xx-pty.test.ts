// Over real pseudo-terminals (the project's pty addon) with the real `serialport` binding on the host end:
// bring-up of chains of 1, 12 and 126 chips of every family, the baud switch, jobs sent and nonces
// returned and verified with SHA-256; then recovery from corrupted frames, dropped bytes and a dead chip.
// Every simulator's end of its pty is closed at the end.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { FAMILIES, type FamilyName } from '../../drivers/asic/bm13xx/family.js';
import type { Bm13xxChain } from '../../drivers/asic/bm13xx/chain.js';
import type { UnitHeader } from '../../src/mining/work-unit.js';
import { FAST_TIMING } from '../../drivers/asic/bm13xx/chain-options.js';
import { startPtySim, type PtySim } from '../../workshop/sim/bm13xx/pty.js';
import { SerialPortUart } from '../../drivers/transport/serialport-uart.js';
import { collectEvents, nonces, simulatedChain, testWork, TEST_SIM_TICKET, verifyReport } from '../helpers/bm13xx.js';

const opened: PtySim[] = [];

async function ptyChain(
  family: FamilyName,
  chips: number,
  hashrate = 100_000,
  chipSilenceMs?: number,
): Promise<{ ps: PtySim; host: SerialPortUart; chain: Bm13xxChain<UnitHeader>; close(): Promise<void> }> {
  const ps = await startPtySim({ family, chips, hashrate, simTicketDifficulty: TEST_SIM_TICKET });
  opened.push(ps);
  const host = new SerialPortUart({ path: ps.hostPath, baudRate: 115200 });
  const chain = simulatedChain(
    host,
    {
      family,
      expectedChips: chips,
      timing: FAST_TIMING,
      reset: (a) => ps.sim.setReset(a),
      name: `pty-${family}-${chips}`,
      ...(chipSilenceMs === undefined ? {} : { chipSilenceMs }),
    },
    ps.sim.effectiveTicketDifficulty,
  );
  return {
    ps,
    host,
    chain,
    close: async () => {
      await chain.close();
      await ps.close();
    },
  };
}

after(() => {
  for (const ps of opened) assert.equal(ps.pty.device.isOpen, false, `${ps.hostPath} was left open`);
});

describe('bring-up over a pty, every family and size', () => {
  for (const family of Object.keys(FAMILIES) as FamilyName[]) {
    for (const chips of [1, 12, 126]) {
      test(`${family} × ${chips}: bring-up, baud switch, verified nonces`, async () => {
        const f = FAMILIES[family];
        const t = await ptyChain(family, chips);
        try {
          const r = await t.chain.bringUp();
          assert.equal(r.chipCount, chips);
          assert.equal(r.addressInterval, Math.floor(256 / chips));
          assert.equal(r.hostBaud, f.defaultFastBaud);
          assert.equal(t.host.baudRate, f.defaultFastBaud, 'the host port moved');
          assert.equal(t.ps.sim.stats().baud, Math.round(r.chipBaud), 'the chips moved');
          assert.equal(t.host.isPseudoTerminal, true);
          assert.equal(t.host.lowLatencyActive, false, 'low-latency mode is not tried on a pty');
          const work = testWork(100 + chips);
          await t.chain.dispatch(work);
          const got = await nonces(t.chain, 3);
          for (const rep of got) {
            assert.ok(verifyReport(rep, t.chain.nonceDifficulty), `${family}: nonce ${rep.nonce.toString(16)}`);
            assert.ok(rep.chip >= 0 && rep.chip < chips);
          }
          assert.equal(t.chain.stats().chain.crcErrors, 0);
        } finally {
          await t.close();
        }
      });
    }
  }
});

describe('recovery over a pty', () => {
  test('corrupted frames, dropped bytes and a dead chip: reported, the chain keeps working', async () => {
    const t = await ptyChain('BM1370', 12, 150_000, 2000);
    try {
      await t.chain.bringUp();
      await t.chain.dispatch(testWork(7));
      await nonces(t.chain, 3);
      t.ps.sim.setFaults({ corruptFraction: 0.1, dropByteFraction: 0.002, deaths: [{ chip: 4, atMs: 0, breaksChain: false }] });
      const silent = collectEvents<{ chipIndex: number }>(
        (fn) => {
          t.chain.on('chip-silent', fn);
          return () => t.chain.off('chip-silent', fn);
        },
        1,
        60_000,
        (e) => e.chipIndex === 4,
      );
      await t.chain.dispatch(testWork(8));
      const got = await nonces(t.chain, 40);
      for (const rep of got) assert.ok(verifyReport(rep, t.chain.nonceDifficulty), 'no damaged frame becomes a nonce');
      assert.ok(t.chain.stats().chain.crcErrors > 0, 'damage was seen and counted');
      // The dead chip is reported once its silence passes the threshold (set below for the test).
      assert.equal((await silent)[0]?.chipIndex, 4);
      const more = await nonces(t.chain, 5);
      assert.ok(more.every((r) => r.chip !== 4));
    } finally {
      await t.close();
    }
  });

  test('reinit after a reset brings the chain back from 115200', async () => {
    const t = await ptyChain('BM1397', 12);
    try {
      await t.chain.bringUp();
      assert.equal(t.host.baudRate, 3_125_000);
      const r = await t.chain.reinit();
      assert.equal(r.chipCount, 12);
      await t.chain.dispatch(testWork(9));
      for (const rep of await nonces(t.chain, 3)) assert.ok(verifyReport(rep, t.chain.nonceDifficulty));
    } finally {
      await t.close();
    }
  });
});
