/**
 * The chain driver's whole receive path per chip family (npm run test:slow, issue 21): 1 000 000 byte
 * streams per family into a running Bm13xxChain (brought up on its simulator, job ring filled, then
 * the simulator detached): the family's response parser, nonce and register decoding, the job ring
 * with its earlier units (duplicates and masks are the nonce check's, src/mining/nonce-check.ts). Streams are nonce replies of the family (job ids
 * in and out of the ring, any version bits, any chip), register replies, garbage, bit flips, drops and
 * inserts, cut into random chunks. Nothing may throw; every nonce report names a unit the ring holds,
 * a version within that unit's mask, and a chip on the chain or -1; the driver's counters add up.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { FamilyName } from '../../drivers/asic/bm13xx/family.js';
import { encodeRegisterReply } from '../../drivers/asic/bm13xx/response-frame.js';
import { unitHeaderOf } from '../../drivers/asic/bm13xx/work-encoding.js';
import type { NonceReport, WorkUnit } from '../../src/mining/work-unit.js';
import { versionWithinMask } from '../../src/work/version-rolling.js';
import { inProcessChain } from '../helpers/in-process-chain.js';

const RUNS = Number(process.env.ASIC_AGENT_UART_FUZZ_RUNS ?? 1_000_000);
const FAMILIES: FamilyName[] = ['BM1397', 'BM1366', 'BM1368', 'BM1370', 'BM1362'];

for (const family of FAMILIES) {
  test(`${family}: ${RUNS.toLocaleString('en')} fuzzed UART streams through the running driver`, { timeout: 3_600_000 }, async () => {
    const c = await inProcessChain({ index: 0, family, chips: 4, sim: { hashrate: 10_000 }, simTicketDifficulty: 2 ** -20 });
    const { driver, sim, dev } = c;
    sim.stop();
    sim.detach();
    const fam = driver.family;
    // Fill the ring (and then some, so that slots hold earlier units), with a rolling mask.
    const sent: WorkUnit[] = [];
    for (let i = 0; i < fam.jobIdCycle + 5; i++) {
      const header = new Uint8Array(80).fill(i);
      header.set([0, 0, 0, 0x20], 0);
      // Header fields only: the driver reads nothing else of a unit.
      const w = { ...unitHeaderOf(header, 0x1fffe000), id: i } as unknown as WorkUnit;
      sent.push(w);
      await driver.dispatch(w);
    }
    const inRing = new Set<unknown>(sent);
    const reports: NonceReport[] = [];
    let nonceReports = 0;
    driver.on('nonce', (r) => {
      reports.push(r);
      nonceReports++;
    });
    const jobIds = Array.from({ length: 128 }, (_, i) => i);
    const nonceFrame = fc
      .record({
        jobId: fc.constantFrom(...jobIds),
        midstateIndex: fc.nat(3),
        smallCore: fc.nat(15),
        versionBits: fc.nat(0xffff).map((v) => (v << 13) >>> 0),
        nonce: fc.nat(0xffffffff),
        b6: fc.nat(255),
      })
      .map((f) =>
        fam.encodeNonceReply({
          ...f,
          smallCore: fam.jobFormat === 'midstate' ? undefined : f.smallCore,
          versionBits: fam.jobFormat === 'midstate' ? 0 : f.versionBits & 0x1fffe000,
        }),
      );
    const registerFrame = fc
      .record({ chipAddress: fc.nat(255), register: fc.nat(255), value: fc.nat(0xffffffff) })
      .map((r) => encodeRegisterReply(fam.responseLength, r));
    const piece = fc.oneof(
      { weight: 6, arbitrary: nonceFrame },
      { weight: 2, arbitrary: registerFrame },
      { weight: 2, arbitrary: fc.uint8Array({ maxLength: 16 }) },
    );
    const mutation = fc.record({ kind: fc.constantFrom('flip', 'drop', 'insert'), pos: fc.nat(), v: fc.nat(255) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(piece, { minLength: 1, maxLength: 6 }),
        fc.array(mutation, { maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 }),
        async (pieces, muts, chunks) => {
          const bytes = pieces.flatMap((p) => Array.from(p));
          for (const m of muts) {
            if (bytes.length === 0) break;
            const pos = m.pos % bytes.length;
            if (m.kind === 'flip') bytes[pos] = (bytes[pos] as number) ^ (1 << (m.v & 7));
            else if (m.kind === 'drop') bytes.splice(pos, 1);
            else bytes.splice(pos, 0, m.v);
          }
          const stream = Uint8Array.from(bytes);
          reports.length = 0;
          for (let o = 0, k = 0; o < stream.length; k++) {
            const n = chunks[k % chunks.length] as number;
            void dev.write(stream.subarray(o, o + n));
            o += n;
          }
          await dev.drain();
          for (const r of reports) {
            assert.ok(inRing.has(r.unit), 'a nonce report names a unit that was sent');
            assert.ok(versionWithinMask(0x20000000, r.version, r.unit.rollMask), 'its version is within the unit mask');
            assert.ok(r.chip >= -1 && r.chip < 4);
            for (const e of r.earlier ?? []) assert.ok(inRing.has(e.unit) && e.unit !== r.unit && e.unit.id < r.unit.id);
          }
        },
      ),
      { numRuns: RUNS },
    );
    const st = driver.stats().chain;
    assert.ok(st.framesOk > 0 && st.crcErrors > 0 && nonceReports > 0, `frames ${st.framesOk}, CRC errors ${st.crcErrors}, nonce reports ${nonceReports}`);
    await c.close();
  });
}
