/**
 * BM13xx driver and simulator costs: the response parser, the driver's nonce path (decode, job ring,
 * dedupe, event; no SHA-256, which is the agent's), the simulator's hashing, and 4 replaying chains at
 * 2000 nonces/s each with their drivers in one process (CPU share of one core).
 */
import type { Bm13xxChain } from '../../drivers/asic/bm13xx/chain.js';
import { FAST_TIMING } from '../../drivers/asic/bm13xx/chain-options.js';
import { BM1370 } from '../../drivers/asic/bm13xx/families/bm1370.js';
import { composeNonce, ESP_MINER_NONCE_LAYOUT } from '../../drivers/asic/bm13xx/nonce-layout.js';
import { ResponseParser } from '../../drivers/asic/bm13xx/response-parser.js';
import { ChainSim } from '../../workshop/sim/bm13xx/chain-sim.js';
import { createMemoryUartPair } from '../../drivers/transport/memory-uart.js';
import { writeU32LE } from '../../src/work/bytes.js';
import { rate, type Bench } from './bench.js';
import { unitHeaderOf } from '../../drivers/asic/bm13xx/work-encoding.js';
import type { UnitHeader } from '../../src/mining/work-unit.js';
import { simulatedChain } from '../../test/helpers/bm13xx.js';

function work(seed: number): UnitHeader {
  const header = new Uint8Array(80).map((_, i) => (i * 37 + seed) & 0xff);
  writeU32LE(header, 0, 0x20000000);
  return unitHeaderOf(header, 0x1fffe000);
}

async function upChain(
  opts: { replay?: number } = {},
): Promise<{ chain: Bm13xxChain<UnitHeader>; sim: ChainSim; device: ReturnType<typeof createMemoryUartPair>[1] }> {
  const [host, device] = createMemoryUartPair();
  await device.open();
  const sim = new ChainSim(
    opts.replay
      ? { family: 'BM1370', chips: 4, mode: 'replay', replayNoncesPerSecond: opts.replay }
      : { family: 'BM1370', chips: 4, hashrate: 1000, simTicketDifficulty: 2 ** -20 },
  );
  sim.attach(device);
  const chain = simulatedChain(host, { family: 'BM1370', expectedChips: 4, timing: FAST_TIMING, reset: (a) => sim.setReset(a) }, sim.effectiveTicketDifficulty);
  await chain.bringUp();
  return { chain, sim, device };
}

const bench: Bench = {
  name: 'bm13xx',
  async run({ quick }) {
    const ms = quick ? 500 : 2000;

    // Parser: a stream of 11-byte nonce replies with a garbage byte every 8 frames, in 64-byte chunks.
    const frames: number[] = [];
    for (let i = 0; i < 4096; i++) {
      frames.push(
        ...BM1370.encodeNonceReply({ nonce: i * 2654435761, jobId: 24, midstateIndex: 0, smallCore: i & 15, versionBits: (i & 0xffff) << 13, b6: 0 }),
      );
      if (i % 8 === 0) frames.push(0x13);
    }
    const stream = Uint8Array.from(frames);
    let seen = 0;
    const parser = new ResponseParser(11, () => seen++);
    const passes = rate(
      (n) => {
        for (let k = 0; k < n; k++) for (let o = 0; o < stream.length; o += 64) parser.push(stream.subarray(o, o + 64));
      },
      { ms, batch: 4 },
    );
    const parserFramesPerS = passes * 4096;

    // Driver nonce path: frames written on the device end, counted as 'nonce' events.
    const t = await upChain();
    const jobId = await t.chain.dispatch(work(1));
    t.sim.detach();
    const n = quick ? 20_000 : 100_000;
    const batch: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const nonce = composeNonce({ core: i & 127, addressField: (i >>> 7) & 255, counter: i >>> 15 }, ESP_MINER_NONCE_LAYOUT);
      batch.push(BM1370.encodeNonceReply({ nonce, jobId, midstateIndex: 0, smallCore: i & 15, versionBits: 0, b6: 0 }));
    }
    let got = 0;
    const done = new Promise<void>((resolve) => t.chain.on('nonce', () => ++got === n && resolve()));
    const t0 = performance.now();
    for (let i = 0; i < n; i += 500) {
      const part = batch.slice(i, i + 500);
      const buf = new Uint8Array(part.length * 11);
      part.forEach((f, k) => buf.set(f, k * 11));
      await t.device.write(buf);
    }
    await done;
    const noncePathPerS = n / ((performance.now() - t0) / 1000);
    await t.chain.close();

    // Simulator hashing (no CPU guard), one chip, full-header job with rolling.
    const [h2, d2] = createMemoryUartPair();
    await d2.open();
    await h2.open();
    const sim = new ChainSim({ family: 'BM1370', chips: 1, hashrate: 1e9, simTicketDifficulty: 1, maxSliceCpuMs: Number.POSITIVE_INFINITY });
    sim.attach(d2);
    sim.stop();
    await h2.write(BM1370.encodeWork(work(2), 24).frame);
    await new Promise((r) => setImmediate(r));
    const simRate = rate(() => sim.hashFor(1), { ms, batch: 1 });
    const simHashesPerS = (simRate * 1e9) / 1000;
    sim.detach();

    // Four replaying chains at 2000 nonces/s each, drivers included, for `ms`.
    const chains = await Promise.all([0, 1, 2, 3].map(() => upChain({ replay: 2000 })));
    let total = 0;
    for (const c of chains) c.chain.on('nonce', () => total++);
    await Promise.all(chains.map((c, i) => c.chain.dispatch(work(10 + i))));
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, ms));
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - w0;
    for (const c of chains) {
      await c.chain.close();
      c.sim.detach();
    }
    return {
      parser_frames_per_s: Math.round(parserFramesPerS),
      nonce_path_per_s: Math.round(noncePathPerS),
      sim_hashes_per_s: Math.round(simHashesPerS),
      replay_4x2000_nonces_per_s: Math.round(total / (wall / 1000)),
      replay_4x2000_cpu_percent: Number((((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(1)),
    };
  },
};
export default bench;
