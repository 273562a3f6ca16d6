/**
 * UART baud rate registers (docs/bm13xx.md "Registers"; bm13xx-rs register notes).
 *
 * BM1397 (misc control 0x18): baud = f_base / (8 · (BT8D + 1)) with BT8D in bits 12..8 (low 5 bits) and
 * 27..24 (high bits); f_base = CLKI (25 MHz) when BCLK_SEL (bit 16) = 0, otherwise PLL3 (0x68) divided by
 * PLL3_DIV4 + 1 (0x28 bits 27..24). Reset value 0x00003A01 gives BT8D = 26, 115,741 baud; 0x00006031 gives
 * 3.125 Mbaud (ESP-Miner's maximum); 0x00012701 with PLL3 = 0xC0700111 and 0x28 = 0x0600000F gives 6.25 M.
 *
 * BM1362/66/68/70 (fast UART 0x28, "V2"): BT8D in bits 15..8, BCLK_SEL bit 26 (0 = CLKI, 1 = PLL1 (0x60)
 * divided by PLL1_DIV4 + 1, bits 23..20), bit 28 set by every writer. Reset value 0x01301A00 (115,741 baud);
 * ESP-Miner's 0x11300200 gives 25 MHz / 24 = 1.0417 Mbaud, which it runs against a 1,000,000 baud host
 * UART; 0x11300000 gives 3.125 M; bm13xx-rs's 6.25 M path writes 0x60 = 0xC0700111, 0x28 = 0x15600700.
 */
import { CLKI_MHZ } from '../pll.js';
import { Bm13xxConfigError } from '../errors.js';
import { Reg } from './addresses.js';

export type BaudScheme = 'misc-control' | 'fast-uart-v2';

/** Baud after reset on every family (BT8D = 26 from CLKI), as the host asks for it. */
export const RESET_BAUD = 115200;
const CLKI_HZ = CLKI_MHZ * 1e6;
/** What the chips really run at after reset: 25 MHz / (8 · 27) = 115,741 baud. */
export const CHIP_RESET_BAUD = CLKI_HZ / (8 * 27);
/** The PLL the fast paths run on: 0xC0700111 = FBDIV 112, REFDIV 1 -> VCO 2800 MHz (bm13xx-rs). */
export const UART_PLL_PARAMETER = 0xc0700111;
const UART_PLL_VCO_HZ = 2800e6;
/** PLLx_DIV4 = 6 -> 2800 / 7 = 400 MHz base. */
const UART_PLL_DIV4 = 6;
const UART_PLL_BASE_HZ = UART_PLL_VCO_HZ / (UART_PLL_DIV4 + 1);
/** Largest relative error between the host's baud and the chip's that a UART tolerates (used to validate). */
export const BAUD_TOLERANCE = 0.05;

/** Chip baud from a base clock and BT8D. */
export const baudOf = (baseHz: number, bt8d: number): number => baseHz / (8 * (bt8d + 1));

/** The baud a chip runs at, from its registers (undefined register = reset value). */
export function chipBaud(scheme: BaudScheme, regs: (reg: number) => number | undefined): number {
  if (scheme === 'misc-control') {
    const misc = regs(Reg.miscControl) ?? 0x00003a01;
    const bt8d = ((misc >>> 8) & 0x1f) | (((misc >>> 24) & 0xf) << 5);
    if ((misc & 0x10000) === 0) return baudOf(CLKI_HZ, bt8d);
    const pll3 = regs(Reg.pll3Parameter) ?? 0;
    const div4 = ((regs(Reg.fastUart) ?? 0x0600000f) >>> 24) & 0xf;
    return baudOf(pllVcoHz(pll3) / (div4 + 1), bt8d);
  }
  const fu = regs(Reg.fastUart) ?? 0x01301a00;
  const bt8d = (fu >>> 8) & 0xff;
  if ((fu & (1 << 26)) === 0) return baudOf(CLKI_HZ, bt8d);
  const pll1 = regs(Reg.pll1Parameter) ?? 0;
  const div4 = (fu >>> 20) & 0xf;
  return baudOf(pllVcoHz(pll1) / (div4 + 1), bt8d);
}

function pllVcoHz(v: number): number {
  const fb = (v >>> 16) & 0xff;
  const ref = (v >>> 8) & 0x3f;
  return ref === 0 ? 0 : (CLKI_HZ * fb) / ref;
}

export interface BaudPlan {
  /** Register writes, broadcast, in order. */
  writes: { register: number; value: number }[];
  /** The baud the chips will run at. */
  chipBaud: number;
}

/**
 * The broadcast writes that move a chain to `hostBaud`, picking the nearest BT8D on CLKI (up to 3.125 M)
 * or on the 400 MHz PLL path above it. Throws when the chip's rate would be off by more than 5 %.
 */
export function planBaudSwitch(scheme: BaudScheme, hostBaud: number): BaudPlan {
  if (!(hostBaud > 0)) throw new Bm13xxConfigError(`baud must be positive, got ${hostBaud}`);
  const viaPll = hostBaud > (CLKI_HZ / 8) * (1 + BAUD_TOLERANCE);
  const base = viaPll ? UART_PLL_BASE_HZ : CLKI_HZ;
  const maxBt8d = scheme === 'misc-control' ? 0x1ff : 0xff;
  const bt8d = Math.min(maxBt8d, Math.max(0, Math.round(base / (8 * hostBaud)) - 1));
  const rate = baudOf(base, bt8d);
  if (Math.abs(rate - hostBaud) / hostBaud > BAUD_TOLERANCE) {
    throw new Bm13xxConfigError(`no chip baud setting within 5 % of ${hostBaud} (nearest ${Math.round(rate)})`);
  }
  const writes: BaudPlan['writes'] = [];
  if (scheme === 'misc-control') {
    // 0x18 template 0x00006031 (ESP-Miner max baud) with BT8D replaced; BCLK_SEL for the PLL3 path.
    const lowBits = (bt8d & 0x1f) << 8;
    const highBits = ((bt8d >>> 5) & 0xf) << 24;
    if (viaPll) {
      writes.push({ register: Reg.pll3Parameter, value: UART_PLL_PARAMETER });
      writes.push({ register: Reg.fastUart, value: ((UART_PLL_DIV4 << 24) | 0x0f) >>> 0 });
    }
    writes.push({ register: Reg.miscControl, value: (0x00004031 | lowBits | highBits | (viaPll ? 0x10000 : 0) | 0x2000) >>> 0 });
  } else {
    if (viaPll) {
      writes.push({ register: Reg.pll1Parameter, value: UART_PLL_PARAMETER });
      // B28 | BCLK_SEL = PLL1 | bit 24 | PLL1_DIV4 = 6 | BT8D (bm13xx-rs 0x15600700 for 6.25 M).
      writes.push({ register: Reg.fastUart, value: (0x15000000 | (UART_PLL_DIV4 << 20) | (bt8d << 8)) >>> 0 });
    } else {
      // ESP-Miner's 0x11300200 with BT8D replaced.
      writes.push({ register: Reg.fastUart, value: (0x11300000 | (bt8d << 8)) >>> 0 });
    }
  }
  return { writes, chipBaud: rate };
}

/** The writes that bring a chain back to the reset baud (used by recovery). */
export function planResetBaud(scheme: BaudScheme): BaudPlan {
  return planBaudSwitch(scheme, RESET_BAUD);
}
