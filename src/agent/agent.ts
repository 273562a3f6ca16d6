/**
 * The agent: the firmware's parts composed into one running miner.
 *
 *   pools (PoolManager: SV2 / SV1 / JD upstreams)  --job-->  Scheduler --work--> ChainSet (BM13xx chains)
 *        ^                                                      |
 *        '-- share.job.upstream.submit() <-- SharePath <-- nonce check <-'  nonces
 *   (the seven hops of the share path: docs/architecture.md)
 *   Board (I2C/GPIO, thermal policy, safe state) owns power and may stop hashing at any moment.
 *   Local APIs (cgminer 4028, HTTP, /metrics) read a snapshot; they never drive the data path.
 *
 * Every way out goes through the board's safe state (src/board/exit-guard.ts, installed by `run`).
 */
import type { LevelWithSilent } from 'pino';
import { startLocalApi, type LocalApi } from '../api/local-api.js';
import { resolveApiOptions } from '../api/api-options.js';
import { createBoardRuntime, type BoardRuntime } from '../board/runtime.js';
import type { SimulatedParts } from '../board/simulated-parts.js';
import type { MiningControl } from '../board/board.js';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import type { RunConfig } from '../config/run-config.js';
import { poolGroupsOf, poolManagerTiming } from '../config/pool-sections.js';
import { toApiOptionsInput } from '../config/api-section.js';
import { ConfigFile } from '../config/config-file.js';
import { logger, setLogLevel, type Logger } from '../log.js';
import { MiningStats } from '../mining/mining-stats.js';
import { Scheduler } from '../mining/scheduler.js';
import { SharePath } from '../mining/share-path.js';
import type { SimFault } from '../config/sim-faults.js';
import { PoolManager } from '../upstream/pools.js';
import type { PoolGroupConfig } from '../upstream/pool-config.js';
import { upstreamFactory, type UpstreamConstructor } from '../upstream/upstream-factory.js';
import type { Job, Share, ShareOutcome } from '../upstream/job.js';
import { jdClients, JD_POOL_NAME } from '../upstream/jd/jd-agent.js';
import { censorshipAlarmsForApi } from './censorship-alarms.js';
import type { JobDeclarationConfig } from '../upstream/jd/jd-options.js';
import type { JdUpstream } from '../upstream/jd/jd-upstream.js';
import { wallTime } from '../api/snapshot-sources.js';
import type { MiningTarget } from '../api/snapshot.js';
import { BIP320_MASK } from '../work/version-rolling.js';
import { redactUrlCredentials } from '../url-credentials.js';
import { chainTicket, TicketShareCheck } from './chain-ticket.js';
import { ChainSet, type ChainSpec } from './chain-set.js';
import { buildSnapshot, refreshAlarms, type AlarmSource } from './snapshot.js';
import { AlarmBook } from './alarm-book.js';
import { notifyIdentity, notifyOptionsOf } from './notify-config.js';
import { startNotifiers, type Notifiers } from '../notify/notifiers.js';
import { agentControl } from './control.js';
import { agentDashboard } from './dashboard-source.js';
import type { Dashboard } from '../dashboard/dashboard.js';
import type { AgentSnapshot } from '../api/snapshot.js';
import { statusRecord } from './status-record.js';
import { AgentTuning } from './tuning.js';

/** How long a stop waits for the pools to answer shares already sent. */
const SHARE_DRAIN_ON_STOP_MS = 3000;

export interface AgentOptions {
  config: RunConfig;
  clock?: Clock;
  /**
   * The simulators of a simulated board (board-config with [sim]); only the command line's composition
   * root has them to give (src/cli/workshop.ts).
   */
  simulated?: SimulatedParts;
  simFaults?: SimFault[];
  simRecordPath?: string;
  /** Extra upstream constructors by URL scheme (tests, Job Declaration). */
  clients?: Record<string, UpstreamConstructor>;
  /** Skip the local APIs (tests that run several agents). */
  noApi?: boolean;
  log?: Logger;
}

/**
 * With `[job_declaration]`, the Job Declaration upstream (own templates, declared to the configured
 * pool + JDS pairs) comes first; plain pools from `[[pool]]` / `[[group]]` stay behind it as the pool
 * manager's fallback. Its no-job timeout is off: templates come only with new blocks and fee changes,
 * and the JD upstream watches its own peers.
 */
export function withJobDeclaration(groups: PoolGroupConfig[], jd: JobDeclarationConfig | undefined): PoolGroupConfig[] {
  if (!jd) return groups;
  const entry = { name: JD_POOL_NAME, url: jd.templateProvider, user: jd.pools[0]?.user ?? 'solo', priority: 0, noJobTimeoutMs: 0 };
  if (groups.length === 0) return [{ name: 'default', pools: [entry] }];
  const [first, ...rest] = groups as [PoolGroupConfig, ...PoolGroupConfig[]];
  return [{ ...first, pools: [entry, ...first.pools.map((p, i) => ({ ...p, priority: (p.priority ?? i) + 1 }))] }, ...rest];
}

/**
 * The chains of a board-config. A chain whose uart is "sim:…" is simulated (its device comes from the
 * simulators, with the [sim] section's settings); a /dev/ path is a real UART, simulated board or not.
 */
export function chainSpecs(cfg: RunConfig): ChainSpec[] {
  const b = cfg.board;
  const a = b.asic;
  const ticket = chainTicket(cfg);
  return b.chain.map((c, index) => {
    const spec: ChainSpec = {
      index,
      uart: c.uart,
      simulated: c.uart.startsWith('sim:'),
      family: a.family,
      chips: a.chips,
      baud: a.baud,
      frequencyMhz: cfg.frequencyMhz,
      minFrequencyMhz: a.min_frequency_mhz,
      frequencyStepMhz: a.frequency_step_mhz,
      ticketDifficulty: ticket.difficulty,
    };
    if (a.fast_baud !== undefined) spec.fastBaud = a.fast_baud;
    if (a.min_chips !== undefined) spec.minChips = a.min_chips;
    return spec;
  });
}

export class Agent {
  readonly clock: Clock;
  readonly log: Logger;
  readonly stats: MiningStats;
  readonly chains: ChainSet;
  /** Undefined when the config has no pools (a board-only run). Replaced when SIGHUP changes the pools. */
  pools: PoolManager | undefined;
  /**
   * Managers replaced by a reload, kept until their late shares are answered (a share goes back through
   * its own job's upstream handle, which leads to the manager that issued it).
   */
  private retired: PoolManager[] = [];
  readonly scheduler: Scheduler;
  readonly shares: SharePath;
  groups: PoolGroupConfig[];
  rt!: BoardRuntime;
  api: LocalApi | undefined;
  /** The web dashboard on the HTTP API's address (src/dashboard), when enabled. */
  dashboard: Dashboard | undefined;
  /** The Job Declaration upstream, once the pool manager has built it. */
  jd: JdUpstream | undefined;
  /** Alarms in effect; raises and clears go to webhooks and MQTT. */
  readonly alarmBook = new AlarmBook();
  notifiers: Notifiers | undefined;
  /** The autotuner, when `[tuning] enabled` (src/agent/tuning.ts). */
  tuning: AgentTuning | undefined;
  private unlinkLottery: (() => void) | undefined;
  private alarmTimer?: TimerHandle;
  private hashing = false;
  /** Parks the chains when no work came back within `[pools] idle_after`. */
  private parkTimer?: TimerHandle;
  private statusTimer?: TimerHandle;
  private hashrateTimer?: TimerHandle;
  private lastJobAt?: number;
  /** Warns once per share target and set of chains that a chain's ticket is above it. */
  private readonly ticketCheck = new TicketShareCheck();
  private closed = false;
  config: RunConfig;
  /** The agent config file, which settings changes are saved to (none for a board-config alone). */
  readonly configFile: ConfigFile | undefined;

  constructor(private readonly o: AgentOptions) {
    this.config = o.config;
    this.configFile = ConfigFile.of(o.config);
    this.clock = o.clock ?? systemClock;
    this.log = o.log ?? logger('agent');
    this.stats = new MiningStats(this.clock);
    this.chains = new ChainSet({
      specs: chainSpecs(o.config),
      clock: this.clock,
      log: logger('agent.chains'),
      stats: this.stats,
      onHashing: (on, reason) => this.setHashing(on, reason),
      resetLine: (index) => this.rt?.parts.chainResets[index],
      ...(o.simulated ? { device: (index: number) => this.simulatedChain(index) } : {}),
    });
    this.log.info({ ...chainTicket(o.config) }, 'ticket difficulty');
    this.groups = this.groupsOf(o.config);
    this.pools = this.makePools(o.config, this.groups);
    this.shares = new SharePath({ stats: this.stats, log: logger('agent.shares'), submit: (s) => this.submit(s) });
    this.scheduler = new Scheduler({
      chains: this.chains.chains.map((c) => c.driver),
      clock: this.clock,
      log: logger('agent.scheduler'),
      stats: this.stats,
      shares: this.shares,
      // A job the chains cannot split: no work, and nothing left hashing the previous job.
      onUnusableJob: (job, reason) => this.idleChains(`job ${job.id} of ${job.source.poolId} cannot be mined: ${reason}`),
    });
    // A chain that came (back) up gets its work at once.
    this.chains.on('up', (c) => {
      if (this.hashing) this.scheduler.kick(c.spec.index);
      this.checkTicket();
    });
    if (this.pools) this.wire(this.pools);
  }

  /** The device of simulated chain `index`: its simulator process behind a pseudo-terminal. */
  private simulatedChain(index: number): ReturnType<SimulatedParts['chain']> {
    const sim = this.o.simulated as SimulatedParts;
    // The command line's chip faults (--sim-fault chip-dead:N@S), as before the workshop moved out.
    return sim.chain(this.config, index, this.o.simFaults ?? [], logger('agent.chains').child({ chain: index }));
  }

  private groupsOf(cfg: RunConfig): PoolGroupConfig[] {
    return withJobDeclaration(poolGroupsOf(cfg.agent.pool, cfg.agent.group), cfg.agent.job_declaration);
  }

  private makePools(cfg: RunConfig, groups: PoolGroupConfig[]): PoolManager | undefined {
    if (groups.length === 0) return undefined;
    const jdConfig = cfg.agent.job_declaration;
    const clients = jdConfig ? jdClients(jdConfig, { onCreate: (up) => (this.jd = up) }) : this.o.clients;
    return new PoolManager({
      groups,
      factory: upstreamFactory({
        clock: this.clock,
        nominalHashrate: this.nominalHashrate(),
        chipsRollVersions: this.chipsRollVersions(),
        ...(clients ? { clients } : {}),
      }),
      clock: this.clock,
      ...poolManagerTiming(cfg.agent.pools),
    });
  }

  private wire(pools: PoolManager): void {
    pools.on('job', (job) => {
      if (pools !== this.pools) return;
      this.onJob(job);
    });
    pools.on('idle', (reason) => {
      if (pools !== this.pools) return;
      this.idleChains(`no usable pool: ${reason}`);
    });
  }

  /**
   * A share goes to the manager whose upstream issued its job (after a reload, the retired one while it
   * drains), which hands it to `share.job.upstream` if that connection still runs and counts it per pool.
   */
  private submit(s: Share): Promise<ShareOutcome> {
    const m = this.pools?.issued(s.job) ? this.pools : (this.retired.find((r) => r.issued(s.job)) ?? this.pools);
    return m ? m.submit(s) : Promise.resolve({ status: 'lost', reason: 'lost-to-switch' });
  }

  /** The chips roll version bits (every BM13xx family does: in-chip, or BM1397's four midstates). */
  chipsRollVersions(): boolean {
    return this.chains.chains.some((c) => c.driver.rollMaskFor(BIP320_MASK) !== 0);
  }

  /** Nominal hashrate of the whole board, H/s (the simulators' rate for a simulated board). */
  nominalHashrate(): number {
    const up = this.chains.chains.reduce((s, c) => s + c.driver.nominalHashrate, 0);
    if (up > 0) return up;
    const b = this.config.board;
    if (b.sim) return b.sim.chain_hashrate_hs * b.chain.length;
    return this.chains.chains.reduce((s, c) => s + this.config.frequencyMhz * 1e6 * c.family.smallCores * c.spec.chips, 0);
  }

  private onJob(job: Job): void {
    this.lastJobAt = this.clock.now();
    if (!this.hashing) return;
    this.scheduler.setJob(job);
    if (this.scheduler.job !== job) return;
    this.checkTicket();
    this.clock.clearTimeout(this.parkTimer);
    this.parkTimer = undefined;
    // Parked chains come back at once for a job they can mine; each gets work as soon as it is up
    // again (`up` -> kick).
    if (this.chains.idle) void this.chains.unpark(`job ${job.id} from ${job.source.poolId}`);
  }

  /** Warns when the current job's share difficulty is below a running chain's ticket (src/agent/chain-ticket.ts). */
  private checkTicket(): void {
    const job = this.scheduler.job;
    const lossy =
      job &&
      this.ticketCheck.check(
        job.target,
        this.chains.chains.map((c) => (c.up ? c.driver.nonceDifficulty : undefined)),
      );
    if (lossy) this.log.warn({ ...lossy, pool: job.source.poolId }, "pool share difficulty below the chips' ticket: the shares in between are lost");
  }

  /**
   * No work for the chains: no more units at once, and the chips are parked (held in reset, or at their
   * lowest clock) unless work comes back within `[pools] idle_after`: a pool that restarts is back in a
   * second or two, and parking costs a bring-up.
   */
  private idleChains(reason: string): void {
    this.log.warn({ reason }, 'no work: chains idle');
    this.scheduler.idle();
    if (this.parkTimer !== undefined || this.chains.idle) return;
    this.parkTimer = this.clock.setTimeout(() => {
      this.parkTimer = undefined;
      if (this.scheduler.job === undefined) void this.chains.park(reason);
    }, this.config.agent.pools.idle_after * 1000);
  }

  private setHashing(on: boolean, reason: string): void {
    this.hashing = on;
    if (!on) {
      this.scheduler.idle();
      this.log.info({ reason }, 'hashing stopped');
      return;
    }
    const job = this.pools?.currentJob();
    // The upstream's own job object: clients recognise their jobs by identity when shares come back.
    if (job) this.scheduler.setJob(job);
    this.log.info({ reason, job: job?.id ?? null }, 'hashing');
    this.checkTicket();
  }

  /** Opens the board, starts the simulators, pools and APIs. The board powers up with `startBoard`. */
  async open(): Promise<void> {
    const cfg = this.config;
    // The chain simulators first: the simulated board's fault schedule counts from its own creation.
    await this.chains.prepare();
    this.rt = await createBoardRuntime(cfg, {
      clock: this.clock,
      ...(this.o.simulated ? { simulated: this.o.simulated.board } : {}),
      ...(this.o.simFaults ? { simFaults: this.o.simFaults } : {}),
      ...(this.o.simRecordPath ? { simRecordPath: this.o.simRecordPath } : {}),
    });
    this.chains.checkDevices();
    const { board, sim } = this.rt;
    const parts: MiningControl[] = [this.chains];
    if (sim) {
      // The simulated board's power and heat follow the chains' clock.
      const a = cfg.board.asic;
      parts.push(sim.miningLoad({ nominalMhz: a.frequency_mhz, startMhz: cfg.frequencyMhz, stepMhz: a.frequency_step_mhz, minMhz: a.min_frequency_mhz }));
    }
    if (cfg.agent.tuning.enabled)
      this.tuning = new AgentTuning({
        config: cfg,
        chains: this.chains,
        board,
        clock: this.clock,
        log: logger('tuning'),
        working: () => this.hashing && this.scheduler.job !== undefined,
      });
    const tuning = this.tuning;
    board.attachMining({
      start: async () => {
        for (const p of parts.slice(1)) await p.start();
        tuning?.prepareChains();
        await parts[0]?.start();
      },
      stopHashing: async (reason) => {
        for (const p of parts) await p.stopHashing(reason);
      },
      // Hot: with the tuner, performance scaling lowers the power cap (the tuner lowers the clocks chip
      // by chip); without it, every chain steps its clock down.
      reduceFrequency: async () => {
        if (tuning) return tuning.onHot();
        for (const p of parts) await p.reduceFrequency();
      },
    });
    if (sim) {
      // A simulated chain's chips hear the simulated board's reset line, as real chips hear the GPIO
      // (whichever simulator process the chain has now: a dead one is replaced).
      for (const c of this.chains.chains) {
        if (c.device) await sim.wireChainReset(c.spec.index, (held) => c.device?.setReset(held));
      }
      // Lottery chips: the chain simulators hear the rail and the temperature, the board their power.
      const link = this.o.simulated?.link;
      if (link) this.unlinkLottery = link({ config: cfg, board: sim, device: (index) => this.chains.chains[index]?.device, clock: this.clock });
    }
    if (!this.pools) this.log.warn('no pools configured ([[pool]] or [[group]]): the chains will have no work');
    else this.pools.start();
    const alarmSources: AlarmSource[] = [{ alarms: () => (this.jd ? censorshipAlarmsForApi(this.jd, wallTime(this.clock)) : []) }];
    if (!this.o.noApi) {
      const snapshot = (): AgentSnapshot => buildSnapshot(this, alarmSources);
      const dashboard = (this.dashboard = agentDashboard(this, snapshot));
      this.api = await startLocalApi(resolveApiOptions(toApiOptionsInput(cfg.agent.api)), {
        snapshot,
        control: agentControl(this),
        ...(dashboard ? { httpRoutes: (req, res, path) => dashboard.handle(req, res, path) } : {}),
        clock: this.clock,
      });
      if (dashboard && this.api.addresses.http) dashboard.start(this.api.addresses.http);
    }
    // Alarms are looked at every second whoever asks, so that webhooks and MQTT hear of them.
    this.alarmTimer = this.clock.setInterval(() => refreshAlarms(this, alarmSources), 1000);
    this.notifiers = startNotifiers(notifyOptionsOf(cfg.agent), {
      snapshot: () => buildSnapshot(this, alarmSources),
      control: agentControl(this),
      alarms: this.alarmBook,
      identity: () => notifyIdentity(this.config.board.name),
      clock: this.clock,
    });
    const every = cfg.agent.log.status_interval_s;
    if (every > 0) this.statusTimer = this.clock.setInterval(() => this.log.info(statusRecord(this), 'status'), every * 1000);
    // SV2 channels carry the measured hashrate (UpdateChannel), once a minute.
    this.hashrateTimer = this.clock.setInterval(() => {
      const hs = this.stats.board.rate(60);
      if (hs > 0) this.pools?.reportHashrate(hs);
    }, 60_000);
  }

  /**
   * Powers the board up; the chains start hashing once power is good. With the tuner, at its voltage; a
   * board curtailed in the config (`[tuning] paused`) stays off until resumed.
   */
  async startBoard(): Promise<void> {
    if (this.tuning) {
      await this.tuning.prepareBoard();
      if (this.tuning.isPaused) {
        this.log.info('curtailed ([tuning] paused): the board stays off until resumed');
        return;
      }
    }
    await this.rt.board.start();
  }

  /**
   * SIGHUP with a valid config: limits, log level and pools, without stopping the chains. Changed pools
   * get a new pool manager; the chains move to its work as soon as it has a job, and the old manager
   * stays up for its drain time so that shares found on its jobs are still answered (or counted).
   */
  reload(next: RunConfig, envLevel: LevelWithSilent | undefined, switchTo?: string): void {
    if (next.boardFile !== this.config.boardFile)
      this.log.warn({ was: this.config.boardFile, now: next.boardFile }, 'a different board-config needs a restart; keeping the current board');
    // (Before open() there is no board yet: only the pools and the log level change.)
    this.rt?.board.configure(next.limits, next.fans, next.power);
    if (this.tuning) {
      this.tuning.reload(next);
      if (next.agent.tuning.paused !== this.tuning.isPaused) {
        this.setCurtailed(next.agent.tuning.paused).catch((err: unknown) => this.log.warn({ err: String(err) }, 'curtailment change failed'));
      }
    } else if (next.agent.tuning.enabled) this.log.warn('[tuning] enabled by a reload: it starts at the next start of the agent');
    if (!envLevel) setLogLevel(next.logLevel);
    const groups = this.groupsOf(next);
    const timingChanged = JSON.stringify(next.agent.pools) !== JSON.stringify(this.config.agent.pools);
    const jdChanged = JSON.stringify(next.agent.job_declaration) !== JSON.stringify(this.config.agent.job_declaration);
    const poolsChanged = JSON.stringify(groups) !== JSON.stringify(this.groups) || timingChanged || jdChanged;
    this.config = { ...next, board: this.config.board, boardFile: this.config.boardFile };
    this.configFile?.adopt(next);
    let how: 'unchanged' | 'edited' | 'replaced' = 'unchanged';
    if (poolsChanged) how = this.applyPools(next, groups, timingChanged || jdChanged, switchTo);
    this.log.info({ pools: how }, 'config reloaded');
  }

  /**
   * New pool groups in force now. Pool edits alone (the API's pool commands, the dashboard, a SIGHUP
   * that only changed [[pool]] entries) go to the running pool manager: pools whose connection settings
   * did not change keep their sessions and in-flight shares (PoolManager.setGroups, issue 21 D6);
   * `switchTo` takes that pool at once (switchpool). Changed [pools] timing or Job Declaration settings
   * need a new manager (replacePools).
   */
  private applyPools(cfg: RunConfig, groups: PoolGroupConfig[], rebuild: boolean, switchTo?: string): 'edited' | 'replaced' {
    if (rebuild || !this.pools || groups.length === 0) {
      this.replacePools(cfg, groups);
      return 'replaced';
    }
    this.pools.setGroups(groups, switchTo === undefined ? {} : { switchTo });
    this.groups = groups;
    return 'edited';
  }

  private replacePools(cfg: RunConfig, groups: PoolGroupConfig[]): void {
    const old = this.pools;
    this.groups = groups;
    if (old) {
      this.retired.push(old);
      const drainMs = cfg.agent.pools.drain * 1000;
      this.clock.setTimeout(() => {
        this.retired = this.retired.filter((r) => r !== old);
        void old.stop().catch((err: unknown) => this.log.warn({ err: String(err) }, 'stopping the replaced pool manager'));
      }, drainMs);
    }
    this.jd = undefined;
    this.pools = this.makePools(cfg, groups);
    if (this.pools) {
      this.wire(this.pools);
      this.pools.start();
      this.log.info({ pools: groups.flatMap((g) => g.pools.map((p) => p.name ?? redactUrlCredentials(p.url))) }, 'pools replaced');
    } else {
      this.idleChains('no pools in the new config');
    }
  }

  /**
   * What the chains mine for now: the current pool (`pool`), or for Job Declaration the real pool the
   * templates are declared to and its JDS (`declared`), or `solo`. Undefined without work.
   */
  miningTarget(): MiningTarget | undefined {
    const id = this.pools?.currentPool();
    if (id === undefined || this.chains.idle) return undefined;
    if (this.jd && id === this.jd.id) return this.jd.miningTarget();
    return { mode: 'pool', pool: id };
  }

  /**
   * Curtailment: paused, the board idles (hashing off, power off, fans ramp down); resumed, it powers up
   * again (the tuner puts its clocks back). The thermal policy still decides, and the power-up rate limit:
   * a refused power-up leaves the board paused and says why; one within the limit happens when it allows.
   */
  async setCurtailed(paused: boolean): Promise<void> {
    const board = this.rt.board;
    const phase = board.getPhase();
    if (paused) {
      this.tuning?.setPaused(true);
      if (phase === 'running' || phase === 'starting') await board.pause('curtailment');
      return;
    }
    if (phase === 'paused') await board.resumeWhenAllowed();
    else if (phase === 'idle') await board.start();
    this.tuning?.setPaused(false);
  }

  /** Current job, if any (API, status). */
  lastJobTime(): number | undefined {
    return this.lastJobAt;
  }

  /** Closes everything after the board is safe (the exit guard has shut it down). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearInterval(this.statusTimer);
    this.clock.clearInterval(this.hashrateTimer);
    this.clock.clearInterval(this.alarmTimer);
    this.tuning?.stop();
    this.unlinkLottery?.();
    await this.notifiers?.close().catch(() => undefined);
    this.clock.clearTimeout(this.parkTimer);
    this.scheduler.stop();
    // Shares already sent are answered before the pools go: a clean stop loses none (bounded wait).
    if (!(await this.shares.drained(SHARE_DRAIN_ON_STOP_MS, this.clock))) {
      this.log.info({ inFlight: this.shares.inFlight, waitedMs: SHARE_DRAIN_ON_STOP_MS }, 'stopping with shares still unanswered');
    }
    this.dashboard?.close();
    await this.api?.close().catch(() => undefined);
    await this.pools?.stop().catch((err: unknown) => this.log.warn({ err: String(err) }, 'stopping pools'));
    for (const r of this.retired) await r.stop().catch(() => undefined);
    await this.chains.close();
    this.rt?.close();
  }
}
