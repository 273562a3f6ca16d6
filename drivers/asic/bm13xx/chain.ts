/**
 * A BM13xx chain on one UART: bring-up (docs/bm13xx.md "What a chain does, in order"), work dispatch, nonce
 * decoding, per-chip counters and silence detection.
 *
 * Bring-up: reset pulse (ESP-Miner pulses nRST before every init, main/power/asic_init.c and asic_reset.c
 * @5c27713116c7; without a reset line the chips are told to go back to 115200 by register, at the rate an
 * earlier bring-up left them at); host at 115200; the family's pre-enumeration writes; a broadcast read of register
 * 0 counts the chips and checks their id; the family's configuration (chain inactive, addresses spaced
 * 256/n so that each chip's address splits the nonce space, core registers, ticket mask); a frequency ramp;
 * hash counting number and version mask; both ends to the fast baud; a read-back of register 0 (addresses)
 * and 0x14 (ticket mask) at the new baud to confirm.
 *
 * The chain *is* the scheduler's worker (a MiningChain, src/mining/mining-chain.ts; hops 4 and 5 of the
 * share path in docs/architecture.md): it encodes each WorkUnit's header fields into the family's job
 * frame, and every nonce reply is decoded for the family, matched to the job ring by job id, given its
 * full rolled version and emitted as a NonceReport {unit, version, nonce, chip}; a job id that was reused
 * shortly before also names its earlier units (job-ring.ts), for late nonces. Checking the nonce (mask,
 * SHA-256, ticket, target, duplicate, staleness) is the scheduler's, once each; nothing comes back down.
 */
import { systemClock, type Clock, type TimerHandle } from '../../../src/clock.js';
import { logger, type Logger } from '../../../src/log.js';
import { TypedEmitter } from '../../../src/typed-emitter.js';
import { BIP320_MASK } from '../../../src/work/version-rolling.js';
import type { MiningChain } from '../../../src/mining/mining-chain.js';
import type { NonceReport, UnitHeader, WorkUnit } from '../../../src/mining/work-unit.js';
import { UartBaudError, type UartError, type UartPort } from '../../transport/uart-port.js';
import { chainFigures, chipRollMask, unitIntervalMs, type ChipFigures } from './chain-figures.js';
import { DEFAULT_TIMING, type ChainOptions, type ChainTiming } from './chain-options.js';
import { emptyChainCounters, emptyChipCounters, type ChainCounters, type ChipCounters } from './chain-stats.js';
import { cmd } from './command-frame.js';
import { ChainBringUpError, ChainStateError } from './errors.js';
import { familyByName, type ChipFamily, type InitContext, type InitStep } from './family.js';
import { JobRing, type RingEntry } from './job-ring.js';
import { ESP_MINER_NONCE_LAYOUT, nonceAddressField, nonceCore, nonceSplit, validateNonceLayout, type NonceLayout, type NonceSplit } from './nonce-layout.js';
import { frequencyRamp, solvePll, type PllSetting } from './pll.js';
import { Reg } from './registers/addresses.js';
import { CHIP_RESET_BAUD, planBaudSwitch, planResetBaud, RESET_BAUD } from './registers/baud.js';
import { decodeChipId } from './registers/chip-id.js';
import { CHIP_ROLLABLE_MASK, versionRollingRegister } from './registers/version-mask.js';
import { decodeRawResponse, registerReplyOf, RESPONSE_NONCE_FLAG, type RawResponse, type RegisterReply, type ResponseLength } from './response-frame.js';
import { ResponseParser } from './response-parser.js';
import { ticketDifficultyForRegister, ticketMaskRegister } from './ticket-mask.js';

export type ChainState = 'idle' | 'bringing-up' | 'running' | 'failed' | 'held-in-reset' | 'closed';

export interface BringUpResult {
  family: ChipFamily['name'];
  chipCount: number;
  /** CHIP_ID of each chip in chain order (from the read-back). */
  chipIds: number[];
  /** CORE_NUM byte each chip reported at enumeration. */
  coreNums: number[];
  addresses: number[];
  addressInterval: number;
  /**
   * Chip positions that did not answer (bring-up continued because at least `minChips` did). Positions
   * below chipCount keep their address slot; the others were cut off.
   */
  missing: number[];
  frequencyMhz: number;
  hostBaud: number;
  chipBaud: number;
  /** Difficulty in register 0x14. */
  ticketDifficulty: number;
  /** Chips whose 0x14 read-back did not show the value written (a warning: nobody knows what silicon returns). */
  ticketMaskUnconfirmed: number[];
  versionMask: number;
}

export interface ChipSilence {
  chipIndex: number;
  address: number;
  silentForMs: number;
}

/** A nonce report with what the reply said about where it came from (decode, diagnostics, tests). */
export interface Bm13xxNonce<U extends UnitHeader = WorkUnit> extends NonceReport<U> {
  /** Chip job id (as sent in the job frame). */
  jobId: number;
  /** The raw address field of the nonce. */
  chipAddress: number;
  core: number;
  /** Small core (BM1362/66: 3 bits, BM1368/70: 4 bits); undefined on BM1397. */
  smallCore: number | undefined;
  /** BM1397 midstate slot (0..3); 0 on full-header families. */
  midstateIndex: number;
  /** The raw reply frame. */
  frame: Uint8Array;
}

export type ChainEvents<U extends UnitHeader = WorkUnit> = {
  nonce: [Bm13xxNonce<U>];
  /** The chain stopped working (UART closed under it, bring-up failed); the agent re-initialises it. */
  fault: [reason: string];
  /** A register reply no read was waiting for. */
  register: [RegisterReply];
  'chip-silent': [ChipSilence];
  'chip-alive': [{ chipIndex: number; address: number }];
  state: [ChainState];
  /** A port error (the chain keeps its state; the agent decides whether to reinit). */
  'port-error': [UartError];
};

interface JobEntry<U extends UnitHeader> extends RingEntry<JobEntry<U>> {
  unit: U;
  jobId: number;
  slotVersions: number[];
}

interface Collector {
  accept(r: RegisterReply): boolean;
}

const sleepWith = (clock: Clock, ms: number): Promise<void> => (ms > 0 ? clock.sleep(ms) : Promise.resolve());

export class Bm13xxChain<U extends UnitHeader = WorkUnit> extends TypedEmitter<ChainEvents<U>> implements MiningChain<U> {
  /** The chain's place on the board (its index in the scheduler). */
  readonly index: number;
  readonly family: ChipFamily;
  readonly expectedChips: number;
  /** Fewest answering chips the bring-up accepts (default: all). */
  readonly minChips: number;
  /** Hash clock asked for at bring-up, MHz (setFrequency changes the running clock, not this). */
  readonly frequencyMhz: number;
  readonly fastBaud: number;
  /** Power-of-two difficulty written to register 0x14. */
  readonly ticketDifficulty: number;
  /** Nominal hashrate in H/s (frequency × cores × answering chips, or what the chips behind the port do). */
  nominalHashrate = 0;
  /** How often the chain needs fresh work (job-interval.ts). */
  workIntervalMs = 1000;
  /** Units not sent: the chain was not running, or the write failed. */
  sendFailures = 0;
  /** Hashes per second over the chain's nonce space (chain-figures.ts). */
  spaceRate = 0;
  private chipFigures: ChipFigures | undefined;
  readonly layout: NonceLayout;
  /** The layout as shifts and masks. */
  private readonly split: NonceSplit;
  /**
   * The nonce reply being handled, decoded in place (one object for every reply: the family's id decoder
   * reads it at once and keeps nothing). The parser has checked the frame's preamble, CRC and reserved bits.
   */
  private readonly nonceRaw: RawResponse = {
    length: 9,
    isNonce: true,
    data: new Uint8Array(4),
    b6: 0,
    b7: 0,
    extra16: undefined,
    crc: 0,
    crcOk: true,
    reservedBits: 0,
  };
  private readonly clock: Clock;
  private readonly timing: ChainTiming;
  private readonly log: Logger;
  private readonly parser: ResponseParser;
  private st: ChainState = 'idle';
  private chipsFound = 0;
  private interval = 256;
  private addresses: number[] = [];
  private chips: ChipCounters[] = [];
  private readonly counters: ChainCounters = emptyChainCounters();
  private readonly ring = new JobRing<JobEntry<U>>();
  private lastJobId: number | undefined;
  private chipRollMask: number;
  /** The clock the chips run at now (after the ramp, or after setFrequency). */
  private runningMhz = 0;
  /** Each chip's clock, MHz (the chain's clock after a bring-up or setFrequency; setChipFrequency moves one). */
  private chipMhz: number[] = [];
  private collectors: Collector[] = [];
  private writeChain: Promise<void> = Promise.resolve();
  private watchdog: TimerHandle | undefined;
  private runningSince = 0;
  /** How long a chip may stay without a nonce before it is reported silent. */
  private get silenceMs(): number {
    return this.opts.chipSilenceMs ?? this.defaultSilenceMs();
  }
  /** When the chunk being parsed arrived: every reply in it was read at that moment (one clock read per chunk, not per nonce). */
  private readAt = 0;
  private readonly onData = (b: Uint8Array): void => {
    this.readAt = this.clock.now();
    this.parser.push(b);
  };
  private readonly onPortError = (e: UartError): void => {
    this.counters.portErrors++;
    this.log.warn({ err: e.message, code: e.code }, 'uart error');
    this.emit('port-error', e);
  };
  private readonly onPortClose = (): void => {
    if (this.st === 'closed') return;
    this.log.error('uart closed under the chain');
    this.setState('failed');
  };

  constructor(
    /** The chain's UART, or how to open it (at the first bring-up, and again after releasePort). */
    port: UartPort | (() => UartPort),
    private readonly opts: ChainOptions,
  ) {
    super();
    if (typeof port === 'function') this.openPort = port;
    else this.currentPort = port;
    this.family = typeof opts.family === 'string' ? familyByName(opts.family) : opts.family;
    if (!Number.isInteger(opts.expectedChips) || opts.expectedChips < 1 || opts.expectedChips > 256) {
      throw new RangeError(`expectedChips must be 1..256, got ${opts.expectedChips}`);
    }
    this.expectedChips = opts.expectedChips;
    this.minChips = opts.minChips ?? opts.expectedChips;
    if (!Number.isInteger(this.minChips) || this.minChips < 1 || this.minChips > this.expectedChips) {
      throw new RangeError(`minChips must be 1..${this.expectedChips}, got ${this.minChips}`);
    }
    this.frequencyMhz = opts.frequencyMhz ?? this.family.defaultFrequencyMhz;
    // Validate early: these throw Bm13xxConfigError on impossible settings.
    solvePll(this.frequencyMhz, this.family.pll);
    this.fastBaud = opts.fastBaud ?? this.family.defaultFastBaud;
    planBaudSwitch(this.family.baudScheme, this.fastBaud);
    this.index = opts.index ?? 0;
    this.ticketDifficulty = ticketDifficultyForRegister(opts.ticketDifficulty ?? 256);
    this.layout = opts.nonceLayout ?? ESP_MINER_NONCE_LAYOUT;
    validateNonceLayout(this.layout);
    this.split = nonceSplit(this.layout);
    this.clock = opts.clock ?? systemClock;
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.chipRollMask = (opts.versionMask ?? BIP320_MASK) & CHIP_ROLLABLE_MASK;
    this.log = logger('bm13xx.chain', { chain: opts.name ?? (typeof port === 'function' ? `chain${opts.index ?? 0}` : port.path), family: this.family.name });
    this.parser = new ResponseParser(this.family.responseLength, (f) => this.onFrame(f));
  }

  get state(): ChainState {
    return this.st;
  }

  private currentPort: UartPort | undefined;
  private openPort: (() => UartPort) | undefined;

  /** The chain's UART (opened on first use when the chain was given a way to open it). */
  get port(): UartPort {
    if (!this.currentPort) {
      if (!this.openPort) throw new ChainStateError('the chain has no port');
      this.currentPort = this.openPort();
    }
    return this.currentPort;
  }

  /**
   * Lets go of the UART (its device went away: a simulator replaced by a new one on a new pseudo-terminal)
   * without closing the chain: the next bring-up opens a new one. Only for chains given a way to open it.
   */
  async releasePort(): Promise<void> {
    if (!this.openPort || !this.currentPort) return;
    const p = this.currentPort;
    this.stopWatchdog();
    this.ring.clear();
    p.off('data', this.onData).off('error', this.onPortError).off('close', this.onPortClose);
    await this.writeChain;
    this.currentPort = undefined;
    if (this.st !== 'closed') this.setState('idle');
    await p.close().catch(() => undefined);
  }

  /** The chain's reset line, if it has one now (asked at each use: a board may wire it later). */
  private get reset(): ((asserted: boolean) => Promise<void> | void) | undefined {
    return this.opts.resetLine ? this.opts.resetLine() : this.opts.reset;
  }

  /** Chips brought up (0 before bring-up). */
  get chipCountFound(): number {
    return this.chipsFound;
  }

  get addressInterval(): number {
    return this.interval;
  }

  /** Sixty expected nonce intervals of one chip at the difficulty its nonces meet, from the family's nominal hashrate. */
  private defaultSilenceMs(): number {
    const chipHashrate = this.frequencyMhz * 1e6 * this.family.smallCores;
    const intervalMs = ((2 ** 32 * this.nonceDifficulty) / chipHashrate) * 1000;
    return Math.max(60_000, 60 * intervalMs);
  }

  // ---- the scheduler's view (MiningChain) --------------------------------------------------------------

  /** Chips brought up (the scheduler's MiningChain.chipCount). */
  get chipCount(): number {
    return this.chipCountFound;
  }

  /**
   * What the chips behind the port really do when it is not what the silicon's registers say (a
   * simulated chain: its simulator's ticket difficulty and hashrate); undefined for silicon.
   */
  useChipFigures(f: ChipFigures | undefined): void {
    this.chipFigures = f;
  }

  /** The difficulty every returned nonce meets (MiningChain.nonceDifficulty): the register's, or the chips' own. */
  get nonceDifficulty(): number {
    return this.chipFigures?.ticketDifficulty ?? this.ticketDifficulty;
  }

  /** The figures of a fresh bring-up. */
  private updateFigures(up: BringUpResult): void {
    const f = chainFigures(this.family, up, this.chipFigures);
    this.nominalHashrate = f.nominalHashrate;
    this.workIntervalMs = f.workIntervalMs;
    this.spaceRate = f.spaceRate;
  }

  /** Version bits the chips roll on their own for a job allowing `jobMask` (chain-figures.ts). */
  rollMaskFor(jobMask: number): number {
    return chipRollMask(this.family, jobMask);
  }

  /** How often a unit rolling `rollMask` must be replaced (chain-figures.ts). */
  workIntervalFor(rollMask: number): number {
    return unitIntervalMs(this, rollMask);
  }

  /** Sends a unit (MiningChain.sendWork): never throws; a unit the chain cannot take is counted. */
  sendWork(unit: U): void {
    if (this.st !== 'running') {
      this.sendFailures++;
      return;
    }
    this.dispatch(unit).catch((err: unknown) => {
      this.sendFailures++;
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'work not sent');
    });
  }

  private setState(s: ChainState): void {
    if (this.st === s) return;
    this.st = s;
    this.emit('state', s);
    if (s === 'failed') this.emit('fault', 'chain failed');
  }

  // ---- I/O helpers -------------------------------------------------------------------------------------

  private send(frame: Uint8Array): Promise<void> {
    // Handed to the port at once: ports keep their writes in order (serialport queues them), and waiting
    // for the previous write to complete first would delay a new block's jobs behind older frames.
    const p = this.port.write(frame);
    // Keep the chain alive after a failed write; the caller sees the rejection. close() waits for this.
    this.writeChain = this.writeChain.then(() => p).catch(() => undefined);
    return p;
  }

  private async sendGap(frame: Uint8Array): Promise<void> {
    await this.send(frame);
    await sleepWith(this.clock, this.timing.commandGapMs);
  }

  private attach(): void {
    this.port.off('data', this.onData).off('error', this.onPortError).off('close', this.onPortClose);
    this.port.on('data', this.onData).on('error', this.onPortError).on('close', this.onPortClose);
  }

  private onFrame(frame: Uint8Array): void {
    this.counters.framesOk++;
    // Bit 7 of the last byte marks a nonce reply (response-frame.ts): tens of thousands a second on a big
    // board, decoded without allocating (onNonce); register replies are few.
    if (((frame[frame.length - 1] as number) & RESPONSE_NONCE_FLAG) !== 0) {
      this.onNonce(frame);
      return;
    }
    const raw = decodeRawResponse(frame);
    const reply = registerReplyOf(raw);
    this.counters.registerReplies++;
    let taken = false;
    for (const c of this.collectors) if (c.accept(reply)) taken = true;
    if (!taken) {
      this.counters.unsolicitedRegisterReplies++;
      this.emit('register', reply);
    }
  }

  /**
   * Sends `frame` (a read) and collects matching register replies until `expected` arrived and the settle
   * time passed, or until no reply came for the quiet time.
   */
  private collect(frame: Uint8Array, match: (r: RegisterReply) => boolean, expected: number): Promise<RegisterReply[]> {
    return new Promise<RegisterReply[]>((resolve, reject) => {
      const got: RegisterReply[] = [];
      let timer: TimerHandle | undefined;
      const done = (): void => {
        this.clock.clearTimeout(timer);
        this.collectors = this.collectors.filter((c) => c !== collector);
        resolve(got);
      };
      const arm = (): void => {
        this.clock.clearTimeout(timer);
        timer = this.clock.setTimeout(done, got.length >= expected ? this.timing.replySettleMs : this.timing.replyQuietMs);
      };
      const collector: Collector = {
        accept: (r) => {
          if (!match(r)) return false;
          got.push(r);
          // Re-arm on every reply: a long chain keeps answering.
          arm();
          return true;
        },
      };
      this.collectors.push(collector);
      arm();
      this.send(frame).catch((err: unknown) => {
        this.clock.clearTimeout(timer);
        this.collectors = this.collectors.filter((c) => c !== collector);
        reject(err);
      });
    });
  }

  // ---- bring-up ----------------------------------------------------------------------------------------

  /**
   * Resets, enumerates and configures the chain. Throws ChainBringUpError naming missing chips.
   * `frequencyMhz` (default: the configured one) lets a board that was stepped down while hot come back
   * at the lower clock instead of undoing the step (issue 21 D1).
   */
  async bringUp(frequencyMhz = this.frequencyMhz): Promise<BringUpResult> {
    if (this.st === 'closed') throw new ChainStateError('chain is closed');
    if (this.st === 'bringing-up') throw new ChainStateError('bring-up already in progress');
    this.setState('bringing-up');
    this.stopWatchdog();
    this.ring.clear();
    this.lastJobId = undefined;
    try {
      const result = await this.doBringUp(frequencyMhz);
      this.updateFigures(result);
      this.runningSince = this.clock.now();
      this.setState('running');
      this.startWatchdog();
      this.log.info({ chips: result.chipCount, frequencyMhz: result.frequencyMhz, baud: result.hostBaud }, 'chain up');
      return result;
    } catch (err) {
      this.setState('failed');
      throw err;
    }
  }

  private async doBringUp(frequencyMhz: number): Promise<BringUpResult> {
    const t = this.timing;
    if (!this.port.isOpen) await this.port.open();
    this.attach();
    // Nothing of ours is on the line yet: find out now whether the host can make the fast rate, before any
    // chip is told to move to it (a failed read-back later would strand the chips).
    await this.moveHostToFastBaud();
    const reset = this.reset;
    if (reset) {
      await reset(true);
      await sleepWith(this.clock, t.resetAssertMs);
      await reset(false);
      await sleepWith(this.clock, t.resetSettleMs);
    } else {
      await this.resetBaudByRegister();
    }
    // After reset every chip talks at 115200 (ESP-Miner's recovery also starts the host there). Nothing
    // of ours is in flight yet, so a full flush only drops what the chips sent before the reset.
    if (this.port.baudRate !== RESET_BAUD) await this.port.setBaudRate(RESET_BAUD);
    await this.port.drain();
    await this.port.flush();
    this.parser.reset();

    const ticketMask = ticketMaskRegister(this.ticketDifficulty);
    const versionRolling = versionRollingRegister(this.chipRollMask);
    const ctx0: InitContext = { chipCount: this.expectedChips, ticketMask, versionRolling };
    await this.runSteps(this.family.preEnumeration(ctx0), []);

    // Enumeration: every chip answers the broadcast read of register 0 (with ADDR 0 after reset).
    // A damaged reply makes the count short: ask again and keep the best answer.
    let ids: RegisterReply[] = [];
    for (let a = 0; a <= t.readRetries && ids.length < this.expectedChips; a++) {
      const got = await this.collect(cmd.readAll(Reg.chipId), (r) => r.register === Reg.chipId, this.expectedChips);
      if (got.length > ids.length) ids = got;
    }
    const foreign = ids.map((r) => decodeChipId(r.value).chipId).filter((id) => id !== this.family.chipId);
    if (foreign.length > 0) {
      throw new ChainBringUpError(
        `chain answers with chip ids ${[...new Set(foreign)].map((x) => x.toString(16)).join(', ')}, expected ${this.family.chipId.toString(16)}`,
        {
          expected: this.expectedChips,
          found: ids.length,
          missing: [],
          foreignIds: [...new Set(foreign)],
          stage: 'enumeration',
        },
      );
    }
    if (ids.length > this.expectedChips) {
      throw new ChainBringUpError(`${ids.length} chips answered, configured for ${this.expectedChips}`, {
        expected: this.expectedChips,
        found: ids.length,
        missing: [],
        stage: 'enumeration',
      });
    }
    const coreNums = ids.map((r) => decodeChipId(r.value).coreNum);
    let missing: number[] = [];
    let n = ids.length;
    if (ids.length < this.expectedChips) {
      const m = await this.identifyMissing();
      missing = m.missing;
      // A silent chip that still took its address leaves a hole: keep every slot, so that each chip keeps
      // the address (and nonce range) of its position. Missing positions only at the end mean a chain cut
      // there, or a chip that takes no address and shifts the ones after it: address the chips that answer.
      n = m.holes ? this.expectedChips : ids.length;
      const where = m.holes ? missing.join(', ') : `${missing.join(', ')} (or an earlier chip that takes no address and shifts the rest)`;
      this.log.warn({ found: ids.length, expected: this.expectedChips, missing, minChips: this.minChips }, 'chips missing at enumeration');
      if (ids.length < this.minChips || ids.length === 0) {
        throw new ChainBringUpError(`${ids.length} of ${this.expectedChips} chips answered (at least ${this.minChips} needed); missing ${where}`, {
          expected: this.expectedChips,
          found: ids.length,
          missing,
          stage: 'enumeration',
        });
      }
    }

    this.chipsFound = n;
    this.interval = Math.floor(256 / n);
    this.addresses = Array.from({ length: n }, (_, i) => i * this.interval);
    this.chips = this.addresses.map((a, i) => emptyChipCounters(i, a));
    const absent = new Set(missing.filter((i) => i < n));
    const ctx: InitContext = { chipCount: n, ticketMask, versionRolling };
    await this.runSteps(this.family.configure(ctx), this.addresses);

    // Frequency ramp from the reset clock.
    let actualMhz = this.family.resetFrequencyMhz;
    for (const f of frequencyRamp(this.family.resetFrequencyMhz, frequencyMhz, t.rampStepMhz)) {
      const s = solvePll(f, this.family.pll);
      await this.writeFrequency(s);
      actualMhz = s.frequencyMhz;
      await sleepWith(this.clock, t.rampStepDelayMs);
    }
    await this.runSteps(this.family.finalize({ ...ctx, frequencyMhz: actualMhz }), this.addresses);
    this.runningMhz = actualMhz;
    this.chipMhz = new Array<number>(this.chipCount).fill(actualMhz);

    // Baud switch: write at the old rate, let it leave the wire, then move the host and drop stale bytes.
    // Stale input is dropped in the parser, not with tcflush: flushing would also discard output the
    // other side has not read yet (on a pty, TCIOFLUSH empties the peer's input buffer), and the
    // parser resynchronises on garbage anyway. Then read back every chip at the new rate; when nobody
    // answers but the chips still answer at the old rate, the write was lost: send it once more.
    let chipBaud = CHIP_RESET_BAUD;
    let back = new Map<number, RegisterReply>();
    const isOurs = (r: RegisterReply): boolean => decodeChipId(r.value).chipId === this.family.chipId;
    if (this.fastBaud !== this.port.baudRate) {
      const plan = planBaudSwitch(this.family.baudScheme, this.fastBaud);
      const oldBaud = this.port.baudRate;
      for (let attempt = 1; ; attempt++) {
        for (const w of plan.writes) await this.send(cmd.writeAll(w.register, w.value));
        await this.port.drain();
        await sleepWith(this.clock, t.baudSwitchDelayMs);
        await this.port.setBaudRate(this.fastBaud);
        this.parser.reset();
        back = await this.readBack(Reg.chipId, isOurs, absent);
        if (back.size > 0 || attempt >= 2) break;
        await this.port.setBaudRate(oldBaud);
        this.parser.reset();
        const still = await this.collect(cmd.readAll(Reg.chipId), (r) => r.register === Reg.chipId, n);
        if (still.length === 0) {
          await this.port.setBaudRate(this.fastBaud);
          break;
        }
        this.log.warn({ baud: this.fastBaud }, 'chips did not take the baud switch; sending it again');
      }
      chipBaud = plan.chipBaud;
    } else {
      back = await this.readBack(Reg.chipId, isOurs, absent);
    }

    // Every chip that answered at enumeration must answer with its address.
    const notBack = this.addresses.map((a, i) => (back.has(a) || absent.has(i) ? -1 : i)).filter((i) => i >= 0);
    if (notBack.length > 0) {
      throw new ChainBringUpError(`chips ${notBack.join(', ')} did not answer the read-back at ${this.fastBaud} baud`, {
        expected: this.expectedChips,
        found: n - notBack.length,
        missing: notBack,
        stage: back.size === 0 ? 'baud' : 'readback',
      });
    }
    // No working firmware reads 0x14 back (ESP-Miner, cgminer, mujina), so what silicon answers there is
    // unknown: a difference is worth a warning, not a refused chain, until it is checked on hardware.
    const tickets = await this.readBack(Reg.ticketMask, (r) => r.value === ticketMask, absent);
    const ticketMaskUnconfirmed = this.addresses.map((a, i) => (tickets.has(a) || absent.has(i) ? -1 : i)).filter((i) => i >= 0);
    if (ticketMaskUnconfirmed.length > 0) {
      this.log.warn(
        { chips: ticketMaskUnconfirmed, wrote: `0x${ticketMask.toString(16).padStart(8, '0')}` },
        'ticket mask read-back differs (unverified on hardware; continuing)',
      );
    }
    const chipIds = this.addresses.map((a) => decodeChipId(back.get(a)?.value ?? 0).chipId);

    return {
      family: this.family.name,
      chipCount: n,
      chipIds,
      coreNums,
      addresses: [...this.addresses],
      addressInterval: this.interval,
      missing,
      frequencyMhz: actualMhz,
      hostBaud: this.port.baudRate,
      chipBaud,
      ticketDifficulty: this.ticketDifficulty,
      versionMask: this.chipRollMask,
      ticketMaskUnconfirmed,
    };
  }

  /**
   * Sets the host to the fast rate, or fails the bring-up when its UART cannot make it: a kernel driver
   * that cannot keeps the previous rate and says so only on read-back (SerialPortUart,
   * host-uart-clock.ts). A Raspberry Pi's 48 MHz PL011, for one, stops at 3,000,000 baud.
   */
  private async moveHostToFastBaud(): Promise<void> {
    if (this.fastBaud === RESET_BAUD || this.port.baudRate === this.fastBaud) return;
    try {
      await this.port.setBaudRate(this.fastBaud);
    } catch (err) {
      if (!(err instanceof UartBaudError)) throw err;
      throw new ChainBringUpError(`host UART cannot do ${this.fastBaud} baud (${this.port.path} stays at ${err.actual}); set fast_baud to a rate it can make`, {
        expected: this.expectedChips,
        found: 0,
        missing: [],
        stage: 'baud',
      });
    }
  }

  /**
   * Without a reset line, chips keep the baud an earlier bring-up (or an earlier run of the agent) gave
   * them, and a host at 115200 is garbage to them. So the reset-rate writes go out at the fast rate first:
   * chips at that rate go back to 115200, chips already there see noise and ignore it.
   */
  private async resetBaudByRegister(): Promise<void> {
    if (this.fastBaud === RESET_BAUD) return;
    // The host is at the fast rate already (moveHostToFastBaud).
    this.parser.reset();
    for (const w of planResetBaud(this.family.baudScheme).writes) await this.send(cmd.writeAll(w.register, w.value));
    await this.port.drain();
    await sleepWith(this.clock, this.timing.baudSwitchDelayMs);
    this.log.debug({ from: this.fastBaud }, 'no reset line: chips told to return to 115200 by register');
  }

  /** Broadcast read of `register`, retried; returns the good replies by chip address. */
  private async readBack(register: number, good: (r: RegisterReply) => boolean, absent: ReadonlySet<number> = new Set()): Promise<Map<number, RegisterReply>> {
    const byAddr = new Map<number, RegisterReply>();
    const want = new Set(this.addresses.filter((_, i) => !absent.has(i)));
    for (let a = 0; a <= this.timing.readRetries && byAddr.size < want.size; a++) {
      const got = await this.collect(cmd.readAll(register), (r) => r.register === register, this.chipsFound);
      for (const r of got) if (want.has(r.chipAddress) && good(r)) byAddr.set(r.chipAddress, r);
    }
    return byAddr;
  }

  /**
   * When fewer chips answer than expected: address the expected number and see which addresses answer a
   * broadcast read. A chip that stopped relaying hides every chip after it, which is what the list says.
   * `holes` is true when a missing position is followed by one that answers: the silent chip took its
   * address, so every position is known.
   */
  private async identifyMissing(): Promise<{ missing: number[]; holes: boolean }> {
    const n = this.expectedChips;
    const interval = Math.floor(256 / n);
    const addrs = Array.from({ length: n }, (_, i) => i * interval);
    await this.send(cmd.chainInactive());
    for (const a of addrs) await this.sendGap(cmd.setAddress(a));
    const seen = new Set<number>();
    for (let a = 0; a <= this.timing.readRetries && seen.size < n; a++) {
      const replies = await this.collect(cmd.readAll(Reg.chipId), (r) => r.register === Reg.chipId, n);
      for (const r of replies) seen.add(r.chipAddress);
    }
    const missing = addrs.map((a, i) => (seen.has(a) ? -1 : i)).filter((i) => i >= 0);
    const lastAnswering = addrs.reduce((last, a, i) => (seen.has(a) ? i : last), -1);
    return { missing, holes: missing.some((i) => i < lastAnswering) };
  }

  private async runSteps(steps: InitStep[], addresses: number[]): Promise<void> {
    const t = this.timing;
    for (const s of steps) {
      switch (s.kind) {
        case 'write':
          await this.sendGap(cmd.writeAll(s.register, s.value));
          break;
        case 'write-first':
          if (addresses.length > 0) await this.sendGap(cmd.writeChip(addresses[0] as number, s.register, s.value));
          break;
        case 'per-chip':
          for (const a of addresses) {
            for (const w of s.writes) await this.sendGap(cmd.writeChip(a, w.register, w.value));
            await sleepWith(this.clock, t.perChipPauseMs ?? s.pauseMs);
          }
          break;
        case 'chain-inactive':
          for (let i = 0; i < s.repeat; i++) await this.sendGap(cmd.chainInactive());
          break;
        case 'set-addresses':
          for (const a of addresses) await this.sendGap(cmd.setAddress(a));
          break;
        case 'delay':
          await sleepWith(this.clock, s.ms * t.stepDelayScale);
          break;
      }
    }
  }

  // ---- work and nonces ---------------------------------------------------------------------------------

  /**
   * Encodes `unit` for the family, gives it the next chip job id, remembers it in the ring and sends it.
   * Resolves with the job id once the frame is written; rejects when the chain is not running.
   */
  async dispatch(unit: U): Promise<number> {
    if (this.st !== 'running') throw new ChainStateError(`cannot send work while ${this.st}`);
    const jobId = this.family.nextJobId(this.lastJobId);
    this.lastJobId = jobId;
    const enc = this.family.encodeWork(unit, jobId);
    if (this.family.jobFormat === 'full-header' && enc.chipRollMask !== this.chipRollMask) {
      // The chips roll under 0xA4 for every job: follow the work's mask (nonces from older jobs rolled
      // outside their own mask are dropped by the mask check below).
      this.chipRollMask = enc.chipRollMask;
      void this.send(cmd.writeAll(Reg.versionRolling, versionRollingRegister(this.chipRollMask))).catch(() => undefined);
    }
    const entry: JobEntry<U> = { unit, jobId, generation: this.ring.nextGeneration(), slotVersions: enc.slotVersions };
    this.ring.put(this.family.chipJobId(jobId), entry, this.clock.now());
    this.counters.jobsSent++;
    await this.send(enc.frame);
    return jobId;
  }

  private onNonce(frame: Uint8Array): void {
    // The reply's fields as decodeRawResponse gives them (response-frame.ts), into the one scratch object.
    const raw = this.nonceRaw;
    const len = frame.length;
    const d0 = frame[2] as number;
    const d1 = frame[3] as number;
    const d2 = frame[4] as number;
    const d3 = frame[5] as number;
    raw.length = len as ResponseLength;
    raw.data[0] = d0;
    raw.data[1] = d1;
    raw.data[2] = d2;
    raw.data[3] = d3;
    raw.b6 = frame[6] as number;
    raw.b7 = frame[7] as number;
    raw.extra16 = len === 11 ? ((frame[8] as number) << 8) | (frame[9] as number) : undefined;
    raw.crc = (frame[len - 1] as number) & 0x1f;
    const ids = this.family.decodeNonceIds(raw);
    // Bytes 2..5 read little-endian: the header's nonce value (families/common.ts nonceOfReply).
    const nonce = (d0 | (d1 << 8) | (d2 << 16) | (d3 << 24)) >>> 0;
    const addressField = nonceAddressField(nonce, this.split);
    const idx = Math.floor(addressField / this.interval);
    const chip = idx < this.chipsFound ? this.chips[idx] : undefined;
    if (!chip) this.counters.unattributedNonces++;
    // The unit now holding this job id, then the ones it replaced within the late window.
    const now = this.readAt;
    const lineage = this.ring.lineage(ids.jobId, now);
    // The newest of them with the midstate slot the reply names (BM1397: a unit fills 1 or 4 slots).
    let first = -1;
    let version = 0;
    for (let i = 0; i < lineage.length && first < 0; i++) {
      const v = this.versionOf(lineage[i] as JobEntry<U>, ids);
      if (v !== undefined) {
        first = i;
        version = v;
      }
    }
    const current = lineage[first];
    if (!current) {
      // No unit under this id, or a midstate slot no unit filled: the chip hashed nothing we sent.
      this.counters.unknownJobIds++;
      if (chip) chip.unknownJobIds++;
      return;
    }
    this.counters.nonces++;
    if (chip) {
      chip.nonces++;
      chip.lastNonceAt = now;
      if (chip.silent) {
        chip.silent = false;
        this.emit('chip-alive', { chipIndex: chip.index, address: chip.address });
      }
    }
    const report: Bm13xxNonce<U> = {
      unit: current.unit,
      version,
      nonce,
      chip: chip ? chip.index : -1,
      at: now,
      jobId: current.jobId,
      chipAddress: addressField,
      core: nonceCore(nonce, this.split),
      smallCore: ids.smallCore,
      midstateIndex: ids.midstateIndex,
      frame,
    };
    if (lineage.length > first + 1) {
      const earlier: { unit: U; version: number }[] = [];
      for (let i = first + 1; i < lineage.length; i++) {
        const e = lineage[i] as JobEntry<U>;
        const v = this.versionOf(e, ids);
        if (v !== undefined) earlier.push({ unit: e.unit, version: v });
      }
      if (earlier.length > 0) report.earlier = earlier;
    }
    if (this.ring.historyCut(ids.jobId, now)) report.historyCut = true;
    this.emit('nonce', report);
  }

  /** The full version a nonce reply means for a unit; undefined when it names a midstate slot the unit did not fill. */
  private versionOf(e: JobEntry<U>, ids: ReturnType<ChipFamily['decodeNonceIds']>): number | undefined {
    // BM1397: the version of the midstate slot; others (ESP-Miner): rolled = unit version | (field << 13).
    if (this.family.jobFormat === 'midstate') return e.slotVersions[ids.midstateIndex];
    return (e.unit.version | ids.versionBits) >>> 0;
  }

  // ---- registers ---------------------------------------------------------------------------------------

  /**
   * Reads a register from every chip (`'all'`, resolves with the replies that came) or from one chip by
   * index (resolves with its reply, or undefined when it did not answer).
   */
  async readRegister(register: number, target: 'all'): Promise<RegisterReply[]>;
  async readRegister(register: number, target: number): Promise<RegisterReply | undefined>;
  async readRegister(register: number, target: 'all' | number): Promise<RegisterReply[] | RegisterReply | undefined> {
    if (this.st !== 'running') throw new ChainStateError(`cannot read registers while ${this.st}`);
    if (target === 'all') return this.collect(cmd.readAll(register), (r) => r.register === register, this.chipsFound);
    const address = this.addresses[target];
    if (address === undefined) throw new RangeError(`no chip ${target} on this chain`);
    const got = await this.collect(cmd.readChip(address, register), (r) => r.register === register && r.chipAddress === address, 1);
    return got[0];
  }

  /** Writes a register on every chip or on one chip by index. */
  async writeRegister(register: number, value: number, target: 'all' | number): Promise<void> {
    if (this.st !== 'running') throw new ChainStateError(`cannot write registers while ${this.st}`);
    if (target === 'all') return this.send(cmd.writeAll(register, value));
    const address = this.addresses[target];
    if (address === undefined) throw new RangeError(`no chip ${target} on this chain`);
    return this.send(cmd.writeChip(address, register, value));
  }

  // ---- health ------------------------------------------------------------------------------------------

  private startWatchdog(): void {
    this.stopWatchdog();
    const every = Math.max(50, Math.min(1000, Math.floor(this.silenceMs / 4)));
    this.watchdog = this.clock.setInterval(() => this.checkSilence(), every);
  }

  private stopWatchdog(): void {
    this.clock.clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  private checkSilence(): void {
    const now = this.clock.now();
    for (const c of this.chips) {
      const since = now - (c.lastNonceAt ?? this.runningSince);
      if (!c.silent && since > this.silenceMs) {
        c.silent = true;
        this.log.warn({ chip: c.index, address: c.address, silentForMs: Math.round(since) }, 'chip silent');
        this.emit('chip-silent', { chipIndex: c.index, address: c.address, silentForMs: since });
      }
    }
  }

  /** Counters of the chain and of each chip (copies). */
  stats(): { chain: ChainCounters; chips: ChipCounters[] } {
    const p = this.parser.stats;
    return {
      chain: { ...this.counters, crcErrors: p.crcErrors, bytesDiscarded: p.bytesDiscarded },
      chips: this.chips.map((c) => ({ ...c })),
    };
  }

  /** The hash clock the chips run at now, MHz (0 before bring-up). */
  get currentFrequencyMhz(): number {
    return this.runningMhz;
  }

  /**
   * Ramps a running chain to `mhz` in the timing's steps (down when the board is hot), then rewrites the
   * registers that depend on the clock (hash counting number,
   * docs/bm13xx.md "Registers"). Returns the frequency the PLL solver reached.
   */
  async setFrequency(mhz: number): Promise<number> {
    if (this.st !== 'running') throw new ChainStateError(`cannot change frequency while ${this.st}`);
    const t = this.timing;
    let actual = this.runningMhz;
    for (const f of frequencyRamp(this.runningMhz, mhz, t.rampStepMhz)) {
      const s = solvePll(f, this.family.pll);
      await this.writeFrequency(s);
      actual = s.frequencyMhz;
      await sleepWith(this.clock, t.rampStepDelayMs);
    }
    const ctx: InitContext = {
      chipCount: this.chipsFound,
      ticketMask: ticketMaskRegister(this.ticketDifficulty),
      versionRolling: versionRollingRegister(this.chipRollMask),
    };
    await this.runSteps(this.family.finalize({ ...ctx, frequencyMhz: actual }), this.addresses);
    this.log.info({ from: this.runningMhz, to: actual }, 'frequency changed');
    this.runningMhz = actual;
    this.chipMhz = new Array<number>(this.chipCount).fill(actual);
    return actual;
  }

  /** Each chip's clock now, MHz, by chip index (0 before bring-up). */
  chipFrequencies(): number[] {
    return this.chipMhz.slice();
  }

  /**
   * One chip's clock, by addressed PLL writes to that chip only (a register write with the broadcast bit A
   * clear goes to the chip at its address: docs/bm13xx.md "Command frames"; BM1397 and BM1362 also write 0x70, as
   * their families' frequencyWrites say). Large moves go in the
   * ramp's steps like setFrequency's. The hash counting number (0x10) is left at the chain's value: it
   * follows the chain's clock and chip count, and no source writes it per chip. Resolves with the clock
   * the PLL reached.
   */
  async setChipFrequency(index: number, mhz: number): Promise<number> {
    if (this.st !== 'running') throw new ChainStateError(`cannot change frequency while ${this.st}`);
    const address = this.addresses[index];
    if (address === undefined) throw new RangeError(`no chip ${index} on this chain`);
    const t = this.timing;
    let actual = this.chipMhz[index] ?? this.runningMhz;
    for (const f of frequencyRamp(actual, mhz, t.rampStepMhz)) {
      const s = solvePll(f, this.family.pll);
      await this.writeFrequency(s, address);
      actual = s.frequencyMhz;
      this.chipMhz[index] = actual;
      await sleepWith(this.clock, t.rampStepDelayMs);
    }
    return actual;
  }

  /**
   * One PLL setting, broadcast or to the chip at `address`, with the family's pause around each write
   * (scaled like the family's other delays, so simulators skip it).
   */
  private async writeFrequency(s: PllSetting, address?: number): Promise<void> {
    const gap = this.family.frequencyWriteGapMs * this.timing.stepDelayScale;
    for (const w of this.family.frequencyWrites(s)) {
      await sleepWith(this.clock, gap);
      await this.sendGap(address === undefined ? cmd.writeAll(w.register, w.value) : cmd.writeChip(address, w.register, w.value));
    }
    await sleepWith(this.clock, gap);
  }

  // ---- lifecycle ---------------------------------------------------------------------------------------

  /**
   * Holds reset, then brings the chain up again from 115200 baud (recovery, docs/bm13xx.md "Failures and
   * recovery").
   */
  async reinit(frequencyMhz = this.frequencyMhz): Promise<BringUpResult> {
    if (this.st === 'closed') throw new ChainStateError('chain is closed');
    this.stopWatchdog();
    return this.bringUp(frequencyMhz);
  }

  /** Stops work and holds the chips in reset (false when there is no reset line to hold). */
  async holdInReset(): Promise<boolean> {
    this.stopWatchdog();
    this.ring.clear();
    const reset = this.reset;
    if (!reset) {
      this.log.warn('no reset line: chips keep their last job');
      if (this.st !== 'closed') this.setState('held-in-reset');
      return false;
    }
    await reset(true);
    if (this.st !== 'closed') this.setState('held-in-reset');
    return true;
  }

  /** Holds reset (when possible) and closes the port. */
  async close(): Promise<void> {
    if (this.st === 'closed') return;
    await this.holdInReset().catch((err: unknown) => this.log.warn({ err: String(err) }, 'reset failed while closing'));
    this.setState('closed');
    this.collectors = [];
    const p = this.currentPort;
    if (!p) return;
    p.off('data', this.onData).off('error', this.onPortError).off('close', this.onPortClose);
    await this.writeChain;
    await p.close();
  }
}
