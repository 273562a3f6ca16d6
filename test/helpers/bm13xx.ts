/**
 * Helpers for BM13xx tests: realistic work units, nonce verification with SHA-256 (the agent's job), an
 * in-process chain (driver + simulator on a memory UART pair), and waiting for events with a timeout.
 */
import { writeU32LE } from '../../src/work/bytes.js';
import { writeUnitHeader, type NonceReport, type UnitHeader } from '../../src/mining/work-unit.js';
import { MiningHasher } from '../../src/work/sha256-engine.js';
import { u256LeToBigInt } from '../../src/work/target.js';
import { versionWithinMask } from '../../src/work/version-rolling.js';
import { Bm13xxChain, type Bm13xxNonce } from '../../drivers/asic/bm13xx/chain.js';
import { FAST_TIMING, type ChainOptions } from '../../drivers/asic/bm13xx/chain-options.js';
import { chipTicketBound } from '../../drivers/asic/bm13xx/ticket-mask.js';
import { unitHeaderOf } from '../../drivers/asic/bm13xx/work-encoding.js';
import { ChainSim, type SimChainConfig } from '../../workshop/sim/bm13xx/chain-sim.js';
import { createMemoryUartPair, type MemoryUart } from '../../drivers/transport/memory-uart.js';

/** A work unit shaped like a real one (version 0x20000000, BIP320 mask), distinct per seed. */
export function testWork(seed: number, versionMask = 0x1fffe000): UnitHeader {
  const header = new Uint8Array(80);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 4; i < 68; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    header[i] = x & 0xff;
  }
  writeU32LE(header, 0, 0x20000000);
  writeU32LE(header, 68, 0x66000000 + seed);
  writeU32LE(header, 72, 0x17034219);
  return unitHeaderOf(header, versionMask);
}

const hasher = new MiningHasher();
const hash = new Uint8Array(32);

/** True when the report's header hashes below the chip bound for difficulty `d` and its version is in the mask. */
export function verifyReport(r: NonceReport<UnitHeader>, d: number): boolean {
  hasher.setHeader(writeUnitHeader(r.unit, r.version, r.nonce));
  hasher.hashBytes(r.nonce, hash);
  return u256LeToBigInt(hash) < chipTicketBound(d) && versionWithinMask(r.unit.version, r.version, r.unit.rollMask);
}

/** Resolves with the first `n` values `subscribe` delivers that pass `pick`, or rejects after `timeoutMs`. */
export function collectEvents<T>(
  subscribe: (fn: (v: T) => void) => () => void,
  n: number,
  timeoutMs: number,
  pick: (v: T) => boolean = () => true,
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const got: T[] = [];
    const stop = subscribe((v) => {
      if (!pick(v)) return;
      got.push(v);
      if (got.length >= n) {
        clearTimeout(timer);
        stop();
        resolve(got);
      }
    });
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out after ${timeoutMs} ms with ${got.length} of ${n} events`));
    }, timeoutMs);
  });
}

export function nonces<U extends UnitHeader>(
  chain: Bm13xxChain<U>,
  n: number,
  timeoutMs = 120_000,
  pick?: (r: Bm13xxNonce<U>) => boolean,
): Promise<Bm13xxNonce<U>[]> {
  return collectEvents<Bm13xxNonce<U>>(
    (fn) => {
      chain.on('nonce', fn);
      return () => chain.off('nonce', fn);
    },
    n,
    timeoutMs,
    pick,
  );
}

/** Sim-only ticket for tests: with p = 1/(D · 2^32) = 2^-10, 100 kH/s gives ~100 nonces/s. */
export const TEST_SIM_TICKET = 2 ** -22;

export interface InProcessChain {
  chain: Bm13xxChain<UnitHeader>;
  sim: ChainSim;
  host: MemoryUart;
  device: MemoryUart;
  close(): Promise<void>;
}

export async function inProcessChain(
  sim: Omit<SimChainConfig, 'simTicketDifficulty'> & { simTicketDifficulty?: number },
  chain: Partial<ChainOptions> = {},
  hostPort?: MemoryUart,
): Promise<InProcessChain> {
  const [h, device] = createMemoryUartPair();
  const host = hostPort ?? h;
  if (hostPort) {
    hostPort.peer = device;
    device.peer = hostPort;
  }
  await device.open();
  const s = new ChainSim({ hashrate: 100_000, simTicketDifficulty: TEST_SIM_TICKET, ...sim });
  s.attach(device);
  const c = new Bm13xxChain<UnitHeader>(host, {
    family: sim.family,
    expectedChips: sim.chips,
    timing: FAST_TIMING,
    reset: (a) => s.setReset(a),
    ...chain,
  });
  // The simulated chips report at the simulator's ticket difficulty, not the register's.
  c.useChipFigures({ ticketDifficulty: s.effectiveTicketDifficulty });
  return {
    chain: c,
    sim: s,
    host,
    device,
    close: async () => {
      await c.close();
      s.detach();
      await device.close();
    },
  };
}

/**
 * A chain driver for simulated chips that report at `nonceDifficulty` (a sim-only ticket below 1 so that a
 * CPU finds nonces), not at the register's: what the agent does for a simulated chain's device.
 */
export function simulatedChain(port: ConstructorParameters<typeof Bm13xxChain>[0], opts: ChainOptions, nonceDifficulty: number): Bm13xxChain<UnitHeader> {
  const c = new Bm13xxChain<UnitHeader>(port, opts);
  c.useChipFigures({ ticketDifficulty: nonceDifficulty });
  return c;
}
