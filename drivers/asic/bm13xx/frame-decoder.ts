/**
 * The protocol analyser: any single BM13xx frame (host or chip side) to a JSON-friendly object with every
 * field named and the CRC checked. Used by `asic-agent decode`; pure.
 */
import { toHex } from '../../../src/work/bytes.js';
import { reverseBytes } from '../../../src/work/byte-order.js';
import { decodeCommand, COMMAND_PREAMBLE } from './command-frame.js';
import { Bm13xxFrameError } from './errors.js';
import { familyByChipId, type ChipFamily } from './family.js';
import { nonceOfReply } from './families/common.js';
import { decodeJobFrame, JOB_HDR } from './job-frame.js';
import { ESP_MINER_NONCE_LAYOUT, nonceFields, type NonceLayout } from './nonce-layout.js';
import { describeRegister, type Described } from './register-describe.js';
import { registerName } from './registers/addresses.js';
import { decodeChipId } from './registers/chip-id.js';
import { decodeRawResponse, registerReplyOf, RESPONSE_PREAMBLE } from './response-frame.js';
import { HostStreamParser } from './host-stream-parser.js';
import { ResponseParser } from './response-parser.js';

export type DecodedFrame =
  | { kind: 'command'; crcOk: boolean; fields: Described; meaning?: Described }
  | { kind: 'job'; crcOk: boolean; fields: Described }
  | { kind: 'register-reply'; crcOk: boolean; fields: Described; meaning?: Described }
  | { kind: 'nonce'; crcOk: boolean; fields: Described }
  | { kind: 'invalid'; crcOk: false; error: string; fields: Described };

const h8 = (v: number): string => `0x${(v & 0xff).toString(16).padStart(2, '0')}`;
const h32 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

export function decodeFrame(f: Uint8Array, family?: ChipFamily, layout: NonceLayout = ESP_MINER_NONCE_LAYOUT): DecodedFrame {
  try {
    if (f[0] === COMMAND_PREAMBLE[0] && f[1] === COMMAND_PREAMBLE[1]) return f[2] === JOB_HDR ? decodeJob(f, family) : decodeCmd(f, family);
    if (f[0] === RESPONSE_PREAMBLE[0] && f[1] === RESPONSE_PREAMBLE[1]) return decodeReply(f, family, layout);
    throw new Bm13xxFrameError('frame starts with neither 55 AA (host) nor AA 55 (chip)');
  } catch (err) {
    return { kind: 'invalid', crcOk: false, error: err instanceof Error ? err.message : String(err), fields: { bytes: f.length, hex: toHex(f) } };
  }
}

function decodeCmd(f: Uint8Array, family: ChipFamily | undefined): DecodedFrame {
  const d = decodeCommand(f);
  const c = d.command;
  const fields: Described = { hdr: h8(d.hdr), len: d.len, op: c.op, crc: h8(d.crc) };
  let meaning: Described | undefined;
  if (c.op === 'set-address') fields.address = h8(c.address);
  if (c.op === 'write' || c.op === 'read') {
    fields.broadcast = c.broadcast;
    fields.address = h8(c.address);
    fields.register = h8(c.register);
    fields.registerName = registerName(c.register);
  }
  if (c.op === 'write') {
    fields.value = h32(c.value);
    meaning = describeRegister(c.register, c.value, family);
  }
  return meaning ? { kind: 'command', crcOk: d.crcOk, fields, meaning } : { kind: 'command', crcOk: d.crcOk, fields };
}

function decodeJob(f: Uint8Array, family: ChipFamily | undefined): DecodedFrame {
  const d = decodeJobFrame(f, family?.jobFormat);
  const fields: Described = { format: d.format, lengthByte: h8(d.lengthByte), crc: `0x${d.crc.toString(16).padStart(4, '0')}` };
  const j = d.job;
  fields.jobId = h8(j.jobId);
  fields.numMidstates = j.numMidstatesByte ?? null;
  fields.startingNonce = h32(j.startingNonce);
  fields.nbits = h32(j.nbits);
  fields.ntime = h32(j.ntime);
  if (d.format === 'full-header') {
    fields.version = h32(d.job.version);
    // Display order (explorer/RPC) is what people compare with.
    fields.merkleRoot = toHex(reverseBytes(d.job.merkleRoot));
    fields.prevHash = toHex(reverseBytes(d.job.prevHash));
  } else {
    fields.merkleTail = toHex(d.job.merkleTail);
    fields.slots = d.slots;
    d.job.midstates.forEach((m, i) => {
      fields[`midstate${i}`] = Array.from(m, (w) => w.toString(16).padStart(8, '0')).join('');
    });
  }
  return { kind: 'job', crcOk: d.crcOk, fields };
}

function decodeReply(f: Uint8Array, family: ChipFamily | undefined, layout: NonceLayout): DecodedFrame {
  const r = decodeRawResponse(f);
  if (family && r.length !== family.responseLength) {
    throw new Bm13xxFrameError(`${family.name} replies are ${family.responseLength} bytes, got ${r.length}`);
  }
  const base: Described = { length: r.length, crc: h8(r.crc), reservedBits: r.reservedBits };
  if (!r.isNonce) {
    const reg = registerReplyOf(r);
    const fam = family ?? (reg.register === 0 ? familyByChipId(decodeChipId(reg.value).chipId) : undefined);
    const fields: Described = {
      ...base,
      value: h32(reg.value),
      chipAddress: h8(reg.chipAddress),
      register: h8(reg.register),
      registerName: registerName(reg.register),
    };
    if (!family && fam && reg.register === 0) fields.family = fam.name;
    const meaning = describeRegister(reg.register, reg.value, fam);
    return meaning ? { kind: 'register-reply', crcOk: r.crcOk, fields, meaning } : { kind: 'register-reply', crcOk: r.crcOk, fields };
  }
  const nonce = nonceOfReply(r);
  const nf = nonceFields(nonce, layout);
  const fields: Described = {
    ...base,
    nonce: h32(nonce),
    nonceWire: toHex(r.data),
    b6: h8(r.b6),
    b7: h8(r.b7),
    core: nf.core,
    chipAddressField: nf.addressField,
  };
  if (r.extra16 !== undefined) fields.versionField = `0x${r.extra16.toString(16).padStart(4, '0')}`;
  // Without --chip a 9-byte reply can only be BM1397; an 11-byte one needs the family for its job id.
  const fam = family ?? (r.length === 9 ? familyByChipId(0x1397) : undefined);
  if (fam) {
    const ids = fam.decodeNonceIds(r);
    fields.family = fam.name;
    fields.jobId = h8(ids.jobId);
    if (fam.jobFormat === 'midstate') fields.midstateIndex = ids.midstateIndex;
    else {
      fields.smallCore = ids.smallCore ?? null;
      fields.versionBits = h32(ids.versionBits);
    }
  } else if (r.extra16 !== undefined) {
    fields.versionBits = h32((r.extra16 << 13) >>> 0);
    fields.note = 'job id and small core depend on the family: pass --chip';
  }
  return { kind: 'nonce', crcOk: r.crcOk, fields };
}

/**
 * Splits a capture holding several frames back to back (host side or chip side) into frames. Bytes that
 * belong to no valid frame are dropped; pass the family so that job and reply lengths are known.
 */
export function splitFrames(bytes: Uint8Array, family?: ChipFamily): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (bytes[0] === COMMAND_PREAMBLE[0] && bytes[1] === COMMAND_PREAMBLE[1]) {
    const p = new HostStreamParser(family?.jobFormat ?? 'full-header', (fr) => out.push(fr.frame));
    p.push(bytes);
    return out;
  }
  const len = family?.responseLength ?? (bytes.length % 11 === 0 ? 11 : 9);
  const p = new ResponseParser(len, (fr) => out.push(fr));
  p.push(bytes);
  return out;
}
