// The simulated chain on its own, driven with raw frames on a memory UART pair (no driver): enumeration,
// relay and addressing, baud following, reset, hashing that meets the ticket, each fault, replay mode and
// BM1397 starvation accounting on an injected clock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../../../../../src/clock.js';
import { MiningHasher } from '../../../../../src/work/sha256-engine.js';
import { u256LeToBigInt } from '../../../../../src/work/target.js';
import { incrementVersion } from '../../../../../src/work/version-rolling.js';
import { cmd } from '../../../../../drivers/asic/bm13xx/command-frame.js';
import { FAMILIES, type FamilyName } from '../../../../../drivers/asic/bm13xx/family.js';
import { nonceOfReply } from '../../../../../drivers/asic/bm13xx/families/common.js';
import { ESP_MINER_NONCE_LAYOUT, nonceFields } from '../../../../../drivers/asic/bm13xx/nonce-layout.js';
import { Reg } from '../../../../../drivers/asic/bm13xx/registers/addresses.js';
import { fullScanTimeMs } from '../../../../../drivers/asic/bm13xx/registers/hash-counting.js';
import { decodeRawResponse, registerReplyOf, type RawResponse } from '../../../../../drivers/asic/bm13xx/response-frame.js';
import { ResponseParser } from '../../../../../drivers/asic/bm13xx/response-parser.js';
import { chipTicketBound } from '../../../../../drivers/asic/bm13xx/ticket-mask.js';
import { REPLAY_TICKET_DIFFICULTY, ChainSim, type SimChainConfig } from '../../../../../workshop/sim/bm13xx/chain-sim.js';
import { parseFaults } from '../../../../../workshop/sim/bm13xx/faults.js';
import { createMemoryUartPair, type MemoryUart } from '../../../../../drivers/transport/memory-uart.js';
import { testWork } from '../../../../helpers/bm13xx.js';
import { writeUnitHeader } from '../../../../../src/mining/work-unit.js';

interface Rig {
  sim: ChainSim;
  host: MemoryUart;
  replies: RawResponse[];
  parser: ResponseParser;
  clock: ManualClock;
  /** Lets queued deliveries (setImmediate) run. */
  settle(): Promise<void>;
  send(f: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

async function rig(cfg: Omit<SimChainConfig, 'clock'>): Promise<Rig> {
  const clock = new ManualClock();
  const [host, dev] = createMemoryUartPair();
  await host.open();
  await dev.open();
  // No CPU guard: these tests count hashes on simulated time, which must not depend on machine speed.
  const sim = new ChainSim({ maxSliceCpuMs: Number.POSITIVE_INFINITY, ...cfg, clock });
  sim.attach(dev);
  const fam = typeof cfg.family === 'string' ? FAMILIES[cfg.family] : cfg.family;
  const replies: RawResponse[] = [];
  const parser = new ResponseParser(fam.responseLength, (f) => replies.push(decodeRawResponse(f)));
  host.on('data', (b) => parser.push(b));
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 6; i++) await new Promise((r) => setImmediate(r));
  };
  return {
    sim,
    host,
    replies,
    parser,
    clock,
    settle,
    send: async (f) => {
      await host.write(f);
      await settle();
    },
    close: async () => {
      sim.detach();
      await host.close();
      await dev.close();
    },
  };
}

const regReplies = (r: Rig): ReturnType<typeof registerReplyOf>[] => r.replies.filter((x) => !x.isNonce).map(registerReplyOf);

describe('protocol behaviour', () => {
  test('enumeration: every chip answers reg 0 with address 0, in chain order, at the family length', async () => {
    for (const name of Object.keys(FAMILIES) as FamilyName[]) {
      const r = await rig({ family: name, chips: 5 });
      await r.send(cmd.readAll(Reg.chipId));
      const regs = regReplies(r);
      assert.equal(regs.length, 5, name);
      for (const x of regs) {
        assert.equal(x.value >>> 16, FAMILIES[name].chipId);
        assert.equal(x.chipAddress, 0);
      }
      assert.ok(r.replies.every((x) => x.length === FAMILIES[name].responseLength));
      await r.close();
    }
  });

  test('chain inactive + set-address: first unaddressed chip takes each address; targeted reads', async () => {
    const r = await rig({ family: 'BM1370', chips: 4 });
    await r.send(cmd.chainInactive());
    for (const a of [0x00, 0x40, 0x80, 0xc0]) await r.send(cmd.setAddress(a));
    assert.deepEqual(
      r.sim.chips.map((c) => c.address),
      [0x00, 0x40, 0x80, 0xc0],
    );
    await r.send(cmd.readChip(0x80, Reg.chipId));
    assert.deepEqual(
      regReplies(r).map((x) => [x.chipAddress, x.value & 0xff]),
      [[0x80, 0x80]],
    );
    // A new chain-inactive lets the chain be re-addressed from the first chip.
    await r.send(cmd.chainInactive());
    await r.send(cmd.setAddress(0x10));
    assert.equal(r.sim.chips[0]?.address, 0x10);
    assert.equal(r.sim.chips[1]?.address, 0x40);
    // Writes to one address touch that chip only.
    await r.send(cmd.writeChip(0x40, Reg.analogMux, 7));
    assert.deepEqual(
      r.sim.chips.map((c) => c.regs.get(Reg.analogMux) ?? 0),
      [0, 7, 0, 0],
    );
    await r.close();
  });

  test('the chips follow the baud the host writes; a host that stays behind reads garbage', async () => {
    const r = await rig({ family: 'BM1366', chips: 2 });
    await r.send(cmd.writeAll(Reg.fastUart, 0x11300200));
    assert.equal(r.sim.stats().baud, 1041667);
    r.replies.length = 0;
    await r.send(cmd.readAll(Reg.chipId));
    assert.equal(r.replies.length, 0, 'the request at 115200 does not reach chips at 1 Mbaud');
    await r.host.setBaudRate(1_000_000);
    await r.send(cmd.readAll(Reg.chipId));
    assert.equal(regReplies(r).length, 2);
    // BM1397 moves with 0x18 instead.
    const b = await rig({ family: 'BM1397', chips: 1 });
    await b.send(cmd.writeAll(Reg.miscControl, 0x00006031));
    assert.equal(b.sim.stats().baud, 3_125_000);
    await r.close();
    await b.close();
  });

  test('reset puts every chip back: addresses, registers, jobs, baud', async () => {
    const r = await rig({ family: 'BM1368', chips: 3 });
    await r.send(cmd.chainInactive());
    for (const a of [0, 85, 170]) await r.send(cmd.setAddress(a));
    await r.send(cmd.writeAll(Reg.fastUart, 0x11300200));
    r.sim.setReset(true);
    r.sim.setReset(false);
    assert.deepEqual(
      r.sim.chips.map((c) => c.address),
      [0, 0, 0],
    );
    assert.equal(r.sim.stats().baud, 115741);
    await r.close();
  });

  test('damaged host frames are ignored and counted; the next good frame works', async () => {
    const r = await rig({ family: 'BM1370', chips: 2 });
    const bad = cmd.readAll(Reg.chipId);
    bad[5] = (bad[5] as number) ^ 1;
    await r.send(Uint8Array.of(0x12, 0x55, 0xaa, 0x99, ...bad, 0x00, ...cmd.readAll(Reg.chipId)));
    assert.equal(regReplies(r).length, 2);
    assert.ok(r.sim.stats().host.crcErrors >= 1);
    await r.close();
  });
});

/** Puts a rig's chain in a state to hash: addressed, version rolling on. */
async function address(r: Rig, n: number, rolling = 0x9000ffff): Promise<void> {
  await r.send(cmd.chainInactive());
  for (let i = 0; i < n; i++) await r.send(cmd.setAddress(i * Math.floor(256 / n)));
  await r.send(cmd.writeAll(Reg.versionRolling, rolling));
}

function verifyNonce(fam: FamilyName, work: ReturnType<typeof testWork>, raw: RawResponse, d: number, versions: number[]): { ok: boolean; version: number } {
  const f = FAMILIES[fam];
  const ids = f.decodeNonceIds(raw);
  const version = f.jobFormat === 'midstate' ? (versions[ids.midstateIndex] as number) : (versions[0] as number) | ids.versionBits;
  const h = writeUnitHeader(work, version, 0);
  const hasher = new MiningHasher();
  hasher.setHeader(h);
  const out = new Uint8Array(32);
  hasher.hashBytes(nonceOfReply(raw), out);
  return { ok: u256LeToBigInt(out) < chipTicketBound(d), version };
}

describe('hashing', () => {
  for (const name of ['BM1397', 'BM1370'] as const) {
    test(`${name}: every nonce meets the ticket, lies in its chip's slice and names the job`, async () => {
      const d = 2 ** -20;
      const r = await rig({ family: name, chips: 4, hashrate: 400_000, simTicketDifficulty: d });
      await address(r, 4);
      const work = testWork(21);
      const enc = FAMILIES[name].encodeWork(work, 0x18);
      await r.send(enc.frame);
      for (let i = 0; i < 100; i++) r.clock.advance(10);
      await r.settle();
      const found = r.replies.filter((x) => x.isNonce);
      assert.ok(found.length > 10, `${found.length} nonces`);
      const versions = new Set<number>();
      for (const raw of found) {
        assert.equal(FAMILIES[name].decodeNonceIds(raw).jobId, 0x18);
        const v = verifyNonce(name, work, raw, d, enc.slotVersions);
        assert.ok(v.ok);
        versions.add(v.version);
        const field = nonceFields(nonceOfReply(raw), ESP_MINER_NONCE_LAYOUT).addressField;
        assert.ok(field < 256);
      }
      assert.ok(versions.size > 1, 'versions roll');
      if (name === 'BM1397') for (const v of versions) assert.ok([0, 1, 2, 3].some((k) => incrementVersion(0x20000000, 0x1fffe000, k) === v));
      const st = r.sim.stats();
      assert.ok(st.hashes > 0);
      // The simulated rate is the configured one (1 s of simulated time, CPU allowing).
      assert.ok(st.hashes <= 400_000 * 1.05);
      await r.close();
    });
  }

  test('the register ticket is used when no sim-only ticket is set (D=1: no nonce in 100k hashes, almost surely)', async () => {
    const r = await rig({ family: 'BM1366', chips: 1, hashrate: 100_000 });
    await address(r, 1);
    await r.send(cmd.writeAll(Reg.ticketMask, 0));
    assert.equal(r.sim.effectiveTicketDifficulty, 1);
    await r.send(FAMILIES.BM1366.encodeWork(testWork(22), 8).frame);
    for (let i = 0; i < 100; i++) r.clock.advance(10);
    await r.settle();
    assert.ok(r.sim.stats().hashes > 50_000);
    // p = 2^-32 per hash: finding one here would mean the ticket is not applied.
    assert.equal(r.replies.filter((x) => x.isNonce).length, 0);
    await r.close();
  });
});

describe('faults', () => {
  test('the fault spec parses; bad specs are typed errors', () => {
    assert.deepEqual(parseFaults('corrupt=0.01,drop=0.001,silent=3,die=5@10000,break=6@20,wrong=2@0.5,dup=0.1,delay=5'), {
      corruptFraction: 0.01,
      dropByteFraction: 0.001,
      silentChips: [3],
      deaths: [
        { chip: 5, atMs: 10000, breaksChain: false },
        { chip: 6, atMs: 20, breaksChain: true },
      ],
      wrongNonces: [{ chip: 2, fraction: 0.5 }],
      duplicateFraction: 0.1,
      replyDelayMs: 5,
    });
    for (const bad of ['corrupt=2', 'nope=1', 'die=5', 'silent=x', 'delay=-1', 'corrupt'])
      assert.throws(() => parseFaults(bad), { name: 'FaultSpecError' }, bad);
  });

  test('silent chip, dead chip, broken chain, reply delay', async () => {
    const r = await rig({ family: 'BM1370', chips: 4, faults: { silentChips: [1], deaths: [{ chip: 2, atMs: 50, breaksChain: true }], replyDelayMs: 30 } });
    await r.send(cmd.readAll(Reg.chipId));
    assert.equal(regReplies(r).length, 0, 'replies are delayed');
    r.clock.advance(30);
    await r.settle();
    assert.equal(regReplies(r).length, 3, 'chip 1 never answers');
    r.replies.length = 0;
    r.clock.advance(100);
    await r.send(cmd.readAll(Reg.chipId));
    r.clock.advance(30);
    await r.settle();
    assert.equal(regReplies(r).length, 1, 'chip 2 died and cut off chip 3: only chip 0 answers');
    assert.throws(() => new ChainSim({ family: 'BM1370', chips: 2, faults: { silentChips: [5] } }), RangeError);
    await r.close();
  });

  test('corruption and byte drops are applied to the reply stream', async () => {
    const r = await rig({ family: 'BM1366', chips: 8, faults: { corruptFraction: 0.5, dropByteFraction: 0.01 }, seed: 9 });
    for (let i = 0; i < 10; i++) await r.send(cmd.readAll(Reg.chipId));
    const st = r.sim.stats();
    assert.ok(st.framesCorrupted > 10);
    // A single flipped bit always fails CRC5, so a corrupted reply never arrives as a good one.
    assert.ok(regReplies(r).length <= 80 - st.framesCorrupted);
    assert.ok(r.parser.stats.crcErrors > 0);
    assert.ok(regReplies(r).length < 80);
    await r.close();
  });
});

describe('replay and starvation', () => {
  test('replay mode: nonces at the set rate without hashing, all meeting its 2^-32 ticket', async () => {
    const r = await rig({ family: 'BM1370', chips: 4, mode: 'replay', replayNoncesPerSecond: 2000 });
    assert.equal(r.sim.effectiveTicketDifficulty, REPLAY_TICKET_DIFFICULTY);
    await address(r, 4);
    const work = testWork(23);
    const enc = FAMILIES.BM1370.encodeWork(work, 24);
    await r.send(enc.frame);
    for (let i = 0; i < 50; i++) r.clock.advance(10);
    await r.settle();
    const found = r.replies.filter((x) => x.isNonce);
    assert.ok(found.length >= 990 && found.length <= 1010, `${found.length} nonces in 0.5 s at 2000/s`);
    assert.equal(r.sim.stats().hashes, 0);
    assert.equal(new Set(found.map((x) => `${nonceOfReply(x)}:${x.extra16}`)).size, found.length, 'no repeats');
    await r.close();
  });

  test('BM1397 starvation: time with the nonce range exhausted and no fresh job is accounted', async () => {
    const r = await rig({ family: 'BM1397', chips: 1, hashrate: 1000 });
    await address(r, 1, 0);
    await r.send(cmd.writeAll(Reg.pll0Parameter, 0x40440221)); // 425 MHz
    await r.send(FAMILIES.BM1397.encodeWork(testWork(24), 4).frame);
    const scan = fullScanTimeMs({ frequencyMhz: 425, chips: 1, smallCores: 672, cores: 168, versions: 4 }) as number;
    assert.ok(Math.abs(scan - 39.48) < 0.1, `one BM1397 at 425 MHz exhausts a 4-midstate job in ~39.5 ms, got ${scan}`);
    r.clock.advance(1000);
    await r.send(FAMILIES.BM1397.encodeWork(testWork(25), 8).frame);
    const st = r.sim.stats();
    assert.ok(Math.abs((st.chips[0]?.starvedMs ?? 0) - (1000 - scan)) < 1, `starved ${st.chips[0]?.starvedMs}`);
    r.clock.advance(20);
    assert.equal(r.sim.stats().chips[0]?.currentlyStarvedMs, 0, 'the fresh job is not exhausted yet');
    await r.close();
  });
});
