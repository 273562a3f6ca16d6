/**
 * Options of a BM13xx chain and the bring-up timing, with the defaults taken from ESP-Miner
 * (docs/bm13xx.md "What a chain does, in order"). FAST_TIMING is for simulators, where no silicon needs
 * the pauses; it keeps generous reply timeouts so that a loaded machine does not fail a bring-up.
 */
import type { Clock } from '../../../src/clock.js';
import type { ChipFamily, FamilyName } from './family.js';
import type { NonceLayout } from './nonce-layout.js';

export interface ChainTiming {
  /** Reset line held asserted (ESP-Miner: 100 ms low). */
  resetAssertMs: number;
  /** Wait after releasing reset (ESP-Miner: 100 ms). */
  resetSettleMs: number;
  /** A broadcast read ends when no reply came for this long (ESP-Miner waits up to 1 s per reply). */
  replyQuietMs: number;
  /** After the expected number of replies, wait this long for surplus ones. */
  replySettleMs: number;
  /** Gap after every command frame during bring-up (cgminer: 10 ms, ESP-Miner: none). */
  commandGapMs: number;
  /** Overrides the family's pause after each chip's writes (BM1368: 500 ms). */
  perChipPauseMs: number | undefined;
  /** Multiplies the family's explicit delay steps (1 = as the family says). */
  stepDelayScale: number;
  /** Pause after each frequency ramp step (ESP-Miner: 100 ms). */
  rampStepDelayMs: number;
  /** Ramp step (ESP-Miner: 6.25 MHz). */
  rampStepMhz: number;
  /** Wait between sending the baud write and switching the host (bm13xx-rs: 50 ms; its S19XP sequence 200). */
  baudSwitchDelayMs: number;
  /** Extra attempts of a bring-up broadcast read that came back short (Bitmain rechecks twice). */
  readRetries: number;
}

export const DEFAULT_TIMING: Readonly<ChainTiming> = Object.freeze({
  resetAssertMs: 100,
  resetSettleMs: 100,
  replyQuietMs: 1000,
  replySettleMs: 100,
  commandGapMs: 0,
  perChipPauseMs: undefined,
  stepDelayScale: 1,
  rampStepDelayMs: 100,
  rampStepMhz: 6.25,
  baudSwitchDelayMs: 50,
  readRetries: 2,
});

/**
 * For simulated chains: no silicon pauses, one big ramp step, reply windows kept generous. The wait after
 * a baud write stays the silicon's: on a pseudo-terminal it is the time the simulator has to read the
 * write before the host's line changes rate (a pty carries no rate with its bytes).
 */
export const FAST_TIMING: Readonly<ChainTiming> = Object.freeze({
  resetAssertMs: 1,
  resetSettleMs: 1,
  replyQuietMs: 1500,
  replySettleMs: 20,
  commandGapMs: 0,
  perChipPauseMs: 0,
  stepDelayScale: 0,
  rampStepDelayMs: 0,
  rampStepMhz: 100,
  baudSwitchDelayMs: 50,
  readRetries: 2,
});

export interface ChainOptions {
  family: ChipFamily | FamilyName;
  /** Chips the board has; bring-up fails naming the missing ones when fewer answer. */
  expectedChips: number;
  /** Target hash clock, MHz (default: the family's). */
  frequencyMhz?: number;
  /** Host and chip baud after bring-up (default: the family's; 115200 keeps the reset baud). */
  fastBaud?: number;
  /** Ticket difficulty written to register 0x14 (a power of two >= 1; default 256 as ESP-Miner). */
  ticketDifficulty?: number;
  /** The chain's index on the board (its place in the scheduler; default 0). */
  index?: number;
  /** Version bits the chips roll at bring-up (default BIP320 0x1FFFE000); WorkUnits may change it. */
  versionMask?: number;
  clock?: Clock;
  /** Drives the chain's reset line (true = held in reset). Without it bring-up skips the reset pulse. */
  reset?: (asserted: boolean) => Promise<void> | void;
  /** The reset line as known at each use (a board that opens its lines after the chains); wins over `reset`. */
  resetLine?: () => ((asserted: boolean) => Promise<void> | void) | undefined;
  timing?: Partial<ChainTiming>;
  /** Where chips put core and address bits in nonces (default ESP-Miner's). */
  nonceLayout?: NonceLayout;
  /**
   * Fewest chips that must answer for the bring-up to go on with them (default: expectedChips). A silent
   * chip that still takes an address keeps its slot, so the others keep their positions' nonce ranges.
   */
  minChips?: number;
  /** A chip with no nonce for this long is reported silent (default: 60 expected nonce intervals, at least 60 s). */
  chipSilenceMs?: number;
  /** Name for logs (e.g. "chain0"). */
  name?: string;
}
