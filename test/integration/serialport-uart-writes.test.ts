// SerialPortUart writes a frame straight to the descriptor when serialport holds nothing, and leaves
// to serialport what the kernel does not take at once (a full output buffer) and everything written
// while serialport still holds bytes: over a real pty, every byte arrives, once, in the order written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SerialPortUart } from '../../drivers/transport/serialport-uart.js';
import { openPtyPair } from '../../workshop/sim/bm13xx/pty.js';

test('frames written at once, a write larger than the pty takes, and frames behind it all arrive in order', async () => {
  const pty = await openPtyPair();
  const host = new SerialPortUart({ path: pty.hostPath, baudRate: 115_200 });
  const got: Uint8Array[] = [];
  let received = 0;
  let expected = 0;
  let whenAll: () => void = () => undefined;
  const all = new Promise<void>((r) => (whenAll = r));
  pty.device.on('data', (b) => {
    got.push(b.slice());
    received += b.length;
    if (received === expected) whenAll();
  });
  try {
    await host.open();
    const frame = (n: number, len = 86): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (n * 31 + i) & 0xff);
    // Far more than a pty's buffer holds (a few kB): part is written at once, the rest goes through
    // serialport, which waits for the pty to drain.
    const big = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 7) & 0xff);
    const sent: Uint8Array[] = [frame(1), frame(2), big];
    for (let n = 3; n < 40; n++) sent.push(frame(n));
    expected = sent.reduce((s, b) => s + b.length, 0);
    // Not awaited one by one: the agent hands frames to the port as they come.
    const writes = sent.map((b) => host.write(b));
    await Promise.all(writes);
    await all;
    const joined = Buffer.concat(got);
    assert.equal(joined.length, expected, 'every byte, once');
    assert.ok(joined.equals(Buffer.concat(sent)), 'in the order written');
    // With serialport idle again, the next frame is written at once and arrives too.
    expected += 86;
    const last = new Promise<void>((r) => (whenAll = r));
    await host.write(frame(99));
    await last;
    assert.ok(Buffer.concat(got).subarray(-86).equals(frame(99)));
  } finally {
    await host.close();
    await pty.close();
  }
});
