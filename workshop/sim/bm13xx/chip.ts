/**
 * One simulated BM13xx chip: its registers, address, chain-inactive state, and the jobs it received,
 * decoded into what it hashes (docs/bm13xx.md "Frames and registers"). The chain (chain-sim.ts) routes frames
 * to it and runs its hashing.
 */
import { writeU32LE } from '../../../src/work/bytes.js';
import { HeaderOffset } from '../../../src/work/header.js';
import { popcount32 } from '../../../src/work/version-rolling.js';
import type { ChipFamily } from '../../../drivers/asic/bm13xx/family.js';
import { decodeJobFrame } from '../../../drivers/asic/bm13xx/job-frame.js';
import { decodePllRegister } from '../../../drivers/asic/bm13xx/pll.js';
import { Reg } from '../../../drivers/asic/bm13xx/registers/addresses.js';
import { chipBaud } from '../../../drivers/asic/bm13xx/registers/baud.js';
import { encodeChipId } from '../../../drivers/asic/bm13xx/registers/chip-id.js';
import { versionMaskFromRegister } from '../../../drivers/asic/bm13xx/registers/version-mask.js';
import { ticketDifficultyFromRegister } from '../../../drivers/asic/bm13xx/ticket-mask.js';

/** A job as the chip hashes it. */
export interface ChipJob {
  /** The id byte of the job frame. */
  idByte: number;
  /** The id the chip can hand back (family.chipJobId). */
  chipJobId: number;
  /** Versions hashed per job: midstate slots, or 2^bits of the 0xA4 mask. */
  versionCount: number;
  /** Full-header: header with the template version (nonce zero). */
  header: Uint8Array | undefined;
  templateVersion: number;
  /** Full-header: header-version mask rolled in the chip. */
  rollMask: number;
  /** Midstate format: states per slot and header bytes 64..75 (merkle tail, ntime, nbits). */
  midstates: Uint32Array[] | undefined;
  tail12: Uint8Array | undefined;
  receivedAt: number;
  /** Next chunk to hash (chunk j covers version j mod versionCount). */
  nextChunk: number;
  exhausted: boolean;
}

export interface SimChipStats {
  hashes: number;
  noncesFound: number;
  jobsReceived: number;
  registerReads: number;
  /** Time (ms) spent with the current job's nonce range exhausted before a fresh job came (BM1397 accounting). */
  starvedMs: number;
}

/** Register values after reset that the driver or the simulator reads (others read 0). */
function resetRegisters(family: ChipFamily): Map<number, number> {
  const r = new Map<number, number>();
  r.set(Reg.chipId, encodeChipId({ chipId: family.chipId, coreNum: family.coreNum, address: 0 }));
  r.set(Reg.pll0Parameter, family.resetPll0);
  if (family.baudScheme === 'misc-control') {
    r.set(Reg.miscControl, 0x00003a01);
    r.set(Reg.fastUart, 0x0600000f);
  } else {
    r.set(Reg.miscControl, 0x0000c100);
    r.set(Reg.fastUart, 0x01301a00);
  }
  return r;
}

export class SimChip {
  regs: Map<number, number>;
  /** Took an address since the last chain-inactive (set-address goes to the first chip without one). */
  addressed = false;
  job: ChipJob | undefined;
  /** Hashing credit (hashes owed by the scheduler). */
  credit = 0;
  /** Fault: never answers. */
  silent = false;
  /** Fault: died (no answers, no hashing). */
  dead = false;
  /** Fault: when dead, stops relaying too. */
  breaksChain = false;
  /** Fault: fraction of found nonces made wrong. */
  wrongFraction = 0;
  readonly stats: SimChipStats = { hashes: 0, noncesFound: 0, jobsReceived: 0, registerReads: 0, starvedMs: 0 };
  /** When the current job's range ran out (for starvation accounting). */
  exhaustedAt: number | undefined;

  constructor(
    readonly index: number,
    readonly family: ChipFamily,
  ) {
    this.regs = resetRegisters(family);
  }

  reset(): void {
    this.regs = resetRegisters(this.family);
    this.addressed = false;
    this.job = undefined;
    this.credit = 0;
    this.exhaustedAt = undefined;
  }

  get address(): number {
    return (this.regs.get(Reg.chipId) ?? 0) & 0xff;
  }

  setAddress(a: number): void {
    this.regs.set(Reg.chipId, encodeChipId({ chipId: this.family.chipId, coreNum: this.family.coreNum, address: a }));
    this.addressed = true;
  }

  /** True while it answers and hashes. */
  get answering(): boolean {
    return !this.dead && !this.silent;
  }

  /** True while frames pass through it to the chips after it. */
  get relays(): boolean {
    return !(this.dead && this.breaksChain);
  }

  readRegister(reg: number): number {
    this.stats.registerReads++;
    return this.regs.get(reg) ?? 0;
  }

  writeRegister(reg: number, value: number): void {
    // Register 0 holds the identity; writes only ever change the address byte (set-address does that).
    if (reg === Reg.chipId) return;
    this.regs.set(reg, value >>> 0);
  }

  frequencyMhz(): number {
    return decodePllRegister(this.regs.get(Reg.pll0Parameter) ?? this.family.resetPll0, this.family.pll).frequencyMhz;
  }

  baud(): number {
    return chipBaud(this.family.baudScheme, (r) => this.regs.get(r));
  }

  /** Ticket difficulty selected by register 0x14 (1 when the value is not a valid mask). */
  registerTicketDifficulty(): number {
    return ticketDifficultyFromRegister(this.regs.get(Reg.ticketMask) ?? 0) ?? 1;
  }

  /** Decodes and stores a job frame; returns the job, or undefined when the frame does not fit the family. */
  acceptJob(frame: Uint8Array, now: number): ChipJob | undefined {
    let d;
    try {
      d = decodeJobFrame(frame, this.family.jobFormat);
    } catch {
      return undefined;
    }
    if (!d.crcOk) return undefined;
    let job: ChipJob;
    if (d.format === 'full-header') {
      const j = d.job;
      const h = new Uint8Array(80);
      writeU32LE(h, HeaderOffset.version, j.version);
      h.set(j.prevHash, HeaderOffset.prevHash);
      h.set(j.merkleRoot, HeaderOffset.merkleRoot);
      writeU32LE(h, HeaderOffset.ntime, j.ntime);
      writeU32LE(h, HeaderOffset.nbits, j.nbits);
      const rollMask = versionMaskFromRegister(this.regs.get(Reg.versionRolling) ?? 0);
      job = {
        idByte: j.jobId,
        chipJobId: this.family.chipJobId(j.jobId),
        versionCount: rollMask === 0 ? 1 : 2 ** popcount32(rollMask),
        header: h,
        templateVersion: j.version,
        rollMask,
        midstates: undefined,
        tail12: undefined,
        receivedAt: now,
        nextChunk: 0,
        exhausted: false,
      };
    } else {
      const j = d.job;
      const tail = new Uint8Array(12);
      tail.set(j.merkleTail, 0);
      writeU32LE(tail, 4, j.ntime);
      writeU32LE(tail, 8, j.nbits);
      // The chip hashes as many slots as the count byte says (ESP-Miner's 4 with zeroed slots included).
      const n = Math.max(1, Math.min(j.midstates.length, j.numMidstatesByte ?? j.midstates.length));
      job = {
        idByte: j.jobId,
        chipJobId: this.family.chipJobId(j.jobId),
        versionCount: n,
        header: undefined,
        templateVersion: 0,
        rollMask: 0,
        midstates: j.midstates.slice(0, n),
        tail12: tail,
        receivedAt: now,
        nextChunk: 0,
        exhausted: false,
      };
    }
    if (this.exhaustedAt !== undefined) this.stats.starvedMs += Math.max(0, now - this.exhaustedAt);
    this.exhaustedAt = undefined;
    this.job = job;
    this.stats.jobsReceived++;
    return job;
  }
}
