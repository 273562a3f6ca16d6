/**
 * What the scheduler needs from a chain of ASICs, whatever the chip family and transport: the worker of
 * hop 4 of the share path (docs/architecture.md). The BM13xx chain driver is one
 * (drivers/asic/bm13xx/chain.ts); a chain takes WorkUnits and returns NonceReports, and nothing else
 * goes between them.
 */
import type { TypedEmitter } from '../typed-emitter.js';
import type { NonceReport, UnitHeader, WorkUnit } from './work-unit.js';

export type MiningChainEvents<U extends UnitHeader = WorkUnit> = {
  nonce: [n: NonceReport<U>];
  /** The chain stopped producing (dead chain, UART error); the agent re-initialises it. */
  fault: [reason: string];
};

export interface MiningChain<U extends UnitHeader = WorkUnit> extends TypedEmitter<MiningChainEvents<U>> {
  readonly index: number;
  readonly chipCount: number;
  /**
   * Version bits the chips roll on their own for a job allowing `jobMask`: in-chip rolling (BM1366/68/70/62)
   * rolls the configured mask; BM1397 rolls through its four midstates (two bits).
   */
  rollMaskFor(jobMask: number): number;
  /** Difficulty every nonce the chips return meets (the ticket mask, or a simulator's). */
  readonly nonceDifficulty: number;
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
  /** Sends a unit; the chips abandon what they were doing. Never throws (a unit not sent is counted). */
  sendWork(unit: U): void;
}
