/**
 * A simulated BM13xx chain in this process, brought up for the scheduler: ChainSim on one end of an
 * in-memory UART pair, the real driver (itself the scheduler's MiningChain) on the other. Used by the
 * pipeline tests and the agent benchmarks.
 */
import { Bm13xxChain, type BringUpResult } from '../../drivers/asic/bm13xx/chain.js';
import { FAST_TIMING } from '../../drivers/asic/bm13xx/chain-options.js';
import type { FamilyName } from '../../drivers/asic/bm13xx/family.js';
import { ChainSim, type SimChainConfig } from '../../workshop/sim/bm13xx/chain-sim.js';
import { createMemoryUartPair, type MemoryUart } from '../../drivers/transport/memory-uart.js';
import type { ManualClock } from '../../src/clock.js';

export interface InProcessChain {
  /** The chain driver: the scheduler's MiningChain. */
  driver: Bm13xxChain;
  /** What the bring-up found. */
  up: BringUpResult;
  sim: ChainSim;
  /** The host end of the UART (the driver's side). */
  host: MemoryUart;
  /** The device end (the simulator's side): bytes written here reach the driver. */
  dev: MemoryUart;
  close(): Promise<void>;
}

export async function inProcessChain(o: {
  index: number;
  family: FamilyName;
  chips: number;
  /** The simulator's settings besides family and chips (hashrate, mode, faults...). */
  sim?: Partial<SimChainConfig>;
  simTicketDifficulty: number;
  /** Runs before bring-up with the host port (e.g. to watch its writes) and the driver. */
  before?: (host: MemoryUart, driver: Bm13xxChain) => void;
  /** A ManualClock for the simulator and the driver; bring-up then advances it until done. */
  clock?: ManualClock;
}): Promise<InProcessChain> {
  const [host, dev] = createMemoryUartPair();
  await dev.open();
  // The simulator reports at the same sim-only ticket the host expects (replay mode has its own).
  const sim = new ChainSim({
    family: o.family,
    chips: o.chips,
    ...(o.sim?.mode === 'replay' ? {} : { simTicketDifficulty: o.simTicketDifficulty }),
    ...(o.clock ? { clock: o.clock } : {}),
    ...o.sim,
  });
  sim.attach(dev);
  sim.start();
  const driver = new Bm13xxChain(host, {
    index: o.index,
    family: o.family,
    expectedChips: o.chips,
    timing: FAST_TIMING,
    name: `${o.family}-${o.index}`,
    ...(o.clock ? { clock: o.clock } : {}),
  });
  // The simulated chips report at the sim-only ticket (the scheduler paces units as for the silicon).
  driver.useChipFigures({ ticketDifficulty: o.simTicketDifficulty });
  o.before?.(host, driver);
  const bringUp = driver.bringUp();
  const clock = o.clock;
  if (clock) {
    let done = false;
    void bringUp.then(
      () => (done = true),
      () => (done = true),
    );
    while (!done) {
      clock.advance(1);
      await new Promise((r) => setImmediate(r));
    }
  }
  const up = await bringUp;
  return {
    up,
    driver,
    sim,
    host,
    dev,
    close: async () => {
      sim.stop();
      await driver.close();
      sim.detach();
      await dev.close();
    },
  };
}
