/**
 * The nonce path at S19-class rates (issue 16, "Performance that rides along"): 3 chains × 30,000
 * nonces/s, about 100 TH/s at ticket difficulty 256, through the real tty path. Each chain is a chain
 * simulator in its own process behind a pseudo-terminal (BM1397 chips at their 3.125 Mbaud, which can
 * carry 30,000 nine-byte replies a second), replaying pre-found nonces without hashing; this process
 * runs what the agent runs for them: the serialport binding, the BM13xx driver, the scheduler (units
 * at the family's interval), the nonce check (SHA-256d of every nonce), the share path and the stats
 * sink. Its CPU time over a steady window is the figure; per nonce it is that time over the nonces
 * checked (work generation included: an upper bound of the per-nonce cost).
 *
 * Dropped nonces: after the window the simulators' chips are held in reset (acknowledged, so nothing
 * more is sent), the path drains, and the replies each simulator sent are compared with what reached
 * the driver and the nonce check.
 */
import { Bm13xxChain } from '../../drivers/asic/bm13xx/chain.js';
import { FAST_TIMING } from '../../drivers/asic/bm13xx/chain-options.js';
import { SerialPortUart } from '../../drivers/transport/serialport-uart.js';
import { systemClock } from '../../src/clock.js';
import { logger } from '../../src/log.js';
import { MiningStats } from '../../src/mining/mining-stats.js';
import { Scheduler } from '../../src/mining/scheduler.js';
import { SharePath } from '../../src/mining/share-path.js';
import type { Job } from '../../src/upstream/job.js';
import { fromHex } from '../../src/work/bytes.js';
import { difficultyToTarget } from '../../src/work/target.js';
import { BIP320_MASK } from '../../src/work/version-rolling.js';
import { startSimChain, type SimChainProcess } from '../../workshop/sim/sim-chain-process.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface S19Figures {
  cpuPct: number;
  usPerNonce: number;
  noncesPerS: number;
  unitsPerS: number;
  sent: number;
  /** Replies sent that never became a nonce report (lost on the tty, or undecodable). */
  dropped: number;
  /** Nonce reports the nonce check did not count as valid (hardware errors, repeats, unmatched). */
  notValid: number;
  /** Of those: hardware errors, repeated replies, nonces matching no unit still known. */
  hwErrors: number;
  repeated: number;
  lateUnmatched: number;
  crcErrors: number;
}

export async function s19NoncePath(seconds: number, o: { chains?: number; noncesPerS?: number; chips?: number } = {}): Promise<S19Figures> {
  const chainsN = o.chains ?? 3;
  const rate = o.noncesPerS ?? 30_000;
  const chips = o.chips ?? 4;
  const log = logger('bench.s19');
  const sims: SimChainProcess[] = [];
  const chains: Bm13xxChain[] = [];
  const stats = new MiningStats(systemClock);
  try {
    for (let i = 0; i < chainsN; i++) {
      // Replay mode: every replayed nonce stands for one hash at ticket 2^-32 (all valid, none a share).
      const sim = await startSimChain(
        { family: 'BM1397', chips, hashrate: rate, simTicketDifficulty: 2 ** -32, replayNoncesPerSecond: rate, seed: i + 1 },
        log,
      );
      sims.push(sim);
      const chain = new Bm13xxChain(new SerialPortUart({ path: sim.devicePath, baudRate: 115_200 }), {
        index: i,
        family: 'BM1397',
        expectedChips: chips,
        timing: FAST_TIMING,
        reset: (held) => sim.setReset(held),
        name: `s19-${i}`,
      });
      chain.useChipFigures({ ticketDifficulty: sim.simTicketDifficulty, hashrate: rate });
      await chain.bringUp();
      chains.push(chain);
    }
    const shares = new SharePath({ stats, log, submit: async () => ({ status: 'accepted' }) });
    const scheduler = new Scheduler({ chains, clock: systemClock, log, stats, shares });
    const job: Job = {
      id: '1',
      source: { poolId: 'bench', protocol: 'sv2' },
      upstream: { id: 'bench', submit: async () => ({ status: 'accepted' }) },
      prevHash: new Uint8Array(32).fill(1),
      version: 0x20000000,
      versionMask: BIP320_MASK,
      nbits: 0x1703a30c,
      ntime: Math.floor(Date.now() / 1000),
      ntimeRolling: true,
      // A pool difficulty far above the replayed nonces: shares are rare, as on a real pool.
      target: difficultyToTarget(65536),
      clean: true,
      receivedAt: systemClock.now(),
      work: {
        kind: 'coinbase',
        // Version 1, one input (null outpoint), a scriptSig of 16 bytes: block height 100000 + extranonce.
        coinbasePrefix: fromHex(`01000000` + `01` + '00'.repeat(32) + `ffffffff` + `10` + `03a08601`),
        coinbaseSuffix: fromHex('ffffffff0100f2052a010000001976a914000000000000000000000000000000000000000088ac00000000'),
        extranonceSize: 12,
        merkleBranch: Array.from({ length: 12 }, (_, k) => new Uint8Array(32).fill(k + 1)),
      },
    };
    scheduler.setJob(job);
    await sleep(3000); // warm-up: JIT, the simulators at their rate
    const v0 = stats.validNonces;
    const u0 = stats.workSent;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const cpu = process.cpuUsage(cpu0);
    const dt = (performance.now() - t0) / 1000;
    const valid = stats.validNonces - v0;
    const units = stats.workSent - u0;
    // Drain: no more replies (reset acknowledged by every simulator), then until the path is quiet.
    scheduler.stop();
    await Promise.all(sims.map((s) => s.setReset(true)));
    const reported = (): number => chains.reduce((s, c) => s + c.stats().chain.nonces + c.stats().chain.unknownJobIds, 0);
    for (let last = -1, now = reported(); now !== last; last = now, now = reported()) await sleep(500);
    const sent = (await Promise.all(sims.map((s) => s.counts()))).reduce((s, c) => s + c.noncesSent, 0);
    const reports = chains.reduce((s, c) => s + c.stats().chain.nonces, 0);
    const usedUs = cpu.user + cpu.system;
    return {
      cpuPct: (usedUs / 1e6 / dt) * 100,
      usPerNonce: usedUs / Math.max(1, valid),
      noncesPerS: valid / dt,
      unitsPerS: units / dt,
      sent,
      dropped: sent - reported(),
      notValid: reports - stats.validNonces,
      hwErrors: stats.hwErrors,
      repeated: stats.repeatedNonces,
      lateUnmatched: stats.lateUnmatched,
      crcErrors: chains.reduce((s, c) => s + c.stats().chain.crcErrors, 0),
    };
  } finally {
    for (const c of chains) await c.close().catch(() => undefined);
    for (const s of sims) await s.stop();
  }
}
