/**
 * What the scheduler needs from a chain of ASICs, whatever the chip family and transport. The agent
 * adapts the BM13xx driver to this interface (src/mining/bm13xx-adapter.ts).
 */
import type { TypedEmitter } from '../typed-emitter.js';
import type { WorkUnit } from './work-unit.js';

/** A nonce a chip returned, resolved to the work unit it belongs to. */
export interface ChainNonce {
  unit: WorkUnit;
  /** Full header version the chip hashed (rolled bits included). */
  version: number;
  nonce: number;
  /** Chip index on the chain (0-based, from the address bits of the nonce). */
  chip: number;
  /** Clock time the frame arrived. */
  at: number;
  /** Tells the driver that verification failed, so its per-chip counters show the hardware error. */
  reportHwError?: () => void;
  /**
   * Older units the chip job id named shortly before (newest first), with the version the nonce has for
   * each: when the nonce fails against `unit`, it may be a late nonce of one of these (issue 21 D5).
   */
  earlier?: { unit: WorkUnit; version: number }[];
  /** Older units of the same id are no longer known (a job flood): a failure here is no hardware error. */
  historyCut?: boolean;
}

export type MiningChainEvents = {
  nonce: [n: ChainNonce];
  /** The chain stopped producing (dead chain, UART error); the scheduler re-initialises it. */
  fault: [reason: string];
};

export interface MiningChain extends TypedEmitter<MiningChainEvents> {
  readonly index: number;
  readonly chipCount: number;
  /**
   * Version bits the chips roll on their own for a job allowing `jobMask`: in-chip rolling (BM1366/68/70/62)
   * rolls the configured mask; BM1397 rolls through its four midstates (two bits).
   */
  rollMaskFor(jobMask: number): number;
  /** Difficulty the chips report nonces at (ticket mask, or the simulator's sim-only difficulty). */
  readonly ticketDifficulty: number;
  /** How often the chain needs fresh work (nonce-space exhaustion for BM1397, staleness otherwise). */
  readonly workIntervalMs: number;
  /**
   * How often it needs fresh work when its chips may roll only `rollMask` (a pool with a fixed version
   * leaves them 2^32 nonces per unit, gone in about a millisecond on BM1366/68/70/62): at most
   * `workIntervalMs`. Default: `workIntervalMs`.
   */
  workIntervalFor?(rollMask: number): number;
  /** Nominal hashrate in H/s (frequency × cores × chips). */
  readonly nominalHashrate: number;
  /** Sends a unit; the chips abandon what they were doing. */
  sendWork(unit: WorkUnit): void;
}
