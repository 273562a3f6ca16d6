// Every chain gets the board's reset line (issue 15, point 1): a real-UART chain (here the real serialport
// binding on a pseudo-terminal, the simulator behind it) whose chips went silent is re-initialised with a
// reset pulse on the line, and comes back. The simulated chips keep their fast baud until that pulse.
// Also the chain simulator process (`asic-agent sim`) takes its reset line over its stdin pipe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAST_TIMING } from '../../drivers/asic/bm13xx/chain-options.js';
import { cmd } from '../../drivers/asic/bm13xx/command-frame.js';
import { Reg } from '../../drivers/asic/bm13xx/registers/addresses.js';
import { startPtySim } from '../../workshop/sim/bm13xx/pty.js';
import { SimGpioChip, simGpioOpener } from '../../workshop/sim/sim-gpio.js';
import { SerialPortUart } from '../../drivers/transport/serialport-uart.js';
import { ChainSet, type ChainRuntime } from '../../src/agent/chain-set.js';
import { startSimChain } from '../../workshop/sim/sim-chain-process.js';
import { systemClock } from '../../src/clock.js';
import { logger } from '../../src/log.js';
import { MiningStats } from '../../src/mining/mining-stats.js';
import { simulatedChain, TEST_SIM_TICKET } from '../helpers/bm13xx.js';
import { waitFor } from '../helpers/wait.js';

test('a real-UART chain whose chips fall silent is re-initialised through the board reset line and comes back', async () => {
  const ps = await startPtySim({ family: 'BM1370', chips: 4, simTicketDifficulty: TEST_SIM_TICKET });
  // The board's GPIO controller, its line 3 wired to the chips' nRST (active-low).
  const gpio = new SimGpioChip('bench-gpio', 8, 0);
  let pulses = 0;
  gpio.onChange((_chip, line, level) => {
    if (line !== 3) return;
    ps.sim.setReset(level === 0);
    if (level === 0) pulses++;
  });
  const reset = await simGpioOpener([gpio])('reset0', { chip: 'bench-gpio', line: 3, activeLow: true }, 1);
  await reset.write(0); // the board released it at power-up
  const ups: ChainRuntime[] = [];
  const stats = new MiningStats(systemClock);
  const set = new ChainSet({
    specs: [
      {
        index: 0,
        uart: ps.hostPath,
        simulated: false,
        family: 'bm1370',
        chips: 4,
        baud: 115_200,
        frequencyMhz: 75,
        minFrequencyMhz: 50,
        frequencyStepMhz: 25,
        ticketDifficulty: 1,
      },
    ],
    clock: systemClock,
    log: logger('test.chains'),
    stats,
    onHashing: () => undefined,
    healthCheckMs: 100,
    retryMs: 100,
    resetLine: (i) => (i === 0 ? reset : undefined),
  });
  set.on('up', (c) => ups.push(c));
  // The scheduler's side of chain health: silence only counts while units go to the chain (issue 21
  // D4). Units are recorded sent in the stats sink; none reaches the chips, so they return no nonces.
  const units = setInterval(() => stats.recordWorkSent(0), 100);
  try {
    await set.start();
    assert.equal(set.chains[0]?.state, 'running');
    const before = pulses;
    // Work "sent", no nonces: after the health window (5 s at ticket 1) the chain counts as dead.
    await waitFor(() => ups.length >= 2, 'the chain to come back after a re-init', 60_000);
    const c = set.chains[0] as ChainRuntime;
    assert.equal(c.state, 'running');
    assert.equal(c.up?.chipCount, 4);
    assert.ok(c.reinits >= 1);
    assert.equal(c.bringUpFailures, 0, 'the re-init did not fail first');
    assert.ok(pulses > before, 'the re-init pulsed the reset line');
  } finally {
    clearInterval(units);
    await set.close();
    await ps.close();
  }
});

test('the chain simulator process takes its reset line over stdin and acknowledges it', async () => {
  const proc = await startSimChain({ family: 'BM1368', chips: 2, hashrate: 10_000, simTicketDifficulty: TEST_SIM_TICKET }, logger('test.sim'));
  const host = new SerialPortUart({ path: proc.devicePath, baudRate: 115_200 });
  const chain = simulatedChain(host, { family: 'BM1368', expectedChips: 2, timing: FAST_TIMING, reset: (a) => proc.setReset(a) }, proc.simTicketDifficulty);
  try {
    const up = await chain.bringUp();
    assert.ok(up.hostBaud > 115_200);
    await proc.setReset(true);
    await proc.setReset(false);
    // After the pulse the chips are back at 115200: a read at 115200 gets both chip ids.
    const got: number[] = [];
    host.on('data', (d) => got.push(...d));
    await host.setBaudRate(115_200);
    await host.write(cmd.readAll(Reg.chipId));
    await waitFor(() => got.length >= 2 * 11, 'two chip-id replies at 115200');
  } finally {
    await chain.close();
    await proc.stop();
  }
});
