/**
 * What the tuner needs from the miner, as narrow interfaces: the agent implements them on the BM13xx
 * chain driver and the Board (src/agent/tuning.ts); benchmarks and tests implement them on simulators.
 * The tuner sees what a real board shows and nothing else: nonces and hardware errors per chip, the
 * clock each PLL reached, the rail voltage it set, the power and temperature readings, the thermal
 * policy's verdict.
 */

/** What one chip has returned since its chain came up (cumulative). */
export interface ChipCount {
  /** Nonces that hashed to the ticket (valid). */
  valid: number;
  /** Nonces that did not (hardware errors). */
  hw: number;
}

export interface TunedChain {
  readonly index: number;
  /** Chip slots (address order). */
  chipCount(): number;
  /** Chips that did not answer at bring-up (they are left alone). */
  missing(): ReadonlySet<number>;
  /** Hashes per second one chip does per MHz of its clock (small cores × 10^6 on hardware). */
  hashesPerMhz(): number;
  /** The difficulty every nonce the chips return meets. */
  ticketDifficulty(): number;
  /** Per chip, cumulative since the chain came up. */
  counts(): readonly ChipCount[];
  /** Each chip's clock now, MHz (empty before bring-up). */
  clocks(): readonly number[];
  /** True while the chain is up and may be written to. */
  running(): boolean;
  /** True while the chips have work (without work they return no nonces, and nothing can be judged). */
  working(): boolean;
  /** Goes up by one at every bring-up (the chips are back at the bring-up clock then). */
  epoch(): number;
  /** The clock the PLL produces when asked for `mhz` (pure: the family's PLL solver). */
  reachable(mhz: number): number;
  /** Sets one chip's clock (an addressed PLL write); resolves with the clock reached. */
  setChipMhz(chip: number, mhz: number): Promise<number>;
}

export interface TunedBoard {
  /** Core volts per domain the rail is set to. */
  volts(): number;
  /** Sets the rail (every chip of the board shares it). */
  setVolts(volts: number): Promise<void>;
  /** The power reading the targets apply to, W, and when it was taken (null: none yet). */
  power(): { watts: number; at: number } | null;
  /** Hottest chip or board reading, °C. */
  tempC(): number | null;
  /** The thermal policy says hot (its hysteresis included). */
  hot(): boolean;
  /** Powered and running (chains may be up). */
  running(): boolean;
}

export type TunerMode = 'power' | 'hashrate' | 'efficiency';

export interface TunerTarget {
  mode: TunerMode;
  /** Power mode: watts at the power reading. */
  watts?: number;
  /** Hashrate mode: TH/s, counted from valid nonces. */
  ths?: number;
}

/** The board-config's limits, which no write may leave. */
export interface TunerLimits {
  minMhz: number;
  maxMhz: number;
  minVolts: number;
  maxVolts: number;
  /** The board's default setting (the starting point's reference). */
  defaultMhz: number;
  defaultVolts: number;
}
