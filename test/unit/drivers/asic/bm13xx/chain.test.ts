// The chain driver against the in-process simulator on a memory UART pair: bring-up of every family,
// nonces verified with SHA-256, missing/foreign/surplus chips, dedupe, unknown job ids, hardware errors,
// a dead chip, corrupted frames, a host that does not switch baud, register access, reinit and reset.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FAMILIES, type FamilyName } from '../../../../../drivers/asic/bm13xx/family.js';
import { Bm13xxChain, type BringUpResult } from '../../../../../drivers/asic/bm13xx/chain.js';
import { FAST_TIMING } from '../../../../../drivers/asic/bm13xx/chain-options.js';
import { ChainBringUpError } from '../../../../../drivers/asic/bm13xx/errors.js';
import { cmd } from '../../../../../drivers/asic/bm13xx/command-frame.js';
import { Reg } from '../../../../../drivers/asic/bm13xx/registers/addresses.js';
import { decodePllRegister } from '../../../../../drivers/asic/bm13xx/pll.js';
import { ticketMaskRegister } from '../../../../../drivers/asic/bm13xx/ticket-mask.js';
import { nonceFields } from '../../../../../drivers/asic/bm13xx/nonce-layout.js';
import { encodeFullHeaderWork } from '../../../../../drivers/asic/bm13xx/work-encoding.js';
import { MemoryUart } from '../../../../../drivers/transport/memory-uart.js';
import { inProcessChain, nonces, testWork, verifyReport, collectEvents } from '../../../../helpers/bm13xx.js';
import { waitFor } from '../../../../helpers/wait.js';

const NAMES = Object.keys(FAMILIES) as FamilyName[];

async function rejects(p: Promise<unknown>): Promise<ChainBringUpError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ChainBringUpError, `expected ChainBringUpError, got ${String(err)}`);
    return err;
  }
  throw new Error('bring-up should have failed');
}

describe('bring-up and nonces, every family', () => {
  for (const name of NAMES) {
    test(`${name}: 12 chips come up, registers as planned, nonces verify`, async () => {
      const f = FAMILIES[name];
      const t = await inProcessChain({ family: name, chips: 12 });
      try {
        const r: BringUpResult = await t.chain.bringUp();
        assert.equal(r.chipCount, 12);
        assert.equal(r.addressInterval, 21);
        assert.deepEqual(
          r.addresses,
          Array.from({ length: 12 }, (_, i) => i * 21),
        );
        assert.deepEqual(r.chipIds, Array(12).fill(f.chipId));
        assert.deepEqual(r.coreNums, Array(12).fill(f.coreNum));
        assert.deepEqual(r.missing, []);
        assert.equal(r.hostBaud, f.defaultFastBaud);
        assert.equal(t.host.baudRate, f.defaultFastBaud);
        assert.ok(Math.abs(r.chipBaud - f.defaultFastBaud) / f.defaultFastBaud < 0.05);
        assert.equal(t.sim.stats().baud, Math.round(r.chipBaud), 'the simulated chips switched too');
        assert.ok(Math.abs(r.frequencyMhz - f.defaultFrequencyMhz) < 1);
        for (const c of t.sim.chips) {
          assert.ok(Math.abs(c.frequencyMhz() - r.frequencyMhz) < 1e-9, 'PLL written to every chip');
          assert.equal(c.regs.get(Reg.ticketMask), ticketMaskRegister(256), 'the hardware ticket stays 256');
          if (f.jobFormat === 'full-header') assert.equal(c.regs.get(Reg.versionRolling), 0x9000ffff);
        }
        assert.equal(t.chain.nonceDifficulty, t.sim.effectiveTicketDifficulty);
        const work = testWork(1);
        const jobId = await t.chain.dispatch(work);
        assert.equal(jobId, f.nextJobId(undefined));
        const got = await nonces(t.chain, 8);
        const chipsSeen = new Set<number>();
        for (const rep of got) {
          assert.equal(rep.unit, work);
          assert.equal(rep.jobId, jobId);
          assert.ok(verifyReport(rep, t.chain.nonceDifficulty), `nonce ${rep.nonce.toString(16)} verifies`);
          assert.ok(rep.chip >= 0 && rep.chip < 12);
          assert.equal(rep.chip, Math.floor(nonceFields(rep.nonce, t.chain.layout).addressField / 21));
          assert.ok(rep.core < Math.min(f.cores, 128));
          if (f.jobFormat === 'midstate') {
            assert.equal(rep.smallCore, undefined);
            assert.ok(rep.midstateIndex >= 0 && rep.midstateIndex < 4);
          } else {
            assert.ok((rep.smallCore ?? -1) >= 0 && (rep.smallCore ?? 99) < f.smallCoresPerCore);
            assert.equal(rep.midstateIndex, 0);
          }
          chipsSeen.add(rep.chip);
        }
        assert.ok(chipsSeen.size > 1, 'several chips find nonces');
        const st = t.chain.stats();
        assert.ok(st.chain.nonces >= 8);
        assert.equal(st.chain.crcErrors, 0);
        assert.equal(
          st.chips.reduce((s, c) => s + c.nonces, 0),
          st.chain.nonces,
        );
      } finally {
        await t.close();
      }
    });
  }

  test('one chip: address interval 256 and the whole nonce space', async () => {
    const t = await inProcessChain({ family: 'BM1370', chips: 1 });
    try {
      const r = await t.chain.bringUp();
      assert.deepEqual([r.chipCount, r.addressInterval, r.addresses], [1, 256, [0]]);
      await t.chain.dispatch(testWork(2));
      const got = await nonces(t.chain, 20);
      // With one chip the address field is free nonce space: several values show up.
      assert.ok(new Set(got.map((x) => nonceFields(x.nonce, t.chain.layout).addressField)).size > 1);
      for (const x of got) assert.equal(x.chip, 0);
    } finally {
      await t.close();
    }
  });
});

describe('bring-up failures name the chips', () => {
  test('a chip that never answers: missing [3]', async () => {
    const t = await inProcessChain(
      { family: 'BM1366', chips: 8, faults: { silentChips: [3] } },
      { timing: { ...FAST_TIMING, replyQuietMs: 150, readRetries: 0 } },
    );
    try {
      const e = await rejects(t.chain.bringUp());
      assert.deepEqual(e.detail.missing, [3]);
      assert.equal(e.detail.found, 7);
      assert.equal(e.detail.stage, 'enumeration');
      assert.equal(t.chain.state, 'failed');
    } finally {
      await t.close();
    }
  });

  test('a broken chain at chip 5 hides every chip after it; minChips 5 continues with 5', async () => {
    const t = await inProcessChain(
      { family: 'BM1397', chips: 8, faults: { deaths: [{ chip: 5, atMs: 0, breaksChain: true }] } },
      { timing: { ...FAST_TIMING, replyQuietMs: 150, readRetries: 0 } },
    );
    try {
      const e = await rejects(t.chain.bringUp());
      assert.deepEqual(e.detail.missing, [5, 6, 7]);
    } finally {
      await t.close();
    }
    const t2 = await inProcessChain(
      { family: 'BM1397', chips: 8, faults: { deaths: [{ chip: 5, atMs: 0, breaksChain: true }] } },
      { minChips: 5, timing: { ...FAST_TIMING, replyQuietMs: 150, readRetries: 0 } },
    );
    try {
      const r = await t2.chain.bringUp();
      assert.equal(r.chipCount, 5);
      assert.deepEqual(r.missing, [5, 6, 7]);
      assert.equal(r.addressInterval, 51);
      await t2.chain.dispatch(testWork(3));
      for (const rep of await nonces(t2.chain, 5)) assert.ok(verifyReport(rep, t2.chain.nonceDifficulty));
    } finally {
      await t2.close();
    }
  });

  test('a chain of another family is refused with its chip id', async () => {
    const t = await inProcessChain({ family: 'BM1366', chips: 2 }, { family: 'BM1370', expectedChips: 2 });
    try {
      const e = await rejects(t.chain.bringUp());
      assert.deepEqual(e.detail.foreignIds, [0x1366]);
    } finally {
      await t.close();
    }
  });

  test('more chips than configured is refused', async () => {
    const t = await inProcessChain({ family: 'BM1368', chips: 4 }, { expectedChips: 3 });
    try {
      const e = await rejects(t.chain.bringUp());
      assert.equal(e.detail.found, 4);
      assert.equal(e.detail.expected, 3);
    } finally {
      await t.close();
    }
  });

  test('a host UART that does not really switch baud: the read-back fails at the baud stage', async () => {
    // The memory pair models baud: after the chips move to 1 Mbaud, a host still at 115200 reads garbage.
    class StuckUart extends MemoryUart {
      override async setBaudRate(): Promise<void> {
        // ignores the request
      }
    }
    const stuck = new StuckUart('memory:stuck');
    const t = await inProcessChain({ family: 'BM1370', chips: 3 }, { timing: { ...FAST_TIMING, replyQuietMs: 150, readRetries: 0 } }, stuck);
    try {
      const e = await rejects(t.chain.bringUp());
      assert.equal(e.detail.stage, 'baud');
      assert.deepEqual(e.detail.missing, [0, 1, 2]);
      assert.ok(t.device.stats.garbledChunks > 0);
    } finally {
      await t.close();
    }
  });

  test('a baud write lost on the wire: nobody answers at the new rate, the chips still do at the old one, so it is sent again', async () => {
    const lost = cmd.writeAll(Reg.fastUart, 0x11300200);
    class LossyUart extends MemoryUart {
      dropped = 0;
      override write(data: Uint8Array): Promise<void> {
        if (this.dropped === 0 && data.length === lost.length && data.every((b, i) => b === lost[i])) {
          this.dropped++;
          return Promise.resolve();
        }
        return super.write(data);
      }
    }
    const lossy = new LossyUart('memory:lossy');
    const t = await inProcessChain({ family: 'BM1370', chips: 3 }, { timing: { ...FAST_TIMING, replyQuietMs: 150, readRetries: 0 } }, lossy);
    try {
      const r = await t.chain.bringUp();
      assert.equal(lossy.dropped, 1);
      assert.equal(r.chipCount, 3);
      assert.equal(t.sim.stats().baud, 1041667);
    } finally {
      await t.close();
    }
  });

  test('bring-up survives corrupted replies (retried reads), deterministic with a seed', async () => {
    const t = await inProcessChain(
      { family: 'BM1366', chips: 12, seed: 7, faults: { corruptFraction: 0.1 } },
      { timing: { ...FAST_TIMING, replyQuietMs: 300 } },
    );
    try {
      const r = await t.chain.bringUp();
      assert.equal(r.chipCount, 12);
      assert.ok(t.chain.stats().chain.crcErrors > 0, 'some replies were damaged');
    } finally {
      await t.close();
    }
  });
});

describe('run time', () => {
  test('repeated replies are passed on as they come: the nonce check drops them, once (duplicate-filter.test.ts)', async () => {
    const t = await inProcessChain({ family: 'BM1397', chips: 4, faults: { duplicateFraction: 1 } });
    try {
      await t.chain.bringUp();
      await t.chain.dispatch(testWork(4));
      const got = await nonces(t.chain, 10);
      assert.ok(new Set(got.map((x) => `${x.nonce}:${x.version}`)).size < got.length, 'every reply comes twice');
      for (const r of got) assert.ok(verifyReport(r, t.chain.nonceDifficulty));
      assert.equal(
        t.chain.stats().chain.nonces,
        t.chain.stats().chips.reduce((s, c) => s + c.nonces, 0),
      );
    } finally {
      await t.close();
    }
  });

  test('nonces for a job id the driver never sent are counted, not reported', async () => {
    const t = await inProcessChain({ family: 'BM1370', chips: 2 });
    try {
      await t.chain.bringUp();
      let reported = 0;
      t.chain.on('nonce', () => reported++);
      // A job written behind the driver's back (id 0x40 is not in its ring).
      await t.host.write(encodeFullHeaderWork(testWork(5), 0x40).frame);
      await waitFor(() => t.chain.stats().chain.unknownJobIds >= 3, 'three replies for an unknown job id');
      assert.equal(reported, 0);
    } finally {
      await t.close();
    }
  });

  test('a chip returning wrong nonces: they come back attributed to their chip (the nonce check counts them as hardware errors)', async () => {
    const t = await inProcessChain({ family: 'BM1368', chips: 3, faults: { wrongNonces: [{ chip: 1, fraction: 1 }] } });
    try {
      await t.chain.bringUp();
      await t.chain.dispatch(testWork(6));
      const got = await nonces(t.chain, 30);
      let bad = 0;
      for (const r of got) {
        const ok = verifyReport(r, t.chain.nonceDifficulty);
        if (!ok) {
          assert.equal(r.chip, 1, 'only chip 1 is faulty');
          bad++;
        }
      }
      assert.ok(bad > 0);
    } finally {
      await t.close();
    }
  });

  test('a chip that dies is reported silent; the chain keeps working', async () => {
    const t = await inProcessChain(
      { family: 'BM1366', chips: 4, hashrate: 150_000, faults: { deaths: [{ chip: 2, atMs: 800, breaksChain: false }] } },
      { chipSilenceMs: 1500 },
    );
    try {
      await t.chain.bringUp();
      await t.chain.dispatch(testWork(7));
      const silent = await collectEvents<{ chipIndex: number }>(
        (fn) => {
          t.chain.on('chip-silent', fn);
          return () => t.chain.off('chip-silent', fn);
        },
        1,
        30_000,
        (e) => e.chipIndex === 2,
      );
      assert.equal(silent[0]?.chipIndex, 2);
      const before = t.chain.stats().chips[2]?.nonces;
      const after = await nonces(t.chain, 20);
      for (const r of after) {
        assert.notEqual(r.chip, 2);
        assert.ok(verifyReport(r, t.chain.nonceDifficulty));
      }
      assert.equal(t.chain.stats().chips[2]?.nonces, before);
      assert.equal(t.chain.stats().chips[2]?.silent, true);
    } finally {
      await t.close();
    }
  });

  test('corrupted and dropped reply bytes: CRC errors counted, every reported nonce still verifies', async () => {
    const t = await inProcessChain({ family: 'BM1370', chips: 6, seed: 3 });
    try {
      await t.chain.bringUp();
      t.sim.setFaults({ corruptFraction: 0.2, dropByteFraction: 0.005 });
      await t.chain.dispatch(testWork(8));
      const got = await nonces(t.chain, 60);
      for (const r of got) assert.ok(verifyReport(r, t.chain.nonceDifficulty), 'a corrupted frame never becomes a nonce');
      const st = t.chain.stats().chain;
      assert.ok(st.crcErrors > 0);
      assert.ok(st.bytesDiscarded > 0);
    } finally {
      await t.close();
    }
  });

  test('jobs replace each other; late nonces of the previous job still map to it', async () => {
    const t = await inProcessChain({ family: 'BM1366', chips: 2 });
    try {
      await t.chain.bringUp();
      const w1 = testWork(9);
      const w2 = testWork(10);
      const id1 = await t.chain.dispatch(w1);
      await nonces(t.chain, 2);
      const id2 = await t.chain.dispatch(w2);
      assert.notEqual(id1, id2);
      const got = await nonces(t.chain, 5, 30_000, (r) => r.unit === w2);
      for (const r of got) {
        assert.equal(r.jobId, id2);
        assert.ok(verifyReport(r, t.chain.nonceDifficulty));
      }
    } finally {
      await t.close();
    }
  });

  test('a work unit without a version mask: 0xA4 follows, no rolled bits come back', async () => {
    const t = await inProcessChain({ family: 'BM1370', chips: 2 });
    try {
      await t.chain.bringUp();
      await t.chain.dispatch(testWork(11, 0));
      const got = await nonces(t.chain, 5);
      for (const r of got) {
        assert.equal((r.version ^ r.unit.version) >>> 0, 0);
        assert.ok(verifyReport(r, t.chain.nonceDifficulty));
      }
      for (const c of t.sim.chips) assert.equal(c.regs.get(Reg.versionRolling), 0x90000000);
    } finally {
      await t.close();
    }
  });

  test('register reads and writes by chip and broadcast', async () => {
    const t = await inProcessChain({ family: 'BM1368', chips: 5 });
    try {
      const r = await t.chain.bringUp();
      const plls = await t.chain.readRegister(Reg.pll0Parameter, 'all');
      assert.equal(plls.length, 5);
      for (const p of plls) assert.ok(Math.abs(decodePllRegister(p.value, FAMILIES.BM1368.pll).frequencyMhz - r.frequencyMhz) < 1e-9);
      assert.deepEqual(
        plls.map((p) => p.chipAddress),
        r.addresses,
      );
      const one = await t.chain.readRegister(Reg.chipId, 3);
      assert.equal(one?.chipAddress, r.addresses[3]);
      await t.chain.writeRegister(Reg.analogMux, 0x1234, 2);
      assert.equal((await t.chain.readRegister(Reg.analogMux, 2))?.value, 0x1234);
      assert.notEqual((await t.chain.readRegister(Reg.analogMux, 1))?.value, 0x1234);
      // A chip that does not exist answers nothing.
      await assert.rejects(t.chain.readRegister(Reg.chipId, 9), RangeError);
    } finally {
      await t.close();
    }
  });

  test('unsolicited register replies are reported, not mistaken for reads', async () => {
    const t = await inProcessChain({ family: 'BM1366', chips: 2 });
    try {
      await t.chain.bringUp();
      const ev = collectEvents<{ register: number }>(
        (fn) => {
          t.chain.on('register', fn);
          return () => t.chain.off('register', fn);
        },
        2,
        10_000,
      );
      // A read sent behind the driver's back: its replies arrive with nobody waiting.
      await t.host.write(cmd.readAll(Reg.hashCountingNumber));
      const got = await ev;
      assert.ok(got.every((x) => x.register === Reg.hashCountingNumber));
      assert.equal(t.chain.stats().chain.unsolicitedRegisterReplies, 2);
    } finally {
      await t.close();
    }
  });

  test('state machine: no work before bring-up; reinit; hold in reset; close', async () => {
    const t = await inProcessChain({ family: 'BM1362', chips: 3 });
    try {
      await assert.rejects(t.chain.dispatch(testWork(12)), { name: 'ChainStateError' });
      await t.chain.bringUp();
      assert.equal(t.chain.state, 'running');
      await t.chain.dispatch(testWork(12));
      await nonces(t.chain, 2);
      const r2 = await t.chain.reinit();
      assert.equal(r2.chipCount, 3);
      assert.equal(t.host.baudRate, FAMILIES.BM1362.defaultFastBaud);
      await t.chain.dispatch(testWork(13));
      for (const r of await nonces(t.chain, 3)) assert.ok(verifyReport(r, t.chain.nonceDifficulty));
      assert.equal(await t.chain.holdInReset(), true);
      assert.equal(t.chain.state, 'held-in-reset');
      assert.equal(t.sim.chips[0]?.job, undefined, 'chips in reset forgot their work');
      await assert.rejects(t.chain.dispatch(testWork(14)), { name: 'ChainStateError' });
    } finally {
      await t.close();
    }
    assert.equal(t.chain.state, 'closed');
    await assert.rejects(t.chain.bringUp(), { name: 'ChainStateError' });
  });

  test('options are validated at construction', () => {
    const [h] = [new MemoryUart('x')];
    assert.throws(() => new Bm13xxChain(h, { family: 'BM1370', expectedChips: 0 }), RangeError);
    assert.throws(() => new Bm13xxChain(h, { family: 'BM1370', expectedChips: 1, frequencyMhz: 5000 }), { name: 'Bm13xxConfigError' });
    assert.throws(() => new Bm13xxChain(h, { family: 'BM1370', expectedChips: 1, fastBaud: 2_000_000 }), { name: 'Bm13xxConfigError' });
    assert.throws(() => new Bm13xxChain(h, { family: 'BM1370', expectedChips: 1, ticketDifficulty: 0.5 }), { name: 'Bm13xxConfigError' });
    assert.throws(() => new Bm13xxChain(h, { family: 'bm9999' as FamilyName, expectedChips: 1 }), { name: 'UnknownFamilyError' });
  });
});
