/**
 * A bit-accurate BM13xx chain: N chips of one family behind one UART, as the host sees them.
 *
 * What it models (docs/bm13xx.md "Frames and registers"): command and job frames with their CRCs; the relay
 * order (frames go down the chain, replies come back up); enumeration (every chip answers the broadcast read
 * of register 0, with address 0 after reset); chain-inactive and set-address (taken by the first chip that
 * has no address yet); register reads and writes; the baud the chips run at, from the registers the host
 * writes (the device end of the port follows it); ticket mask; job storage by id; and real hashing: each chip
 * searches its own slice of the nonce space (core field × its address range × counter, see
 * nonce-layout.ts) with SHA-256 and returns only nonces whose hash meets its ticket, as the chip would.
 *
 * A CPU cannot reach difficulty 1 in real time, so the simulated board may carry a sim-only ticket
 * difficulty below 1 (`simTicketDifficulty`): the chips use it instead of register 0x14's value. It is
 * never on the wire; the host must be told it (it is printed by `asic-agent sim` and exposed as
 * `effectiveTicketDifficulty`).
 *
 * The line is as strict as the wire: when the host's UART runs at another rate than chip 0 (`hostLine`,
 * for example read from the pseudo-terminal the host set up, through a model of the host's UART), frames
 * outside a UART's tolerance arrive as garbage in both directions. Chips keep the baud they were switched
 * to until the reset line is pulsed (setReset), so a host that starts over at 115200 without a reset finds
 * nobody answering, as on a real board.
 *
 * Hashing runs in small time slices on the injected clock; each slice gives every working chip its share
 * of the chain hashrate and stops early if it took more than `maxSliceCpuMs` of CPU, so the event loop is
 * never blocked for long. Replay mode skips hashing: nonces leave at a fixed rate with an effective ticket
 * difficulty of 2^-32 (every hash meets it), for measuring the host's CPU cost per nonce.
 */
import { systemClock, type Clock, type TimerHandle } from '../../../src/clock.js';
import { logger } from '../../../src/log.js';
import { writeU32LE } from '../../../src/work/bytes.js';
import { HeaderOffset } from '../../../src/work/header.js';
import { MiningHasher } from '../../../src/work/sha256-engine.js';
import { u256LeToBigInt } from '../../../src/work/target.js';
import { depositBits } from '../../../src/work/version-rolling.js';
import type { UartPort } from '../../../drivers/transport/uart-port.js';
import { garbleAtWrongRate, uartFrameIntact } from '../../../drivers/transport/host-uart-clock.js';
import type { Command } from '../../../drivers/asic/bm13xx/command-frame.js';
import { familyByName, type ChipFamily, type FamilyName } from '../../../drivers/asic/bm13xx/family.js';
import { HostStreamParser, type HostFrame, type HostStreamStats } from '../../../drivers/asic/bm13xx/host-stream-parser.js';
import { composeNonce, ESP_MINER_NONCE_LAYOUT, nonceFields, validateNonceLayout, type NonceLayout } from '../../../drivers/asic/bm13xx/nonce-layout.js';
import { addressInterval, chunkPosition, nonceAt, nonceSlice, type NonceSlice } from './nonce-slice.js';
import { fullScanTimeMs } from '../../../drivers/asic/bm13xx/registers/hash-counting.js';
import { encodeRegisterReply } from '../../../drivers/asic/bm13xx/response-frame.js';
import { Reg } from '../../../drivers/asic/bm13xx/registers/addresses.js';
import { chipTicketBound } from '../../../drivers/asic/bm13xx/ticket-mask.js';
import { Rng } from './rng.js';
import { SimChip, type ChipJob, type SimChipStats } from './chip.js';
import type { FaultConfig } from './faults.js';
import type { ChipPerformance } from '../lottery/lottery-performance.js';

const log = logger('sim.bm13xx');

/** Replay mode's effective ticket difficulty: every hash is below 2^224 · 2^32. */
export const REPLAY_TICKET_DIFFICULTY = 2 ** -32;

export interface SimChainConfig {
  family: ChipFamily | FamilyName;
  /** Chips on the chain, 1..256. */
  chips: number;
  /** Hashes per second of the whole chain (default 100,000); each chip gets an equal share. */
  hashrate?: number;
  /** Sim-only ticket difficulty used instead of register 0x14 (never sent to hardware). */
  simTicketDifficulty?: number;
  nonceLayout?: NonceLayout;
  faults?: FaultConfig;
  /** Seed for fault injection (default 1). */
  seed?: number;
  /** Hashing slice period, ms (default 10). */
  sliceMs?: number;
  /** CPU time a slice may take before it yields, ms (default 8). */
  maxSliceCpuMs?: number;
  /** Nonces per hashing chunk (default 32). */
  chunk?: number;
  /**
   * Nonces each version covers before the chip rolls to the next one (the simulator's hash counting
   * number; default 2048). A real chip scans far more per version (register 0x10), which a CPU would
   * never finish; a small window lets rolled versions show up at simulated speeds.
   */
  noncesPerVersion?: number;
  /** 'hash' (default) or 'replay' (nonces at a fixed rate without hashing). */
  mode?: 'hash' | 'replay';
  /** Replay mode: nonces per second for the chain. */
  replayNoncesPerSecond?: number;
  clock?: Clock;
  /**
   * The bit rate the host's UART runs at now, or undefined when the link does not say (an in-memory pair
   * models the rates itself). Frames the chips and the host cannot both decode are garbled.
   */
  hostLine?: () => number | undefined;
  /**
   * Chip-level silicon (the silicon lottery, workshop/sim/lottery): each chip hashes at its share of
   * `hashrate` times the speed this gives for the clock its PLL register holds, and that share of its
   * nonces comes back wrong. Without it every chip hashes an equal share, whatever its clock.
   */
  performance?: ChipPerformance;
}

/** A BM13xx receiver samples 8 times per bit (baud = clock / (8 · (BT8D + 1)), registers/baud.ts). */
const CHIP_OVERSAMPLING = 8;
/** The host's receiver (PL011, 16550 and most USB adapters: 16). */
const HOST_OVERSAMPLING = 16;

export interface ChainSimStats {
  chips: (SimChipStats & { index: number; address: number; answering: boolean; frequencyMhz: number; currentlyStarvedMs: number })[];
  host: HostStreamStats;
  repliesSent: number;
  framesCorrupted: number;
  /** Host chunks the chips could not read (host and chip baud too far apart). */
  hostChunksGarbled: number;
  /** Reply chunks the host could not read. */
  replyChunksGarbled: number;
  bytesDropped: number;
  bytesOut: number;
  baud: number;
  hashes: number;
  noncesSent: number;
  /** Sum of chips' starvation (time with an exhausted nonce range and no new job). */
  starvedMs: number;
}

export class ChainSim {
  readonly family: ChipFamily;
  readonly chips: SimChip[];
  readonly layout: NonceLayout;
  readonly hashrate: number;
  private readonly cfg: SimChainConfig & { faults?: FaultConfig };
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly hasher = new MiningHasher();
  private readonly parser: HostStreamParser;
  private readonly scratch = new Uint8Array(80);
  private readonly hashBytes = new Uint8Array(32);
  private port: UartPort | undefined;
  private timer: TimerHandle | undefined;
  private lastTick = 0;
  private startedAt = 0;
  private resetAsserted = false;
  private out: Uint8Array[] = [];
  private flushScheduled = false;
  private replayCarry = 0;
  private replayCursor = 0;
  private hashCursor = 0;
  private readonly slices = new Map<number, NonceSlice>();
  /** Wrong-nonce fractions set by faults (the silicon's own come from `performance`). */
  private readonly faultWrong = new Map<number, number>();
  private currentBaud = 115200;
  private readonly st = { repliesSent: 0, framesCorrupted: 0, hostChunksGarbled: 0, replyChunksGarbled: 0, bytesDropped: 0, bytesOut: 0, noncesSent: 0 };
  private readonly onPortError = (e: Error): void => {
    log.debug({ err: e.message }, 'simulator port error');
  };
  private readonly onData = (b: Uint8Array): void => {
    if (this.resetAsserted) return;
    const host = this.cfg.hostLine?.();
    const chip = this.chipBaud();
    if (host !== undefined && !uartFrameIntact(host, chip, CHIP_OVERSAMPLING)) {
      this.st.hostChunksGarbled++;
      this.parser.push(garbleAtWrongRate(b, host, chip));
    } else {
      this.parser.push(b);
    }
    this.scheduleFlush();
  };

  constructor(config: SimChainConfig) {
    this.cfg = { ...config };
    this.family = typeof config.family === 'string' ? familyByName(config.family) : config.family;
    if (!Number.isInteger(config.chips) || config.chips < 1 || config.chips > 256) throw new RangeError(`chips must be 1..256, got ${config.chips}`);
    this.layout = config.nonceLayout ?? ESP_MINER_NONCE_LAYOUT;
    validateNonceLayout(this.layout);
    this.hashrate = config.hashrate ?? 100_000;
    this.clock = config.clock ?? systemClock;
    this.rng = new Rng(config.seed ?? 1);
    if (config.simTicketDifficulty !== undefined && !(config.simTicketDifficulty > 0)) throw new RangeError('simTicketDifficulty must be positive');
    this.chips = Array.from({ length: config.chips }, (_, i) => new SimChip(i, this.family));
    this.setFaults(config.faults ?? {});
    this.parser = new HostStreamParser(this.family.jobFormat, (fr) => this.onHostFrame(fr));
  }

  /** Replaces the fault configuration at run time (silent chips, deaths and wrong-nonce chips included). */
  setFaults(f: FaultConfig): void {
    this.cfg.faults = f;
    for (const c of this.chips) {
      c.silent = false;
      c.wrongFraction = 0;
    }
    this.faultWrong.clear();
    for (const i of f.silentChips ?? []) this.chipAt(i, 'silent').silent = true;
    for (const w of f.wrongNonces ?? []) {
      this.chipAt(w.chip, 'wrong').wrongFraction = w.fraction;
      this.faultWrong.set(w.chip, w.fraction);
    }
    for (const d of f.deaths ?? []) this.chipAt(d.chip, 'die');
  }

  private chipAt(i: number, what: string): SimChip {
    const c = this.chips[i];
    if (!c) throw new RangeError(`fault '${what}' names chip ${i}, but the chain has ${this.chips.length}`);
    return c;
  }

  /** The difficulty every nonce the chain returns meets (what the host's stats must use). */
  get effectiveTicketDifficulty(): number {
    if (this.cfg.mode === 'replay') return REPLAY_TICKET_DIFFICULTY;
    return this.cfg.simTicketDifficulty ?? this.chips[0]?.registerTicketDifficulty() ?? 1;
  }

  /** Connects the device end of a UART and starts the clock. */
  attach(port: UartPort): void {
    this.port = port;
    port.on('data', this.onData);
    // The host going away (its end of the pty closed) is an I/O error on ours: normal at shutdown.
    port.on('error', this.onPortError);
    this.currentBaud = port.baudRate;
    this.start();
  }

  detach(): void {
    this.port?.off('data', this.onData);
    this.port?.off('error', this.onPortError);
    this.port = undefined;
    this.stop();
  }

  start(): void {
    if (this.timer) return;
    this.startedAt = this.clock.now();
    this.lastTick = this.startedAt;
    this.timer = this.clock.setInterval(() => this.tick(), this.cfg.sliceMs ?? 10);
  }

  stop(): void {
    this.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The reset line: asserted chips forget everything and go back to 115200 baud. */
  setReset(asserted: boolean): void {
    this.resetAsserted = asserted;
    if (asserted) {
      for (const c of this.chips) c.reset();
      this.out = [];
      this.parser.reset();
      this.slices.clear();
      this.followBaud();
    }
  }

  // ---- host frames -------------------------------------------------------------------------------------

  private onHostFrame(f: HostFrame): void {
    const now = this.clock.now();
    this.applyDeaths(now);
    if (f.kind === 'job') {
      for (const c of this.reachable()) {
        if (c.dead) continue;
        const job = c.acceptJob(f.frame, now);
        if (job) this.prepareJob(c, job, now);
      }
      return;
    }
    this.onCommand(f.command);
  }

  private onCommand(cmd: Command): void {
    switch (cmd.op) {
      case 'chain-inactive':
        for (const c of this.reachable()) if (!c.dead) c.addressed = false;
        break;
      case 'set-address':
        for (const c of this.reachable()) {
          if (!c.dead && !c.addressed) {
            c.setAddress(cmd.address);
            break;
          }
        }
        this.slices.clear();
        break;
      case 'write':
        for (const c of this.reachable()) {
          if (!c.dead && (cmd.broadcast || c.address === cmd.address)) c.writeRegister(cmd.register, cmd.value);
        }
        this.followBaud();
        break;
      case 'read':
        for (const c of this.reachable()) {
          if (c.dead || !(cmd.broadcast || c.address === cmd.address)) continue;
          const odd = this.cfg.faults?.ticketMaskReadsAs;
          const value = cmd.register === Reg.ticketMask && odd !== undefined ? odd : c.readRegister(cmd.register);
          this.reply(c, encodeRegisterReply(this.family.responseLength, { value, chipAddress: c.address, register: cmd.register }));
        }
        break;
    }
  }

  /** Chips the host's frames reach, in chain order: up to and including the first one that stopped relaying. */
  private *reachable(): Generator<SimChip> {
    for (const c of this.chips) {
      yield c;
      if (!c.relays) return;
    }
  }

  private upstreamOpen(i: number): boolean {
    for (let k = 0; k < i; k++) if (!(this.chips[k] as SimChip).relays) return false;
    return true;
  }

  /** The rate chip 0 (the one wired to the host) talks at. */
  private chipBaud(): number {
    return this.chips[0]?.baud() ?? 115200;
  }

  /** The device end of the port runs at chip 0's baud (the chip wired to the host). */
  private followBaud(): void {
    const c0 = this.chips[0];
    if (!c0 || !this.port) return;
    const baud = Math.round(c0.baud());
    if (baud === this.currentBaud) return;
    this.currentBaud = baud;
    log.debug({ baud }, 'chain baud changed');
    this.port.setBaudRate(baud).catch((err: unknown) => log.warn({ err: String(err) }, 'device-side baud change failed'));
  }

  private applyDeaths(now: number): void {
    for (const d of this.cfg.faults?.deaths ?? []) {
      const c = this.chips[d.chip];
      if (c && !c.dead && now - this.startedAt >= d.atMs) {
        c.dead = true;
        c.breaksChain = d.breaksChain;
        log.info({ chip: d.chip, breaksChain: d.breaksChain }, 'simulated chip died');
      }
    }
  }

  // ---- hashing -----------------------------------------------------------------------------------------

  private sliceOf(c: SimChip): NonceSlice {
    let g = this.slices.get(c.index);
    if (!g) {
      g = nonceSlice(c.address, addressInterval(this.chips.map((x) => x.address)), this.family.cores, this.layout);
      this.slices.set(c.index, g);
    }
    return g;
  }

  private prepareJob(c: SimChip, job: ChipJob, now: number): void {
    // Starvation accounting: when would this job's range run out at the chip's nominal speed?
    const scan = fullScanTimeMs({
      frequencyMhz: c.frequencyMhz(),
      chips: this.chips.length,
      smallCores: this.family.smallCores,
      cores: this.family.cores,
      versions: job.versionCount,
    });
    c.exhaustedAt = scan === undefined ? undefined : now + scan;
  }

  private position(job: ChipJob, chunkIndex: number): { v: number; start: number } {
    const p = chunkPosition(chunkIndex, job.versionCount, this.cfg.chunk ?? 32, this.cfg.noncesPerVersion ?? 2048);
    return { v: p.version, start: p.start };
  }

  private ticketDifficulty(c: SimChip): number {
    return this.cfg.simTicketDifficulty ?? c.registerTicketDifficulty();
  }

  /** Hashes one chunk of a chip's current job; returns the hashes done. */
  private hashChunk(c: SimChip, bound: bigint, top: number): number {
    const job = c.job;
    if (!job || job.exhausted) return 0;
    const g = this.sliceOf(c);
    const k = this.cfg.chunk ?? 32;
    const { v, start } = this.position(job, job.nextChunk++);
    if (start >= g.size) {
      job.exhausted = true;
      return 0;
    }
    let versionBits = 0;
    if (job.midstates && job.tail12) {
      this.hasher.setMidstate(job.midstates[v] as Uint32Array, job.tail12);
    } else if (job.header) {
      versionBits = depositBits(v, job.rollMask);
      this.scratch.set(job.header);
      writeU32LE(this.scratch, HeaderOffset.version, (job.templateVersion | versionBits) >>> 0);
      this.hasher.setHeader(this.scratch);
    }
    const end = Math.min(g.size, start + k);
    for (let i = start; i < end; i++) {
      const { nonce, core, counter } = nonceAt(g, i, this.layout);
      const tw = this.hasher.topWord(nonce);
      if (tw > top) continue;
      if (tw === top) {
        this.hasher.hashBytes(nonce, this.hashBytes);
        if (u256LeToBigInt(this.hashBytes) >= bound) continue;
      }
      this.found(c, job, v, versionBits, nonce, core, counter);
    }
    return end - start;
  }

  private found(c: SimChip, job: ChipJob, v: number, versionBits: number, nonce: number, core: number, counter: number): void {
    c.stats.noncesFound++;
    let n = nonce;
    if (c.wrongFraction > 0 && this.rng.chance(c.wrongFraction)) {
      // A hardware error: the chip claims a nonce that does not hash (low counter bit flipped, so the
      // nonce still names this chip and core).
      const f = nonceFields(nonce, this.layout);
      n = composeNonce({ ...f, counter: counter ^ 1 }, this.layout);
    }
    const isMid = job.midstates !== undefined;
    const frame = this.family.encodeNonceReply({
      nonce: n,
      jobId: job.idByte,
      midstateIndex: isMid ? v : 0,
      // Which small core found it is not in the nonce; spread it over the small cores.
      smallCore: (counter + core) % this.family.smallCoresPerCore,
      versionBits,
      // BM1397: the slot in b6 as well (bm13xx-rs reads it there); unknown on later chips, sent as 0.
      b6: isMid ? v : 0,
    });
    this.reply(c, frame);
    this.st.noncesSent++;
    if (this.rng.chance(this.cfg.faults?.duplicateFraction ?? 0)) this.reply(c, frame);
  }

  /** Runs hashing for `dtMs` of simulated time (the tick does this; tests may call it directly). */
  hashFor(dtMs: number): void {
    const workers = this.chips.filter((c) => c.answering && c.job && !c.job.exhausted && this.upstreamOpen(c.index));
    if (workers.length === 0) return;
    const perChip = (this.hashrate / this.chips.length) * (dtMs / 1000);
    const k = this.cfg.chunk ?? 32;
    const maxCpu = this.cfg.maxSliceCpuMs ?? 8;
    const t0 = performance.now();
    let cpuOut = false;
    // Start with a different chip each slice, so that a slice cut short by the CPU guard does not always
    // starve the same chips.
    const first = this.hashCursor++ % workers.length;
    const perf = this.cfg.performance;
    for (let w = 0; w < workers.length; w++) {
      const c = workers[(first + w) % workers.length] as SimChip;
      let share = perChip;
      if (perf) {
        const p = perf.at(c.index, c.frequencyMhz());
        share = perChip * p.speed;
        c.wrongFraction = Math.max(p.wrong, this.faultWrong.get(c.index) ?? 0);
      }
      c.credit = Math.min(c.credit + share, share * 5 + k);
      if (cpuOut) continue;
      const bound = chipTicketBound(this.ticketDifficulty(c));
      // A bound of 2^256 passes every hash: no need to hash at all.
      const everything = bound >= 1n << 256n;
      const top = everything ? 0 : Number(bound >> 224n);
      while (c.credit >= k) {
        const done = everything ? this.hashChunkAll(c) : this.hashChunk(c, bound, top);
        c.credit -= k;
        c.stats.hashes += done;
        if (done === 0) break;
        if (performance.now() - t0 > maxCpu) {
          cpuOut = true;
          break;
        }
      }
    }
    if (cpuOut) {
      // Behind: drop the debt instead of bursting later.
      for (const c of workers) c.credit = Math.min(c.credit, k);
    }
  }

  /** A ticket so low that every hash meets it: no need to hash, every nonce is returned. */
  private hashChunkAll(c: SimChip): number {
    const job = c.job;
    if (!job || job.exhausted) return 0;
    const g = this.sliceOf(c);
    const k = this.cfg.chunk ?? 32;
    const { v, start } = this.position(job, job.nextChunk++);
    if (start >= g.size) {
      job.exhausted = true;
      return 0;
    }
    const versionBits = job.header ? depositBits(v, job.rollMask) : 0;
    const end = Math.min(g.size, start + k);
    for (let i = start; i < end; i++) {
      const { nonce, core, counter } = nonceAt(g, i, this.layout);
      this.found(c, job, v, versionBits, nonce, core, counter);
    }
    return end - start;
  }

  private replay(dtMs: number): void {
    const workers = this.chips.filter((c) => c.answering && c.job && !c.job.exhausted && this.upstreamOpen(c.index));
    if (workers.length === 0) return;
    const want = (this.cfg.replayNoncesPerSecond ?? 1000) * (dtMs / 1000) + this.replayCarry;
    let n = Math.floor(want);
    this.replayCarry = Math.min(want - n, 1);
    while (n-- > 0) {
      const c = workers[this.replayCursor++ % workers.length] as SimChip;
      const job = c.job as ChipJob;
      const g = this.sliceOf(c);
      // One nonce per step: the chunk position with a chunk of one.
      const { v, start: i0 } = this.position(job, Math.floor(job.nextChunk / (this.cfg.chunk ?? 32)));
      const i = i0 + (job.nextChunk++ % (this.cfg.chunk ?? 32));
      if (i >= g.size) {
        job.exhausted = true;
        continue;
      }
      const { nonce, core, counter } = nonceAt(g, i, this.layout);
      this.found(c, job, v, job.header ? depositBits(v, job.rollMask) : 0, nonce, core, counter);
    }
  }

  private tick(): void {
    const now = this.clock.now();
    const dt = Math.min(now - this.lastTick, 5 * (this.cfg.sliceMs ?? 10));
    this.lastTick = now;
    this.applyDeaths(now);
    if (this.resetAsserted || !this.port) return;
    if (this.cfg.mode === 'replay') this.replay(dt);
    else this.hashFor(dt);
    this.flush();
  }

  // ---- output ------------------------------------------------------------------------------------------

  private reply(c: SimChip, frame: Uint8Array): void {
    if (!c.answering || !this.upstreamOpen(c.index)) return;
    const delay = this.cfg.faults?.replyDelayMs ?? 0;
    if (delay > 0) {
      this.clock.setTimeout(() => {
        if (this.resetAsserted) return;
        this.out.push(frame);
        this.flush();
      }, delay);
    } else {
      this.out.push(frame);
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.out.length === 0 || !this.port?.isOpen) return;
    const f = this.cfg.faults ?? {};
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const frame of this.out) {
      let fr = frame;
      if (this.rng.chance(f.corruptFraction ?? 0)) {
        fr = frame.slice();
        const bit = this.rng.int(fr.length * 8 - 16) + 16; // keep the preamble, damage the body
        fr[bit >>> 3] = (fr[bit >>> 3] as number) ^ (0x80 >>> (bit & 7));
        this.st.framesCorrupted++;
      }
      if ((f.dropByteFraction ?? 0) > 0) {
        const kept: number[] = [];
        for (const byte of fr) {
          if (this.rng.chance(f.dropByteFraction ?? 0)) this.st.bytesDropped++;
          else kept.push(byte);
        }
        fr = Uint8Array.from(kept);
      }
      parts.push(fr);
      total += fr.length;
    }
    this.st.repliesSent += this.out.length;
    this.out = [];
    const buf = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      buf.set(p, o);
      o += p.length;
    }
    this.st.bytesOut += total;
    const host = this.cfg.hostLine?.();
    const chip = this.chipBaud();
    let wire: Uint8Array = buf;
    if (host !== undefined && !uartFrameIntact(chip, host, HOST_OVERSAMPLING)) {
      this.st.replyChunksGarbled++;
      wire = garbleAtWrongRate(buf, chip, host);
    }
    this.port.write(wire).catch((err: unknown) => log.debug({ err: String(err) }, 'sim write failed'));
  }

  stats(): ChainSimStats {
    const now = this.clock.now();
    const chips = this.chips.map((c) => {
      const starvingNow = c.exhaustedAt !== undefined && now > c.exhaustedAt ? now - c.exhaustedAt : 0;
      return {
        ...c.stats,
        index: c.index,
        address: c.address,
        answering: c.answering,
        frequencyMhz: c.frequencyMhz(),
        currentlyStarvedMs: starvingNow,
      };
    });
    return {
      chips,
      host: { ...this.parser.stats },
      ...this.st,
      baud: this.currentBaud,
      hashes: chips.reduce((s, c) => s + c.hashes, 0),
      starvedMs: chips.reduce((s, c) => s + c.starvedMs + c.currentlyStarvedMs, 0),
    };
  }
}
