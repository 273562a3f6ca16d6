// The link between the host's UART and a simulated chain is as strict as a wire: the simulator reads the
// rate the host set on its pseudo-terminal (TCGETS2) and garbles what a UART could not decode, chips keep
// a switched baud until their reset line is pulsed, and a host whose kernel cannot produce a rate says so
// on read-back (SerialPortUart through a PL011 kernel model in front of the real binding).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { FAST_TIMING } from '../../drivers/asic/bm13xx/chain-options.js';
import { cmd, decodeCommand } from '../../drivers/asic/bm13xx/command-frame.js';
import { Reg } from '../../drivers/asic/bm13xx/registers/addresses.js';
import { openPtyPair, startPtySim, type PtySim } from '../../workshop/sim/bm13xx/pty.js';
import { pl011 } from '../../drivers/transport/host-uart-clock.js';
import { SerialPortUart } from '../../drivers/transport/serialport-uart.js';
import { kernelUartBinding } from '../helpers/kernel-uart-binding.js';
import { nonces, simulatedChain, testWork, TEST_SIM_TICKET, verifyReport } from '../helpers/bm13xx.js';
import type { ChainBringUpError } from '../../drivers/asic/bm13xx/errors.js';
import { waitFor } from '../helpers/wait.js';

const opened: PtySim[] = [];
after(async () => {
  for (const ps of opened) await ps.close();
});

test('the host port applies every rate on a pty and reads it back; the simulator sees the same rate', async () => {
  const pty = await openPtyPair();
  const host = new SerialPortUart({ path: pty.hostPath, baudRate: 115_200 });
  try {
    await host.open();
    for (const b of [1_041_667, 3_125_000, 1_562_500, 115_200]) {
      await host.setBaudRate(b);
      assert.equal(host.baudRate, b);
      assert.equal(pty.device.hostBaud(), b, `the slave's termios holds ${b}`);
    }
  } finally {
    await host.close();
    await pty.close();
  }
});

test('a PL011 kernel keeps 115200 for 3.125 Mbaud: the read-back refuses it, naming both rates', async () => {
  const pty = await openPtyPair();
  const host = new SerialPortUart({ path: pty.hostPath, baudRate: 115_200, binding: kernelUartBinding(pl011()) });
  try {
    await host.open();
    await assert.rejects(
      host.setBaudRate(3_125_000),
      (e: Error) => e.name === 'UartBaudError' && e.message.includes('host UART cannot do 3125000 baud') && e.message.includes('runs at 115200'),
    );
    assert.equal(host.baudRate, 115_200, 'the port says what the line runs at');
    assert.equal(pty.device.hostBaud(), 115_200);
    await host.setBaudRate(1_562_500);
    assert.equal(host.baudRate, 1_562_500);
  } finally {
    await host.close();
    await pty.close();
  }
});

test('chips keep their switched baud: a host back at 115200 is garbage to them until the reset line is pulsed', async () => {
  const ps = await startPtySim({ family: 'BM1370', chips: 4, simTicketDifficulty: TEST_SIM_TICKET });
  opened.push(ps);
  const host = new SerialPortUart({ path: ps.hostPath, baudRate: 115_200 });
  const chain = simulatedChain(host, { family: 'BM1370', expectedChips: 4, timing: FAST_TIMING, reset: (a) => ps.sim.setReset(a) }, TEST_SIM_TICKET);
  try {
    const up = await chain.bringUp();
    assert.ok(up.hostBaud > 115_200);
    await chain.holdInReset();
    ps.sim.setReset(false);
    // holdInReset asserted the line: the chips are back at 115200.
    const replies: Uint8Array[] = [];
    host.on('data', (d) => replies.push(d));
    await host.setBaudRate(115_200);
    await host.write(cmd.readAll(Reg.chipId));
    await waitFor(() => replies.reduce((n, r) => n + r.length, 0) >= 4 * 11, 'four chip-id replies at 115200 after a reset');

    // Now switch the chips (the bring-up does), then talk at 115200 without a reset: nothing decodes.
    await chain.reinit();
    const garbledBefore = ps.sim.stats().hostChunksGarbled;
    const commandsBefore = ps.sim.stats().host.commands;
    await host.setBaudRate(115_200);
    await host.write(cmd.readAll(Reg.chipId));
    await waitFor(() => ps.sim.stats().hostChunksGarbled > garbledBefore, 'the chips to receive the read at the wrong rate');
    assert.equal(ps.sim.stats().host.commands, commandsBefore, 'no command decoded at the wrong rate');
  } finally {
    await chain.close();
  }
});

// Issue 15, point 3: a baud the host cannot produce is refused up front, naming the rate, and the chips
// are never told to move; BM1397 at 1,562,500 (0x18 = 0x00006131) runs on the same PL011.
test('BM1397 on a 48 MHz PL011: 3.125 Mbaud is refused before the chips move; 1,562,500 comes up', async () => {
  const ps = await startPtySim({ family: 'BM1397', chips: 3, simTicketDifficulty: TEST_SIM_TICKET }, pl011());
  opened.push(ps);
  const binding = kernelUartBinding(pl011());
  const host = new SerialPortUart({ path: ps.hostPath, baudRate: 115_200, binding });
  const chain = simulatedChain(host, { family: 'BM1397', expectedChips: 3, timing: FAST_TIMING, reset: (a) => ps.sim.setReset(a) }, TEST_SIM_TICKET);
  try {
    await assert.rejects(
      chain.bringUp(),
      (e: Error) =>
        e.name === 'ChainBringUpError' && e.message.includes('host UART cannot do 3125000 baud') && (e as ChainBringUpError).detail.stage === 'baud',
    );
    assert.ok(Math.abs((ps.sim.chips[0]?.baud() ?? 0) - 25e6 / 216) < 1, 'the chips were never switched (BT8D 26)');
  } finally {
    await chain.close();
  }
  const host2 = new SerialPortUart({ path: ps.hostPath, baudRate: 115_200, binding });
  const chain2 = simulatedChain(
    host2,
    { family: 'BM1397', expectedChips: 3, fastBaud: 1_562_500, timing: FAST_TIMING, reset: (a) => ps.sim.setReset(a) },
    TEST_SIM_TICKET,
  );
  const writes: number[] = [];
  const write = host2.write.bind(host2);
  host2.write = (d) => {
    const c = d.length === 11 ? decodeCommand(d).command : undefined;
    if (c?.op === 'write' && c.register === Reg.miscControl) writes.push(c.value);
    return write(d);
  };
  try {
    const up = await chain2.bringUp();
    assert.equal(up.hostBaud, 1_562_500);
    assert.equal(up.chipBaud, 1_562_500);
    assert.equal(writes.at(-1), 0x00006131, 'misc control 0x18 = 0x00006131 (BT8D = 1)');
    await chain2.dispatch(testWork(41));
    for (const r of await nonces(chain2, 2)) assert.ok(verifyReport(r, chain2.nonceDifficulty));
  } finally {
    await chain2.close();
  }
});

test("BM1370 at the chips' own 1,041,667 on a PL011 (0.17 % off) and ESP-Miner's 1,000,000 (4 % off) both decode", async () => {
  for (const fastBaud of [1_041_667, 1_000_000]) {
    const ps = await startPtySim({ family: 'BM1370', chips: 2, simTicketDifficulty: TEST_SIM_TICKET }, pl011());
    opened.push(ps);
    const host = new SerialPortUart({ path: ps.hostPath, baudRate: 115_200, binding: kernelUartBinding(pl011()) });
    const chain = simulatedChain(
      host,
      { family: 'BM1370', expectedChips: 2, fastBaud, timing: FAST_TIMING, reset: (a) => ps.sim.setReset(a) },
      TEST_SIM_TICKET,
    );
    try {
      const up = await chain.bringUp();
      assert.equal(up.hostBaud, fastBaud);
      assert.equal(ps.sim.stats().hostChunksGarbled + ps.sim.stats().replyChunksGarbled, 0);
    } finally {
      await chain.close();
    }
  }
});
