// Every command and response frame in ../shared/vectors/bm13xx encodes and decodes as recorded, CRCs
// included; the decoded fields match the vector's own description.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, toHex } from '../../../../../src/work/bytes.js';
import { crc5, crc16CcittFalse } from '../../../../../drivers/asic/bm13xx/crc.js';
import { decodeCommand, encodeCommand } from '../../../../../drivers/asic/bm13xx/command-frame.js';
import { decodeRawResponse, encodeRawResponse, registerReplyOf } from '../../../../../drivers/asic/bm13xx/response-frame.js';
import { BM1397 } from '../../../../../drivers/asic/bm13xx/families/bm1397.js';
import { BM1366 } from '../../../../../drivers/asic/bm13xx/families/bm1366.js';
import { BM1370 } from '../../../../../drivers/asic/bm13xx/families/bm1370.js';
import { nonceOfReply } from '../../../../../drivers/asic/bm13xx/families/common.js';
import { readVectorCsv, vectorTest } from '../../../../helpers/vectors.js';

test('CRC-16/CCITT-FALSE check value and CRC5 worked examples (docs/bm13xx.md "Command frames")', () => {
  assert.equal(crc16CcittFalse(new TextEncoder().encode('123456789')), 0x29b1);
  assert.equal(crc5(fromHex('55AA53050000'), 2), 0x03);
  assert.equal(crc5(fromHex('55AA5305000A'), 2) === 0x03, false, 'a different payload gives a different CRC');
  // Response CRC residue is zero over bytes 2..end (last byte included).
  assert.equal(crc5(fromHex('AA5513971800000006'), 2), 0);
});

vectorTest('commands.csv: every frame decodes, re-encodes byte for byte, CRC5 right', () => {
  const rows = readVectorCsv('bm13xx/commands.csv');
  assert.ok(rows.length >= 21, `${rows.length} command vectors`);
  for (const row of rows) {
    const frame = fromHex(row.frame_hex ?? '');
    assert.equal(row.crc5_verified, 'yes');
    const d = decodeCommand(frame);
    assert.equal(d.crcOk, true, row.name);
    assert.equal(toHex(encodeCommand(d.command)), toHex(frame), row.name);
    // The vector names say what the frame is: check op, register and value against them.
    const name = row.name ?? '';
    const w = /(?:^|\s)([0-9A-F]{2})=([0-9A-F]{8})/i.exec(name);
    if (w) {
      assert.equal(d.command.op, 'write', name);
      if (d.command.op === 'write') {
        assert.equal(d.command.register, Number.parseInt(w[1] as string, 16), name);
        assert.equal(d.command.value, Number.parseInt(w[2] as string, 16), name);
        assert.equal(d.command.broadcast, / all/.test(name), name);
      }
    }
    if (name.startsWith('chain_inactive')) assert.equal(d.command.op, 'chain-inactive');
    if (name.startsWith('set_chip_addr')) assert.deepEqual(d.command, { op: 'set-address', address: Number.parseInt(name.split('0x')[1] as string, 16) });
    if (name.startsWith('read_reg')) assert.equal(d.command.op, 'read');
  }
});

vectorTest('commands.csv: a flipped bit in any frame is caught by the CRC5', () => {
  for (const row of readVectorCsv('bm13xx/commands.csv')) {
    const frame = fromHex(row.frame_hex ?? '');
    for (let bit = 16; bit < frame.length * 8 - 8; bit++) {
      const f = frame.slice();
      f[bit >>> 3] = (f[bit >>> 3] as number) ^ (0x80 >>> (bit & 7));
      let ok = false;
      try {
        ok = decodeCommand(f).crcOk;
      } catch {
        ok = false; // the header or length became impossible: rejected too
      }
      assert.equal(ok, false, `${row.name} bit ${bit}`);
    }
  }
});

/** Pulls `key=0x...` pairs out of the vector's description column. */
function described(s: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of s.matchAll(/([a-z0-9_()]+)=0x([0-9a-f]+)/gi)) m.set((x[1] as string).toLowerCase(), Number.parseInt(x[2] as string, 16));
  return m;
}

vectorTest('responses.csv: every frame decodes, CRC5 right, fields as described, re-encodes identically', () => {
  const rows = readVectorCsv('bm13xx/responses.csv');
  assert.equal(rows.length, 6);
  for (const row of rows) {
    const frame = fromHex(row.frame_hex ?? '');
    const r = decodeRawResponse(frame);
    assert.equal(r.crcOk, true, row.name);
    assert.equal(r.isNonce, row.kind === 'nonce', row.name);
    const again = encodeRawResponse({ length: r.length, isNonce: r.isNonce, data: r.data, b6: r.b6, b7: r.b7, extra16: r.extra16 ?? 0 });
    assert.equal(toHex(again), toHex(frame), row.name);
    const d = described(row.decoded ?? '');
    if (row.kind === 'reg') {
      const reg = registerReplyOf(r);
      assert.equal(reg.value, d.get('value'), row.name);
      if (d.has('chip_addr')) assert.equal(reg.chipAddress, d.get('chip_addr'), row.name);
      if (d.has('reg')) assert.equal(reg.register, d.get('reg'), row.name);
    } else {
      assert.equal(nonceOfReply(r), d.get('nonce(le)'), row.name);
      assert.equal(r.b6, d.get('byte6'), row.name);
      assert.equal(r.b7, d.get('byte7'), row.name);
      if (d.has('ver16')) {
        assert.equal(r.extra16, d.get('ver16'), row.name);
        const fam = (row.name ?? '').includes('1366') ? BM1366 : BM1370;
        assert.equal(fam.decodeNonceIds(r).versionBits, d.get('version_bits'), row.name);
      }
    }
  }
});

vectorTest('responses.csv: family readings of the nonce replies (our [?] choices)', () => {
  const rows = readVectorCsv('bm13xx/responses.csv');
  const byName = (s: string): Uint8Array => fromHex(rows.find((r) => (r.name ?? '').includes(s))?.frame_hex ?? '');
  // BM1397: b7 0x63 -> job 0x60, midstate slot 3 under ESP-Miner's reading (bm13xx-rs reads it otherwise).
  assert.deepEqual(BM1397.decodeNonceIds(decodeRawResponse(byName('nonce BM1397'))), { jobId: 0x60, midstateIndex: 3, smallCore: undefined, versionBits: 0 });
  // BM1366: b7 0x93 -> job 0x90, small core 3.
  const b1366 = BM1366.decodeNonceIds(decodeRawResponse(byName('nonce BM1366')));
  assert.equal(b1366.jobId, 0x90);
  assert.equal(b1366.smallCore, 3);
  // BM1370-class: b7 0x5E -> job 0x28, small core 14 (the vector notes "job=(0x5E&0xF0)>>1=0x28").
  const b1370 = BM1370.decodeNonceIds(decodeRawResponse(byName('nonce BM1370')));
  assert.equal(b1370.jobId, 0x28);
  assert.equal(b1370.smallCore, 14);
  assert.equal(b1370.versionBits, 0x0005c000);
});
