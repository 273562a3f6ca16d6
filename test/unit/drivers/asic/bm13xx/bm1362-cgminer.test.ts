// Issue 15, point 8: BM1362 follows the only driver that knows it, kano's cgminer (driver-gekko.c): job
// LEN byte 0x36, one 0xA4 write (after the ramp, none before enumeration), the chain left at 115200.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCommand, type Command } from '../../../../../drivers/asic/bm13xx/command-frame.js';
import { FAMILIES } from '../../../../../drivers/asic/bm13xx/family.js';
import { Reg } from '../../../../../drivers/asic/bm13xx/registers/addresses.js';
import { inProcessChain, nonces, testWork, verifyReport } from '../../../../helpers/bm13xx.js';

test('BM1362 job frames carry LEN 0x36', () => {
  const enc = FAMILIES.BM1362.encodeWork(testWork(5), 0x10);
  assert.equal(enc.frame.length, 88);
  assert.equal(enc.frame[3], 0x36);
  assert.equal(FAMILIES.BM1366.encodeWork(testWork(5), 0x08).frame[3], 0x56, "BM1366 keeps ESP-Miner's 0x56");
});

test('BM1362 bring-up: one 0xA4 write after the ramp, none before enumeration, no baud change; nonces verify', async () => {
  const t = await inProcessChain({ family: 'BM1362', chips: 3 });
  const sent: Command[] = [];
  const write = t.host.write.bind(t.host);
  t.host.write = (d) => {
    if (d.length === 7 || d.length === 11) sent.push(decodeCommand(d).command);
    return write(d);
  };
  try {
    const up = await t.chain.bringUp();
    assert.equal(up.hostBaud, 115_200);
    assert.equal(t.host.baudRate, 115_200);
    const a4 = sent.map((c, i) => (c.op === 'write' && c.register === Reg.versionRolling ? i : -1)).filter((i) => i >= 0);
    assert.equal(a4.length, 1, 'exactly one 0xA4 write');
    const firstRead = sent.findIndex((c) => c.op === 'read' && c.register === Reg.chipId);
    const lastPll =
      sent
        .map((c, i) => (c.op === 'write' && c.register === Reg.pll0Parameter ? i : -1))
        .filter((i) => i >= 0)
        .at(-1) ?? -1;
    assert.ok((a4[0] as number) > firstRead && (a4[0] as number) > lastPll, 'after enumeration and after the ramp');
    assert.ok(!sent.some((c) => c.op === 'write' && (c.register === Reg.fastUart || c.register === Reg.pll1Parameter)), 'no baud registers written');
    await t.chain.dispatch(testWork(6));
    for (const r of await nonces(t.chain, 2)) assert.ok(verifyReport(r, t.chain.nonceDifficulty));
  } finally {
    await t.close();
  }
});
