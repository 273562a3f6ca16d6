/**
 * A chain of lottery chips as counts, not frames: every `tickMs` of the injected clock each chip returns
 * a Poisson number of valid nonces and of hardware errors at the rates its hidden parameters give for
 * its clock, the rail and its temperature. It is what lets a benchmark run a 126-chip chain for
 * simulated hours in seconds; the frame-level path (chain-sim.ts with the same lottery behind a real
 * driver) is tested on smaller chains.
 *
 * Clocks are set per chip as a PLL write would set them (the family's solver decides the clock reached),
 * and every write is recorded with whether it left the board-config's limits.
 */
import type { Clock, TimerHandle } from '../../../src/clock.js';
import { familyByName, type ChipFamily, type FamilyName } from '../../../drivers/asic/bm13xx/family.js';
import { solvePll } from '../../../drivers/asic/bm13xx/pll.js';
import { LotteryRandom } from './random.js';
import type { LotteryChip } from './silicon-lottery.js';

export interface LotteryChainOptions {
  family: FamilyName;
  chips: LotteryChip[];
  clock: Clock;
  seed: number;
  /** The difficulty every returned nonce meets. */
  ticketDifficulty: number;
  /** Core volts per domain on the rail now (0 when the regulator is off). */
  volts: () => number;
  /** The board sensor's temperature now, °C. */
  boardTempC: () => number;
  /** The board-config's clock limits (writes outside are counted). */
  limits: { minMhz: number; maxMhz: number };
  tickMs?: number;
}

export class LotteryChain {
  readonly family: ChipFamily;
  readonly chips: LotteryChip[];
  /** Each chip's clock, MHz. */
  readonly mhz: number[];
  readonly valid: number[];
  readonly hw: number[];
  readonly writes = { total: 0, outside: 0 };
  private held = true;
  private up = false;
  private epochN = 0;
  private last: number;
  private readonly timer: TimerHandle;
  private readonly rnd: LotteryRandom;

  constructor(private readonly o: LotteryChainOptions) {
    this.family = familyByName(o.family);
    this.chips = o.chips;
    this.mhz = o.chips.map(() => this.family.resetFrequencyMhz);
    this.valid = o.chips.map(() => 0);
    this.hw = o.chips.map(() => 0);
    this.rnd = new LotteryRandom(o.seed ^ 0x1077e);
    this.last = o.clock.now();
    this.timer = o.clock.setInterval(() => this.tick(), o.tickMs ?? 250);
  }

  /** The reset line: held chips forget their clocks and stop. */
  setReset(held: boolean): void {
    this.tick();
    this.held = held;
    if (held) {
      this.up = false;
      this.mhz.fill(this.family.resetFrequencyMhz);
    }
  }

  /** What a bring-up does: addresses, then every chip ramped to `mhz`; counters start from zero. */
  bringUp(mhz: number): void {
    this.tick();
    if (this.held) throw new Error('chain held in reset');
    const f = this.reach(mhz);
    this.mhz.fill(f);
    this.valid.fill(0);
    this.hw.fill(0);
    this.up = true;
    this.epochN++;
  }

  /** Hashing stops (the board is about to cut power or has). */
  stop(): void {
    this.tick();
    this.up = false;
  }

  get running(): boolean {
    return this.up && !this.held;
  }

  get epoch(): number {
    return this.epochN;
  }

  reach(mhz: number): number {
    return solvePll(mhz, this.family.pll).frequencyMhz;
  }

  /** An addressed PLL write to chip `i`; returns the clock reached. */
  setChipMhz(i: number, mhz: number): number {
    this.tick();
    const f = this.reach(mhz);
    this.writes.total++;
    if (f < this.o.limits.minMhz - 1e-9 || f > this.o.limits.maxMhz + 1e-9) this.writes.outside++;
    this.mhz[i] = f;
    return f;
  }

  /** The chips' power, W, at core volts `v` and board temperature `t` (held chips only leak). */
  powerW(v: number, t: number): number {
    let w = 0;
    this.chips.forEach((c, i) => {
      const tc = c.tempC(t);
      w += this.running ? c.powerW(this.mhz[i] as number, v, tc) : c.leakageW(v, tc);
    });
    return w;
  }

  /** Valid-nonce hashrate now (the truth a tuner is judged by), H/s. */
  goodHashrate(): number {
    if (!this.running) return 0;
    const v = this.o.volts();
    const t = this.o.boardTempC();
    return this.chips.reduce((s, c, i) => s + c.goodHashrate(this.mhz[i] as number, v, c.tempC(t)), 0);
  }

  private tick(): void {
    const now = this.o.clock.now();
    const dt = (now - this.last) / 1000;
    this.last = now;
    if (dt <= 0 || !this.running) return;
    const v = this.o.volts();
    if (v <= 0) return;
    const t = this.o.boardTempC();
    this.chips.forEach((c, i) => {
      const r = c.nonceRates(this.mhz[i] as number, v, c.tempC(t), this.o.ticketDifficulty);
      this.valid[i] = (this.valid[i] as number) + this.rnd.poisson(r.valid * dt);
      this.hw[i] = (this.hw[i] as number) + this.rnd.poisson(r.hw * dt);
    });
  }

  close(): void {
    this.o.clock.clearInterval(this.timer);
  }
}
