/**
 * The one thing every local API reads: a plain-data picture of the agent at one moment. The cgminer
 * API (port 4028), the HTTP JSON endpoints, `/metrics` and `asic-agent status` are all pure views of an
 * `AgentSnapshot`; the servers take a `() => AgentSnapshot` provider and call it once per request, so
 * they can be tested with a fake snapshot and the agent only has to write one adapter.
 *
 * Conventions:
 *   - Times are wall-clock Unix seconds (the adapter converts the agent's monotonic Clock times).
 *   - Hashrates are hashes per second; temperatures °C; fan duty in percent (0..100).
 *   - Counters only grow for the life of the process (Prometheus counters are built from them).
 *   - Optional fields are left out when the agent does not know them; never NaN or Infinity (the views
 *     turn any non-finite number into 0 or leave the series out, but the adapter should not produce one).
 *   - Pool passwords are never part of a snapshot.
 */

/** Hashes per second over cgminer's windows (MHS 5s / 1m / 5m / 15m / av). */
export interface HashrateFigures {
  rate5s: number;
  rate1m: number;
  rate5m: number;
  rate15m: number;
  /** Since start. */
  average: number;
  /** What the hardware should do at its current frequency (cores × chips × frequency). */
  nominal?: number;
}

export interface ChipSnapshot {
  /** Index on its chain (0-based). */
  chip: number;
  hashrate: HashrateFigures;
  /** Nonces that met the chip's ticket and verified. */
  validNonces: number;
  /** Nonces that failed software verification (hardware errors). */
  hwErrors: number;
  /** Marked silent by chain health (no nonce for many expected intervals). */
  silent: boolean;
  lastNonceAt?: number;
}

/** cgminer's device life states (api.c status2str): Initialising, Alive, Sick, Dead, plus Disabled. */
/** `idle`: no work (no usable pool), chips held in reset until a pool is back. */
export type ChainState = 'initialising' | 'running' | 'idle' | 'sick' | 'dead' | 'disabled';

export interface ChainSnapshot {
  id: number;
  /** Chip family, e.g. "BM1366". */
  family: string;
  state: ChainState;
  chipsExpected: number;
  /** Chips enumerated and not silent. */
  chipsAlive: number;
  /** Frames from the chain that failed their CRC. */
  crcErrors: number;
  frequencyMhz: number;
  hashrate: HashrateFigures;
  validNonces: number;
  hwErrors: number;
  /** Sum of the ticket difficulties of valid nonces (cgminer "Diff1 Work"). */
  diff1Work: number;
  /** Register 0x14's difficulty written to the chips (docs/bm13xx.md "Ticket difficulty"). */
  ticketDifficulty?: number;
  lastNonceAt?: number;
  /** Reader-facing name from the board-config (`[[chain]] name`, default `chain<n>`). */
  name?: string;
  /** Hottest chip reading that belongs to this chain, if any (cgminer DEVS "Temperature"). */
  temperature?: number;
  /** Hottest board reading that belongs to this chain (else the regulator's, as pyasic does for a Bitaxe). */
  boardTemperature?: number;
  /** UART device (cgminer DEVDETAILS "Device Path"). */
  devicePath?: string;
  /** Shares found by this chain's chips, when the agent attributes them (cgminer DEVS; zeros otherwise). */
  shares?: { accepted: number; rejected: number; acceptedDifficulty: number; rejectedDifficulty: number; lastShareAt?: number; lastShareDifficulty?: number };
  chips: ChipSnapshot[];
}

export type ShareResult = 'accepted' | 'rejected' | 'stale' | 'lost';

/** Non-accepted shares by result and the reason the pool (or the agent) gave. */
export interface ShareReasonCount {
  result: Exclude<ShareResult, 'accepted'>;
  reason: string;
  count: number;
}

export interface ShareCounters {
  accepted: number;
  rejected: number;
  stale: number;
  lost: number;
  acceptedDifficulty: number;
  rejectedDifficulty: number;
  staleDifficulty: number;
  reasons: ShareReasonCount[];
  lastShareAt?: number;
  lastShareDifficulty?: number;
  /** Highest share difficulty found. */
  bestShare?: number;
}

export interface ShareTotals extends ShareCounters {
  bestShare: number;
  blocksFound: number;
}

export type PoolProtocol = 'sv2' | 'sv1' | 'jd' | 'solo';

export interface PoolSnapshot {
  /** Stable id from the config (name, or the URL). */
  id: string;
  /** As configured, without credentials. */
  url: string;
  user: string;
  protocol: PoolProtocol;
  group: string;
  /** Rank inside the group, 0 = tried first. */
  priority: number;
  /** The group's quota. */
  quota: number;
  status: 'alive' | 'dead' | 'disabled';
  /** The chains mine this pool now. */
  active: boolean;
  /** Current share difficulty. */
  difficulty?: number;
  /** The pool granted a version-rolling mask. */
  versionRolling?: boolean;
  /** Jobs received from the pool. */
  jobs?: number;
  /** Times the pool was marked failed (connect, handshake, authorize, no job, reject run...). */
  failures: number;
  lastFailure?: { reason: string; detail: string; at: number };
  /** Times the chains moved to this pool. */
  switchesTo: number;
  /** Times the chains left this pool, by reason (failover, quota, failback...). */
  switchesAway: Record<string, number>;
  /** Job Declaration censorship alarms raised for this pool. */
  censorshipAlarms: number;
  shares: ShareCounters;
}

export interface SwitchRecord {
  at: number;
  group: string;
  from?: string;
  to?: string;
  reason: string;
  detail?: string;
}

export interface TemperatureReading {
  /** Unique sensor name, e.g. "chain0-chip", "board", "vr". */
  name: string;
  celsius: number;
  /** What it measures: "chip", "board", "regulator", "inlet"... */
  kind?: string;
  chain?: number;
}

export interface FanReading {
  name: string;
  /** Commanded duty, 0..100. */
  dutyPercent: number;
  /** Measured speed, when the fan has a tachometer. */
  rpm?: number;
}

export interface PowerReading {
  /** Rail or regulator name, e.g. "vdd-chain0", "input". */
  name: string;
  volts?: number;
  amps?: number;
  watts?: number;
  /** Regulator state, e.g. "on", "off", "fault". */
  state?: string;
  /** Active faults reported by the regulator (empty when none). */
  faults: string[];
}

export type AlarmKind = 'censorship' | 'thermal' | 'fan' | 'power' | 'pool' | 'chain' | 'other';

export interface Alarm {
  /**
   * Stable identity of the condition (`thermal:safe-state`, `chain:1:dead`, `pool:main:down`,
   * `censorship:jds-a:42`): a raise and its clear carry the same key (webhooks, MQTT).
   */
  key?: string;
  kind: AlarmKind;
  severity: 'warning' | 'critical';
  message: string;
  at: number;
  /** Still in effect (a thermal stop that has not been cleared, a censorship alarm not yet acknowledged). */
  active: boolean;
  /** When the condition ended (cleared alarms). */
  clearedAt?: number;
  /** The chain it concerns (chain alarms). */
  chain?: number;
  pool?: string;
  /** Job Declaration: the template the pool refused. */
  templateId?: string;
  /** Job Declaration: the error the pool gave. */
  error?: string;
  /** Job Declaration: the refusal's code. */
  code?: string;
  /** Job Declaration: the transactions involved (txids, display order). */
  txids?: string[];
}

/** 'safe-state': hashing stopped by safety (reason says why); 'paused': stopped on request. */
export type BoardState = 'starting' | 'running' | 'paused' | 'safe-state' | 'stopping';

export interface NetworkSnapshot {
  /** Previous block hash of the current job, display order (cgminer COIN "Current Block Hash"). */
  blockHash?: string;
  /** When that prev hash was first seen. */
  blockTime?: number;
  height?: number;
  difficulty?: number;
  /** Distinct prev hashes seen (cgminer SUMMARY "Network Blocks"). */
  blocksSeen?: number;
}

/** JSON-compatible data (the config view). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Where the chains' work goes now: a pool's own jobs (`pool`), our templates declared to a pool through
 * its JDS (`declared`), or our templates for our own node only (`solo`, pool = "solo").
 */
export interface MiningTarget {
  mode: 'pool' | 'declared' | 'solo';
  /** The real pool's name (config name or URL), or "solo". */
  pool: string;
  /** Declared mode: the JDS the templates are declared to. */
  jds?: string;
}

/** The autotuner (docs/tuning.md), when `[tuning]` is enabled. */
export interface TuningSnapshot {
  /** off, waiting (board or chains not up), tuning, tuned, paused (curtailed). */
  state: 'off' | 'waiting' | 'tuning' | 'tuned' | 'paused';
  /** What it is doing: start, search, verify, trim, watch. */
  step: string;
  mode: 'power' | 'hashrate' | 'efficiency';
  /** The target: watts (power mode) or TH/s (hashrate mode). */
  target?: number;
  /** The power cap in force (the target, or performance scaling's lower one), W. */
  capWatts?: number;
  /** Performance scaling: active while it holds the power below the target because the board ran hot. */
  scaling: { active: boolean; steps: number; capWatts?: number };
  /** Core volts per domain the rail is set to. */
  coreVolts: number;
  /** The power reading the target applies to, W, and where it comes from. */
  watts?: number;
  powerSource: string;
  /** What the chips' clocks should give, H/s. */
  expectedHashrate: number;
  chips: { total: number; set: number; searching: number; failed: number; drifted: number };
  rounds: number;
  startedAt?: number;
  convergedAt?: number;
  profile: { source?: 'saved' | 'tuned'; savedAt?: number; error?: string; dir: string };
  /** Each chip's clock, MHz, by chain. */
  chains: { id: number; chipMhz: number[] }[];
}

export interface AgentSnapshot {
  firmware: { name: string; version: string };
  /** Wall-clock time the snapshot was taken. */
  now: number;
  uptimeSeconds: number;
  board: { model: string; state: BoardState; reason?: string; since?: number };
  hashrate: HashrateFigures;
  validNonces: number;
  hwErrors: number;
  /** Sum of ticket difficulties of valid nonces, all chains. */
  diff1Work: number;
  /** Work units sent to chains. */
  workSent: number;
  /** When the last job arrived from any pool (cgminer SUMMARY "Last getwork"). */
  lastJobAt?: number;
  chains: ChainSnapshot[];
  shares: ShareTotals;
  /** In the order the cgminer API numbers them (POOL 0, 1, ...): by group, then priority. */
  pools: PoolSnapshot[];
  /** What the chains mine for now (absent when they have no work). */
  mining?: MiningTarget;
  /** Recent pool switches, oldest first. */
  switches: SwitchRecord[];
  temperatures: TemperatureReading[];
  fans: FanReading[];
  power: PowerReading[];
  /** Active alarms and recent cleared ones, oldest first. */
  alarms: Alarm[];
  network?: NetworkSnapshot;
  tuning?: TuningSnapshot;
  /** The running config with secrets removed (the API redacts again before showing it). */
  config: JsonValue;
}

export type SnapshotProvider = () => AgentSnapshot;
