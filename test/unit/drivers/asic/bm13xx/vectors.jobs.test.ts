// Job frames from ../shared/vectors/bm13xx/jobs.json: each decodes, re-encodes identically with its CRC16,
// and the ones with inputs are rebuilt from those inputs. The real BM1397 job + chip nonce (midstate
// slot 2) verifies with SHA-256.
import assert from 'node:assert/strict';
import { fromHex, parseU32Hex, toHex, readU32BE } from '../../../../../src/work/bytes.js';
import { fromDisplayOrder, prevHashFromStratumV1 } from '../../../../../src/work/byte-order.js';
import { buildHeader } from '../../../../../src/work/header.js';
import { midstate, MiningHasher } from '../../../../../src/work/sha256-engine.js';
import { decodeJobFrame, encodeFullHeaderJob, encodeMidstateJob, JOB_HDR } from '../../../../../drivers/asic/bm13xx/job-frame.js';
import { crc16CcittFalse } from '../../../../../drivers/asic/bm13xx/crc.js';
import { BM1366 } from '../../../../../drivers/asic/bm13xx/families/bm1366.js';
import { BM1397 } from '../../../../../drivers/asic/bm13xx/families/bm1397.js';
import { nonceOfReply } from '../../../../../drivers/asic/bm13xx/families/common.js';
import { decodeRawResponse } from '../../../../../drivers/asic/bm13xx/response-frame.js';
import { readVectorJson, vectorTest } from '../../../../helpers/vectors.js';
import { unitHeaderOf } from '../../../../../drivers/asic/bm13xx/work-encoding.js';

interface Jobs {
  bm1397_job_esp_miner_verifier: {
    frame_hex: string;
    inputs: { prevhash_stratum: string; version: string; merkle_root_internal: string; midstate_state_words_H0_H7: string };
  };
  bm1397_real_nonce: {
    job_payload_hex: string;
    expected_response: { nonce_wire_bytes: string; nonce_le: string; job_id_byte_low2bits_midstate: number; job_id_masked: string };
  };
  bm13xx_rs_job_midstate_1: { frame_hex: string };
  bm13xx_rs_job_midstate_4: { frame_hex: string };
  bm13xx_rs_job_header: {
    frame_hex: string;
    inputs: { job_id_byte: string; nbits: string; ntime: string; version: string; merkle_root_display_order: string; prev_hash_display_order: string };
  };
  esp_miner_nonce_diff_1: {
    prevhash_stratum: string;
    version: string;
    nbits: string;
    ntime: string;
    merkle_root_internal: string;
    nonce: string;
    header80_hex: string;
    diff: number;
  };
  DERIVED_bm1366_job_for_nonce_diff_1: { job_id: string; frame_hex_len56: string; frame_hex_len36: string; example_response_hex: string };
}

const jobs = (): Jobs => readVectorJson<Jobs>('bm13xx/jobs.json');

vectorTest('every job frame in jobs.json decodes, re-encodes byte for byte, CRC16 right', () => {
  const j = jobs();
  const frames = [
    j.bm1397_job_esp_miner_verifier.frame_hex,
    j.bm13xx_rs_job_midstate_1.frame_hex,
    j.bm13xx_rs_job_midstate_4.frame_hex,
    j.bm13xx_rs_job_header.frame_hex,
    j.DERIVED_bm1366_job_for_nonce_diff_1.frame_hex_len56,
    j.DERIVED_bm1366_job_for_nonce_diff_1.frame_hex_len36,
  ];
  for (const hex of frames) {
    const f = fromHex(hex);
    const d = decodeJobFrame(f);
    assert.equal(d.crcOk, true, hex.slice(0, 16));
    assert.equal(d.crc, crc16CcittFalse(f, 2, f.length - 2));
    const again =
      d.format === 'full-header'
        ? encodeFullHeaderJob(d.job, { lengthByte: d.lengthByte })
        : encodeMidstateJob(d.job, { slots: d.slots, lengthByte: d.lengthByte });
    assert.equal(toHex(again), toHex(f));
  }
});

vectorTest('ESP-Miner verifier BM1397 frame: rebuilt from its notify inputs (midstate in slot 0 of 4)', () => {
  const v = jobs().bm1397_job_esp_miner_verifier;
  const d = decodeJobFrame(fromHex(v.frame_hex), 'midstate');
  assert.equal(d.format, 'midstate');
  if (d.format !== 'midstate') return;
  // The first 64 header bytes: version, prev hash, the first 28 bytes of the merkle root.
  const header = buildHeader({
    version: parseU32Hex(v.inputs.version.replace(/^0x/, '')),
    prevHash: prevHashFromStratumV1(fromHex(v.inputs.prevhash_stratum)),
    merkleRoot: fromHex(v.inputs.merkle_root_internal),
    ntime: d.job.ntime,
    nbits: d.job.nbits,
    nonce: 0,
  });
  const mid = midstate(header);
  assert.equal(Array.from(mid, (w) => w.toString(16).padStart(8, '0')).join(''), v.inputs.midstate_state_words_H0_H7.replace(/ /g, '').toLowerCase());
  const zero = new Uint32Array(8);
  const rebuilt = encodeMidstateJob(
    {
      jobId: 4,
      numMidstatesByte: 4,
      startingNonce: 0,
      nbits: d.job.nbits,
      ntime: d.job.ntime,
      merkleTail: header.slice(64, 68),
      midstates: [mid, zero, zero, zero],
    },
    { slots: 4 },
  );
  assert.equal(toHex(rebuilt), v.frame_hex.toLowerCase());
});

vectorTest('bm13xx-rs full-header frame rebuilt from its inputs (job 21 -> 0xA8, LEN 0x36)', () => {
  const v = jobs().bm13xx_rs_job_header;
  const f = encodeFullHeaderJob(
    {
      jobId: Number.parseInt(v.inputs.job_id_byte, 16),
      startingNonce: 0,
      nbits: parseU32Hex(v.inputs.nbits.slice(2)),
      ntime: parseU32Hex(v.inputs.ntime.slice(2)),
      version: parseU32Hex(v.inputs.version.slice(2)),
      merkleRoot: fromDisplayOrder(fromHex(v.inputs.merkle_root_display_order)),
      prevHash: fromDisplayOrder(fromHex(v.inputs.prev_hash_display_order)),
    },
    { lengthByte: 0x36 },
  );
  assert.equal(toHex(f), v.frame_hex.toLowerCase());
  assert.equal(f[2], JOB_HDR);
});

vectorTest('DERIVED BM1366 job from the ESP-Miner diff-18 header, and its example nonce reply', () => {
  const j = jobs();
  const h = j.esp_miner_nonce_diff_1;
  const header = fromHex(h.header80_hex);
  const enc = BM1366.encodeWork(unitHeaderOf(header, 0x1fffe000), Number.parseInt(j.DERIVED_bm1366_job_for_nonce_diff_1.job_id, 16));
  assert.equal(toHex(enc.frame), j.DERIVED_bm1366_job_for_nonce_diff_1.frame_hex_len56);
  const r = decodeRawResponse(fromHex(j.DERIVED_bm1366_job_for_nonce_diff_1.example_response_hex));
  assert.equal(r.crcOk, true);
  assert.equal(nonceOfReply(r), parseU32Hex(h.nonce.replace(/^0x/, '')));
  const ids = BM1366.decodeNonceIds(r);
  assert.deepEqual(ids, { jobId: 0x08, midstateIndex: 0, smallCore: 3, versionBits: 0 });
  const hasher = new MiningHasher();
  hasher.setHeader(header);
  assert.ok(Math.abs(hasher.difficulty(nonceOfReply(r)) - h.diff) < 0.01);
});

vectorTest('real BM1397 job + the nonce the chip returned: midstate slot 2 hashes to ~46 zero bits', () => {
  const v = jobs().bm1397_real_nonce;
  const payload = fromHex(v.job_payload_hex);
  // Frame it as a chip receives it: 55 AA 21 LEN payload CRC16.
  const frame = new Uint8Array(payload.length + 6);
  frame.set([0x55, 0xaa, JOB_HDR, payload.length + 4]);
  frame.set(payload, 4);
  const crc = crc16CcittFalse(frame, 2, frame.length - 2);
  frame[frame.length - 2] = crc >>> 8;
  frame[frame.length - 1] = crc & 0xff;
  const d = decodeJobFrame(frame, 'midstate');
  assert.equal(d.format, 'midstate');
  if (d.format !== 'midstate') return;
  assert.equal(d.job.jobId, 0x18);
  assert.equal(d.job.numMidstatesByte, 4);
  // The chip's reply: nonce bytes as on the wire, b7 = job | slot 2 (what BM1397 sends).
  const reply = BM1397.encodeNonceReply({
    nonce: parseU32Hex(v.expected_response.nonce_le.slice(2)),
    jobId: 0x18,
    midstateIndex: 2,
    smallCore: undefined,
    versionBits: 0,
    b6: 0,
  });
  assert.equal(toHex(reply.subarray(2, 6)), v.expected_response.nonce_wire_bytes.toLowerCase());
  const ids = BM1397.decodeNonceIds(decodeRawResponse(reply));
  assert.equal(ids.jobId, Number.parseInt(v.expected_response.job_id_masked, 16));
  assert.equal(ids.midstateIndex, v.expected_response.job_id_byte_low2bits_midstate);
  // SHA-256d from the midstate in that slot, tail = merkle tail | ntime | nbits.
  const tail = new Uint8Array(12);
  tail.set(d.job.merkleTail, 0);
  tail.set(frame.subarray(14, 18), 4); // ntime LE as on the wire
  tail.set(frame.subarray(10, 14), 8); // nbits LE
  const hasher = new MiningHasher();
  hasher.setMidstate(d.job.midstates[ids.midstateIndex] as Uint32Array, tail);
  const nonce = nonceOfReply(decodeRawResponse(reply));
  const out = new Uint8Array(32);
  hasher.hashBytes(nonce, out);
  // Display order starts 000000000002d330 (the vector's recomputation).
  assert.equal(toHex(out.slice().reverse()).slice(0, 16), '000000000002d330');
  assert.ok(readU32BE(out.slice().reverse(), 0) === 0);
  // The other slots do not produce it: the slot index matters.
  for (const k of [0, 1, 3]) {
    hasher.setMidstate(d.job.midstates[k] as Uint32Array, tail);
    assert.ok(hasher.difficulty(nonce) < 1, `slot ${k}`);
  }
});
