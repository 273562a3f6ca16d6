/**
 * Human-readable meaning of a register value, for logs and the protocol analyser. Family-dependent
 * encodings (PLL post dividers, which register holds the baud) use the family when it is known.
 */
import type { ChipFamily } from './family.js';
import { decodePllRegister } from './pll.js';
import { Reg } from './registers/addresses.js';
import { chipBaud } from './registers/baud.js';
import { decodeChipId } from './registers/chip-id.js';
import { decodeCoreRegisterControl } from './registers/core-register.js';
import { versionMaskFromRegister } from './registers/version-mask.js';
import { ticketDifficultyFromRegister } from './ticket-mask.js';

export type Described = Record<string, string | number | boolean | null>;

const hex32 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

export function describeRegister(register: number, value: number, family: ChipFamily | undefined): Described | undefined {
  switch (register) {
    case Reg.chipId: {
      const c = decodeChipId(value);
      return { chipId: `0x${c.chipId.toString(16).padStart(4, '0')}`, coreNum: c.coreNum, address: c.address };
    }
    case Reg.pll0Parameter:
    case Reg.pll1Parameter:
    case Reg.pll2Parameter:
    case Reg.pll3Parameter: {
      const p = decodePllRegister(value, { postDivMinusOne: family ? family.pll.postDivMinusOne : true });
      return {
        fbDiv: p.fbDiv,
        refDiv: p.refDiv,
        postDiv1: p.postDiv1,
        postDiv2: p.postDiv2,
        frequencyMhz: Number(p.frequencyMhz.toFixed(4)),
        vcoMhz: Number(p.vcoMhz.toFixed(4)),
        enabled: p.enabled,
        vcoHighFlag: p.vcoHighFlag,
        postDividerEncoding: family ? (family.pll.postDivMinusOne ? 'P-1' : 'raw') : 'P-1 (assumed; pass --chip)',
      };
    }
    case Reg.ticketMask:
      return { ticketDifficulty: ticketDifficultyFromRegister(value) ?? null };
    case Reg.hashCountingNumber:
      return { hashCountingNumber: value >>> 0 };
    case Reg.versionRolling:
      return { enabled: (value & 0x80000000) !== 0, versionMask: hex32(versionMaskFromRegister(value)) };
    case Reg.coreRegisterControl: {
      const c = decodeCoreRegisterControl(value);
      return { doCmd: c.doCmd, coreId: c.coreId, write: c.write, coreRegId: c.coreRegId, coreRegVal: `0x${c.coreRegVal.toString(16).padStart(2, '0')}` };
    }
    case Reg.miscControl:
      if (family?.baudScheme === 'misc-control') {
        return {
          bt8d: ((value >>> 8) & 0x1f) | (((value >>> 24) & 0xf) << 5),
          bclkSel: (value >>> 16) & 1,
          baudIfClki: Math.round(chipBaud('misc-control', (r) => (r === Reg.miscControl ? value & ~0x10000 : undefined))),
        };
      }
      return undefined;
    case Reg.fastUart:
      if (family?.baudScheme === 'fast-uart-v2' || family === undefined) {
        return {
          bt8d: (value >>> 8) & 0xff,
          bclkSel: (value >>> 26) & 1,
          pll1Div4: (value >>> 20) & 0xf,
          baudIfClki: Math.round(chipBaud('fast-uart-v2', (r) => (r === Reg.fastUart ? value & ~(1 << 26) : undefined))),
        };
      }
      return { pll3Div4: (value >>> 24) & 0xf };
    default:
      return undefined;
  }
}
