// Host UART models (Linux PL011 and Pi mini UART drivers) and the frame tolerance the simulators judge by.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXACT_HOST_UART, garbleAtWrongRate, miniUart, pl011, uartFrameIntact } from '../../../../drivers/transport/host-uart-clock.js';
import { createMemoryUartPair } from '../../../../drivers/transport/memory-uart.js';

const near = (a: number, b: number, tol = 0.5): boolean => Math.abs(a - b) <= tol;

test('a 48 MHz PL011: 1,041,667 within 0.17 %, 1,000,000 exact, 1,562,500 within 0.1 %, nothing above 3 Mbaud', () => {
  const hw = pl011(48_000_000);
  assert.equal(hw.maxBaud, 3_000_000);
  const fast = hw.lineRate(1_041_667);
  assert.ok(near(fast, (48e6 * 4) / 184), `quot 184: ${fast}`);
  assert.ok(Math.abs(fast - 25e6 / 24) / (25e6 / 24) < 0.0018, 'BM1366+ chips at 25 MHz / 24');
  assert.equal(hw.lineRate(1_000_000), 1_000_000);
  assert.ok(Math.abs(hw.lineRate(1_562_500) - 1_562_500) / 1_562_500 < 0.001);
  // uart_get_baud_rate: above the maximum the previous rate stays in termios.
  assert.equal(hw.accept(3_125_000, 115_200), 115_200);
  assert.equal(hw.accept(3_000_000, 115_200), 3_000_000);
});

test('the Pi mini UART on a 250 MHz core clock: exact 1,041,667 and 3,125,000, 1,000,000 off by 0.8 %', () => {
  const hw = miniUart(250_000_000);
  assert.ok(near(hw.lineRate(1_041_667), 250e6 / 240, 1));
  assert.ok(near(hw.lineRate(3_125_000), 3_125_000, 1));
  assert.ok(near(hw.lineRate(1_000_000), 250e6 / 248, 1));
  assert.equal(hw.accept(40_000_000, 115_200), 115_200);
});

test("frame tolerance: ESP-Miner's 1,000,000 host against 1,041,667 chips decodes both ways; 115200 against 1 Mbaud does not", () => {
  const chip = 25e6 / 24;
  assert.ok(uartFrameIntact(1_000_000, chip, 8), 'chips (8× oversampling) read a 4 % slower host');
  assert.ok(uartFrameIntact(chip, 1_000_000, 16), 'the host reads chips 4 % faster');
  assert.ok(!uartFrameIntact(115_200, 1_000_000, 16));
  assert.ok(!uartFrameIntact(1_000_000, 115_200, 16));
  // The stop bit's sample must stay inside the stop bit: about 4.4 % slower or 5.3 % faster at 16×.
  assert.ok(uartFrameIntact(1_000_000, 1_000_000 / 1.04, 16));
  assert.ok(!uartFrameIntact(1_000_000, 1_000_000 / 1.05, 16));
  assert.ok(uartFrameIntact(1_000_000, 1_000_000 * 1.05, 16));
  assert.ok(!uartFrameIntact(1_000_000, 1_000_000 * 1.06, 16));
});

test('garbage at the wrong rate: fewer bytes when the receiver is slower, never the original', () => {
  const data = Uint8Array.from({ length: 88 }, (_, i) => i);
  const g = garbleAtWrongRate(data, 1_000_000, 115_200);
  assert.equal(g.length, Math.round((88 * 115_200) / 1_000_000));
  assert.notDeepEqual(Array.from(g), Array.from(data.subarray(0, g.length)));
  assert.equal(EXACT_HOST_UART.lineRate(123_457), 123_457);
});

test('a memory UART end with a PL011: the kernel keeps 115200 for 3.125 Mbaud and the read-back refuses it', async () => {
  const [host, dev] = createMemoryUartPair({ hostUart: pl011() });
  await host.open();
  await dev.open();
  await assert.rejects(
    host.setBaudRate(3_125_000),
    (e: Error) => e.name === 'UartBaudError' && /host UART cannot do 3125000 baud/.test(e.message) && /runs at 115200/.test(e.message),
  );
  assert.equal(host.baudRate, 115_200, 'the port reports the rate it runs at');
  await host.setBaudRate(1_041_667);
  assert.equal(host.baudRate, 1_041_667);
  assert.ok(Math.abs(host.lineRate() - (48e6 * 4) / 184) < 1);
});
