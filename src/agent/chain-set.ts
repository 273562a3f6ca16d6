/**
 * The board's chains, as the Board's MiningControl: when power is good and the reset lines are released
 * the chains are brought up (real UARTs through serialport, or simulated chains in their own processes
 * behind pseudo-terminals), their nonces go to the scheduler, silent chips are marked and dead chains
 * re-initialised; when the board stops, hashing stops; when it is hot, the chains step their clock down.
 *
 * Without work (no usable pool) the chains are parked: chips held in reset, the lowest-power state every
 * BM13xx family has (on a chain without a reset line, its lowest clock), so nothing hashes work nobody
 * can take; they are brought up again at once when work comes back. Silence is judged only while a
 * chain gets work (chain-health.ts): a chain is never re-initialised for lack of work.
 */
import { existsSync } from 'node:fs';
import { Bm13xxChain, type BringUpResult } from '../../drivers/asic/bm13xx/chain.js';
import { FAST_TIMING } from '../../drivers/asic/bm13xx/chain-options.js';
import { familyByName, type ChipFamily } from '../../drivers/asic/bm13xx/family.js';
import { ChainStateError } from '../../drivers/asic/bm13xx/errors.js';
import { SerialPortUart } from '../../drivers/transport/serialport-uart.js';
import type { UartPort } from '../../drivers/transport/uart-port.js';
import type { GpioLine } from '../../drivers/transport/gpio-line.js';
import type { MiningControl } from '../board/board.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import { ChainHealth } from '../mining/chain-health.js';
import type { MiningStats } from '../mining/mining-stats.js';
import { TypedEmitter } from '../typed-emitter.js';
import type { ChainDevice } from '../board/simulated-parts.js';

/** A device the board-config names is not on this machine. */
export class DeviceMissingError extends Error {
  override readonly name = 'DeviceMissingError';
}

export interface ChainSpec {
  index: number;
  /** /dev/ttyXXX, or "sim:..." for a simulated chain. */
  uart: string;
  /** A `sim:` chain: its device comes from the ChainSet's `device` opener. */
  simulated: boolean;
  family: string;
  chips: number;
  baud: number;
  fastBaud?: number;
  frequencyMhz: number;
  minFrequencyMhz: number;
  frequencyStepMhz: number;
  /** Register 0x14 difficulty (power of two). */
  ticketDifficulty: number;
  /** Fewest answering chips the chain hashes with (default: all). */
  minChips?: number;
}

/** `idle`: parked without work (no usable pool), chips held in reset. */
export type ChainRunState = 'down' | 'bringing-up' | 'running' | 'idle' | 'failed';

export interface ChainRuntime {
  spec: ChainSpec;
  family: ChipFamily;
  state: ChainRunState;
  /** The chain driver: the scheduler's worker (a MiningChain) from the start; it opens its port at bring-up. */
  driver: Bm13xxChain;
  /** A simulated chain's device (its simulator behind a pseudo-terminal). */
  device?: ChainDevice;
  health?: ChainHealth;
  up?: BringUpResult;
  lastError?: string;
  reinits: number;
  bringUpFailures: number;
  /** Work went to the chain since it was last brought up (a chain that never got any has nothing to stop). */
  hadWork: boolean;
  /** When the chain was last brought up (work and nonces before it belong to the previous run). */
  upAt: number;
  /** The stats sink's last unit and per-chip nonce times already given to `health`. */
  seenWork: number;
  seenNonce: number[];
  /** How an idle chain was parked: chips held in reset, or (no reset line of its own) its lowest clock. */
  parkedBy?: 'reset' | 'clock';
}

export type ChainSetEvents = {
  /** A chain came up (first time or after a re-init). */
  up: [chain: ChainRuntime];
  /** Every chain that could come up is up, and hashing may start. */
  started: [];
};

export interface ChainSetOptions {
  specs: ChainSpec[];
  clock: Clock;
  log: Logger;
  stats: MiningStats;
  /** Called when hashing must stop or may start; the agent pauses/resumes the scheduler with it. */
  onHashing: (on: boolean, reason: string) => void;
  /** Retry a failed bring-up after this long. */
  retryMs?: number;
  /** How often chain health is checked. */
  healthCheckMs?: number;
  /**
   * The board's reset line of chain `index` (asked at the chain's first bring-up, when the board is
   * open). Every bring-up pulses it; a chain without one resets the chips' baud by register instead.
   */
  resetLine?: (index: number) => GpioLine | undefined;
  /** Starts the device of a simulated chain (`sim:` uart); without it such chains cannot come up. */
  device?: (index: number) => Promise<ChainDevice>;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export class ChainSet extends TypedEmitter<ChainSetEvents> implements MiningControl {
  readonly chains: ChainRuntime[];
  private hashing = false;
  private retryTimer?: TimerHandle;
  private healthTimer?: TimerHandle;
  private closed = false;
  /** No work: chains that had some are held in reset until `unpark`. */
  private parked = false;
  /** The chains being parked (an unpark waits for it: the driver does one thing at a time). */
  private parking: Promise<void> | undefined;
  private readonly frequency: number[];

  /** The stats sink the chains' nonces are recorded in (per-chip counts for chain health and the tuner). */
  get stats(): MiningStats {
    return this.o.stats;
  }

  constructor(private readonly o: ChainSetOptions) {
    super();
    this.frequency = o.specs.map((s) => s.frequencyMhz);
    this.chains = o.specs.map((spec) => {
      const family = familyByName(spec.family);
      const rt: ChainRuntime = {
        spec,
        family,
        state: 'down',
        driver: this.makeDriver(spec, family),
        reinits: 0,
        bringUpFailures: 0,
        hadWork: false,
        upAt: 0,
        seenWork: 0,
        seenNonce: [],
      };
      rt.driver.on('port-error', (e) => this.o.log.warn({ chain: spec.index, err: e.message }, 'chain UART error'));
      return rt;
    });
  }

  /**
   * The chain's driver. Its port is opened at bring-up (a simulated chain's device exists only once its
   * simulator runs); its reset line is asked at each use (the board opens its lines after the chains).
   */
  private makeDriver(spec: ChainSpec, family: ChipFamily): Bm13xxChain {
    const index = spec.index;
    return new Bm13xxChain(() => this.openPort(index), {
      index,
      family,
      expectedChips: spec.chips,
      frequencyMhz: spec.frequencyMhz,
      ...(spec.fastBaud !== undefined ? { fastBaud: spec.fastBaud } : {}),
      ticketDifficulty: spec.ticketDifficulty,
      ...(spec.minChips !== undefined ? { minChips: spec.minChips } : {}),
      // Simulated chips need none of the silicon's pauses (and report nonces at their simulator's rate:
      // a chip is silent after a minute without one).
      ...(spec.simulated ? { timing: FAST_TIMING, chipSilenceMs: 60_000 } : {}),
      clock: this.o.clock,
      name: `chain${index}`,
      // The board's reset line (a simulated board wires it to the chain simulator's chips).
      resetLine: () => {
        const line = this.o.resetLine?.(index);
        return line ? (asserted: boolean) => this.driveReset(line, asserted) : undefined;
      },
    });
  }

  /** Starts the simulated chains' devices (if any) so that they exist before power-up. */
  async prepare(): Promise<void> {
    await Promise.all(this.chains.map((c) => this.startDevice(c)));
  }

  /** Real chains: each UART must exist before anything is powered (a typo, or a UART not enabled). */
  checkDevices(): void {
    for (const c of this.chains) {
      if (c.spec.simulated || existsSync(c.spec.uart)) continue;
      throw new DeviceMissingError(
        `chain ${c.spec.index}: UART ${c.spec.uart} does not exist: check the chain's uart in the board-config and that the UART is enabled (on a Raspberry Pi: enable_uart=1 in config.txt)`,
      );
    }
  }

  private async startDevice(c: ChainRuntime): Promise<void> {
    if (!c.spec.simulated) return;
    if (!this.o.device) throw new Error(`chain ${c.spec.index}: ${c.spec.uart} is a simulated chain and no simulator was given`);
    c.device = await this.o.device(c.spec.index);
    // The simulated chips hash at the simulator's rate and report at its ticket difficulty.
    c.driver.useChipFigures({ ticketDifficulty: c.device.ticketDifficulty, hashrate: c.device.hashrate });
    this.o.log.info(
      { chain: c.spec.index, device: c.device.path, hashrate: c.device.hashrate, ticketDifficulty: c.device.ticketDifficulty },
      'chain simulator started',
    );
  }

  /**
   * A simulated chain whose simulator process ended gets a new one (a new pty) and a new driver. Its old
   * pty path is never opened again: the kernel hands pty numbers out again, and the next owner of that
   * path may be a person's terminal.
   */
  private async replaceDeadSim(c: ChainRuntime): Promise<void> {
    if (!c.device?.exited) return;
    this.o.log.error({ chain: c.spec.index, device: c.device.path }, 'chain simulator ended: starting a new one');
    await c.driver.releasePort().catch(() => undefined);
    await this.startDevice(c);
  }

  /** Board: power is good, reset released. Brings every chain up, then lets hashing start. */
  async start(): Promise<void> {
    if (this.closed) return;
    this.hashing = true;
    this.parked = false;
    await Promise.all(this.chains.map((c) => this.bringUp(c)));
    if (!this.hashing) return;
    this.o.onHashing(true, 'chains up');
    this.emit('started');
    this.o.clock.clearInterval(this.healthTimer);
    this.healthTimer = this.o.clock.setInterval(() => this.checkHealth(), this.o.healthCheckMs ?? 5000);
  }

  /** Board: about to cut power (or already has). */
  async stopHashing(reason: string): Promise<void> {
    this.hashing = false;
    this.parked = false;
    this.o.onHashing(false, reason);
    this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.o.clock.clearInterval(this.healthTimer);
    this.healthTimer = undefined;
    await Promise.all(
      this.chains.map(async (c) => {
        if (c.driver && c.driver.state !== 'closed') await c.driver.holdInReset().catch(() => false);
        c.state = 'down';
      }),
    );
  }

  /** Board: hot. Every running chain steps its clock down by the board's step, not below the minimum. */
  async reduceFrequency(): Promise<void> {
    await Promise.all(
      this.chains.map(async (c, i) => {
        const next = Math.max(c.spec.minFrequencyMhz, (this.frequency[i] as number) - c.spec.frequencyStepMhz);
        if (next === this.frequency[i]) return;
        this.frequency[i] = next;
        if (c.state !== 'running' || !c.driver) return;
        try {
          const got = await c.driver.setFrequency(next);
          this.o.log.warn({ chain: c.spec.index, frequencyMhz: got }, 'hot: chain frequency reduced');
        } catch (err) {
          this.o.log.error({ chain: c.spec.index, err: describe(err) }, 'could not reduce the frequency');
        }
      }),
    );
  }

  /** The clock chain `index` comes up at from its next bring-up on (the autotuner's start, or a profile's). */
  setBringUpMhz(index: number, mhz: number): void {
    if (this.frequency[index] !== undefined) this.frequency[index] = mhz;
  }

  /** Current clock of each chain, MHz (the mean of its chips' when they differ: the autotuner's per-chip clocks). */
  frequencies(): number[] {
    return this.chains.map((c, i) => {
      const chips = c.driver?.chipFrequencies() ?? [];
      if (chips.length > 0) return chips.reduce((s, f) => s + f, 0) / chips.length;
      return c.driver?.currentFrequencyMhz || (this.frequency[i] as number);
    });
  }

  private openPort(index: number): UartPort {
    const c = this.chains[index] as ChainRuntime;
    const path = c.device ? c.device.path : c.spec.uart;
    if (c.spec.simulated && !c.device) throw new Error(`chain ${c.spec.index}: ${path} is a simulated chain without its simulator`);
    return new SerialPortUart({ path, baudRate: c.spec.baud });
  }

  private async bringUp(c: ChainRuntime): Promise<void> {
    if (this.closed || !this.hashing) return;
    c.state = 'bringing-up';
    try {
      await this.replaceDeadSim(c);
      // At the clock the board last stepped down to, if it did: a power-up does not undo a hot step-down.
      const mhz = this.frequency[c.spec.index] as number;
      const up = c.driver.state === 'idle' ? await c.driver.bringUp(mhz) : await c.driver.reinit(mhz);
      c.up = up;
      const d = c.driver;
      c.health = new ChainHealth({
        chain: c.spec.index,
        chips: up.chipCount,
        chipHashrate: d.nominalHashrate / Math.max(1, up.chipCount - up.missing.filter((m) => m < up.chipCount).length),
        ticketDifficulty: d.nonceDifficulty,
        clock: this.o.clock,
      });
      c.state = 'running';
      c.hadWork = false;
      c.upAt = this.o.clock.now();
      c.seenWork = c.upAt;
      c.seenNonce = [];
      c.parkedBy = undefined;
      c.lastError = undefined;
      this.o.log.info(
        { chain: c.spec.index, chips: up.chipCount, frequencyMhz: up.frequencyMhz, baud: up.hostBaud, ticket: d.nonceDifficulty },
        'chain running',
      );
      this.emit('up', c);
    } catch (err) {
      if (this.closed || !this.hashing) {
        // The board stopped (or the agent is closing) while the chain was coming up: the port was
        // closed under the bring-up on purpose. Not a failure, nothing to retry.
        c.state = 'down';
        this.o.log.info({ chain: c.spec.index, err: describe(err) }, 'chain bring-up interrupted by the stop');
        return;
      }
      c.state = 'failed';
      c.bringUpFailures++;
      c.lastError = describe(err);
      this.o.log.error({ chain: c.spec.index, err: c.lastError }, 'chain bring-up failed; will retry');
      this.scheduleRetry();
    }
  }

  /**
   * A chain pulses its reset line at every bring-up, but only the board may leave the chains running:
   * once hashing is stopped (safe state, pause), a bring-up still in flight cannot release the line.
   */
  private async driveReset(line: GpioLine, asserted: boolean): Promise<void> {
    if (asserted) return line.write(1);
    if (!this.hashing || this.closed) throw new ChainStateError('the board holds the chains in reset');
    await line.write(0);
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.hashing) return;
      for (const c of this.chains) if (c.state === 'failed') void this.bringUp(c);
    }, this.o.retryMs ?? 30_000);
  }

  /**
   * Gives chain health what the stats sink saw since the last look: the last unit sent to the chain
   * (silence counts only while there is work) and each chip's last valid nonce.
   */
  private syncHealth(c: ChainRuntime): void {
    const i = c.spec.index;
    const work = this.o.stats.lastWorkAt(i);
    if (work !== undefined && work >= c.upAt && c.state === 'running') {
      c.hadWork = true;
      if (work > c.seenWork) {
        c.seenWork = work;
        c.health?.workSent(work);
      }
    }
    const chips = c.up?.chipCount ?? 0;
    for (let chip = 0; chip < chips; chip++) {
      const at = this.o.stats.chip(i, chip).lastNonceAt;
      if (at === undefined || at < c.upAt || at <= (c.seenNonce[chip] ?? 0)) continue;
      c.seenNonce[chip] = at;
      if (c.health?.nonce(chip, at)?.kind === 'chip-recovered') this.o.log.info({ chain: i, chip }, 'chip answering again');
    }
  }

  /** True while the chains are parked for lack of work. */
  get idle(): boolean {
    return this.parked;
  }

  /**
   * No work for the chains (no usable pool): every chain that had work is held in reset, or at its
   * lowest clock when it has no reset line, so the chips stop hashing work nobody can take.
   */
  async park(reason: string): Promise<void> {
    if (this.parked || this.closed || !this.hashing) return;
    this.parked = true;
    for (const c of this.chains) this.syncHealth(c);
    const held = this.chains.filter((c) => c.state === 'running' && c.hadWork);
    for (const c of held) c.state = 'idle';
    this.o.log.warn({ reason, chains: held.map((c) => c.spec.index) }, 'chains idle: no work, chips held in reset');
    this.parking = this.hold(held);
    await this.parking;
  }

  private async hold(held: ChainRuntime[]): Promise<void> {
    await Promise.all(
      held.map(async (c) => {
        const d = c.driver;
        if (!d) return;
        try {
          // Chips held in reset through the chain's reset line. A chain without one goes to the lowest
          // clock its family allows and comes back without a bring-up (which would need a reset first);
          // so does a chain with a silent or missing chip, which a new enumeration could lose.
          const degraded = (c.health?.silentChips().length ?? 0) > 0 || (c.up?.missing.length ?? 0) > 0;
          if (!degraded && (c.device || this.o.resetLine?.(c.spec.index))) {
            c.parkedBy = 'reset';
            await d.holdInReset();
          } else {
            c.parkedBy = 'clock';
            await d.setFrequency(c.spec.minFrequencyMhz);
          }
        } catch (err) {
          this.o.log.warn({ chain: c.spec.index, err: describe(err) }, 'could not park the chain');
        }
      }),
    );
  }

  /** Work again: parked chains are brought up at once (each emits `up` when ready for units). */
  async unpark(reason: string): Promise<void> {
    if (!this.parked) return;
    this.parked = false;
    await this.parking;
    const idle = this.chains.filter((c) => c.state === 'idle');
    if (idle.length === 0 || this.parked || !this.hashing) return;
    this.o.log.info({ reason, chains: idle.map((c) => c.spec.index) }, 'work again: bringing the idle chains up');
    await Promise.all(idle.map((c) => (c.parkedBy === 'clock' ? this.unclock(c) : this.bringUp(c))));
  }

  /** A chain parked at its lowest clock goes back to its clock (the board's, after any hot step-down). */
  private async unclock(c: ChainRuntime): Promise<void> {
    c.parkedBy = undefined;
    try {
      await c.driver?.setFrequency(this.frequency[c.spec.index] as number);
      c.state = 'running';
      c.health?.reset();
      this.emit('up', c);
    } catch (err) {
      this.o.log.warn({ chain: c.spec.index, err: describe(err) }, 'could not restore the clock: re-initialising');
      await this.bringUp(c);
    }
  }

  private checkHealth(): void {
    for (const c of this.chains) {
      if (c.state !== 'running' || !c.health) continue;
      this.syncHealth(c);
      for (const a of c.health.check()) {
        if (a.kind === 'chip-silent') {
          this.o.log.warn({ chain: c.spec.index, chip: a.chip, silentMs: a.silentMs }, 'chip silent');
        } else if (a.kind === 'chain-dead') {
          c.reinits++;
          this.o.log.error({ chain: c.spec.index, silentMs: a.silentMs, reinits: c.reinits }, 'chain silent: re-initialising');
          void this.bringUp(c);
        }
      }
    }
  }

  /** Silent chips per chain (for status and the API). */
  silentChips(index: number): number[] {
    return this.chains[index]?.health?.silentChips() ?? [];
  }

  async close(): Promise<void> {
    this.closed = true;
    this.hashing = false;
    this.o.clock.clearTimeout(this.retryTimer);
    this.o.clock.clearInterval(this.healthTimer);
    await Promise.all(
      this.chains.map(async (c) => {
        await c.driver.close().catch((err: unknown) => this.o.log.warn({ chain: c.spec.index, err: describe(err) }, 'closing chain'));
        await c.device?.stop();
      }),
    );
  }
}
