/**
 * `/metrics`: an AgentSnapshot in the Prometheus text exposition format 0.0.4 (prometheus.io, "Exposition
 * formats"): `# HELP` and `# TYPE` once per family, then `name{label="value"} number` lines. Label values
 * escape `\`, `"` and line feed; HELP text escapes `\` and line feed. Units are base units in the
 * metric name (seconds, hertz, volts, amperes, watts, ratio), counters end in `_total`.
 *
 * A reading the agent does not have is left out, never written as NaN. Chip series carry only the 1 m
 * and 15 m hashrate windows, so a board with hundreds of chips stays at a few thousand series, and
 * `per_chip_metrics = false` leaves them out altogether.
 *
 * Every counter's label set is written from the first scrape, at 0 (shares of every result for every
 * pool, switches for every reason, refusals for every reason): `rate()` and `increase()` need a series
 * to exist before its first increment, else the first rejected share is never seen as an increase.
 */
import { boardWatts } from './bmminer-stats.js';
import type { ProcessFigures } from './process-metrics.js';
import type { AgentSnapshot, AlarmKind, BoardState, ChainState, HashrateFigures } from './snapshot.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type MetricType = 'gauge' | 'counter';
type Labels = Record<string, string | number>;

interface Family {
  type: MetricType;
  help: string;
  /** Label text → value. A series given twice is summed for a counter, first value kept for a gauge. */
  series: Map<string, number>;
}

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(n: number): string {
  if (Number.isInteger(n)) return n.toString();
  return String(n);
}

/** Collects samples by family and prints them in the order the families were first used. */
export class MetricsWriter {
  private readonly families = new Map<string, Family>();

  sample(name: string, type: MetricType, help: string, labels: Labels, value: number | undefined): void {
    let f = this.families.get(name);
    if (!f) {
      f = { type, help, series: new Map() };
      this.families.set(name, f);
    }
    if (value === undefined || !Number.isFinite(value)) return;
    const l = Object.entries(labels)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}="${escapeLabelValue(String(v))}"`)
      .join(',');
    const prev = f.series.get(l);
    if (prev === undefined) f.series.set(l, value);
    else if (type === 'counter') f.series.set(l, prev + value);
  }

  text(): string {
    let out = '';
    for (const [name, f] of this.families) {
      if (f.series.size === 0) continue;
      out += `# HELP ${name} ${escapeHelp(f.help)}\n# TYPE ${name} ${f.type}\n`;
      for (const [l, v] of f.series) out += `${name}${l ? `{${l}}` : ''} ${formatValue(v)}\n`;
    }
    return out;
  }
}

/** The API's own counters, when the servers run together. */
export interface ApiMetrics {
  cgminer?: {
    connections: number;
    requests: number;
    invalid: number;
    denied: number;
    writes: number;
    failures: number;
    overLimit: number;
    notAllowed: number;
    timeouts: number;
    tooLarge: number;
  };
  http?: { requests: number; errors: number };
}

export interface MetricsOptions {
  /** Per-chip series (hashrate, nonces, hardware errors, silent); default true. */
  perChip?: boolean;
  process?: ProcessFigures;
}

const BOARD_STATES: BoardState[] = ['starting', 'running', 'paused', 'safe-state', 'stopping'];
const ALARM_KINDS: AlarmKind[] = ['thermal', 'fan', 'power', 'chain', 'pool', 'censorship', 'other'];
/** Why chains leave a pool (src/upstream/pools.ts SwitchReason): each series exists from the start. */
const SWITCH_REASONS = [
  'connect-failed',
  'handshake-failed',
  'authorize-failed',
  'disconnected',
  'protocol-error',
  'connect-timeout',
  'no-job',
  'reject-run',
  'unusable',
  'stopped',
  'upstream-down',
  'failback',
  'recovered',
  'quota',
  'reconnect-requested',
];
const CHAIN_STATES: ChainState[] = ['initialising', 'running', 'idle', 'sick', 'dead', 'disabled'];

const HASHRATE = 'asic_agent_hashrate_hashes_per_second';
const HASHRATE_HELP = 'Measured hashrate from verified nonces, by scope (board, chain, chip) and averaging window.';

function hashrate(w: MetricsWriter, h: HashrateFigures, labels: Labels, windows: (keyof HashrateFigures)[]): void {
  const name: Record<string, string> = { rate5s: '5s', rate1m: '1m', rate5m: '5m', rate15m: '15m', average: 'average' };
  for (const k of windows) w.sample(HASHRATE, 'gauge', HASHRATE_HELP, { ...labels, window: name[k] ?? k }, h[k]);
}

const TUNING_STATES = ['off', 'waiting', 'tuning', 'tuned', 'paused'] as const;

export function renderMetrics(s: AgentSnapshot, api: ApiMetrics = {}, opts: MetricsOptions = {}): string {
  const perChip = opts.perChip ?? true;
  const w = new MetricsWriter();
  const g = (name: string, help: string, labels: Labels, v: number | undefined): void => w.sample(name, 'gauge', help, labels, v);
  const c = (name: string, help: string, labels: Labels, v: number | undefined): void => w.sample(name, 'counter', help, labels, v);

  g('asic_agent_info', 'Firmware and board identity (always 1).', { firmware: s.firmware.name, version: s.firmware.version, model: s.board.model }, 1);
  g('asic_agent_uptime_seconds', 'Seconds since the agent started.', {}, s.uptimeSeconds);
  g('asic_agent_start_time_seconds', 'When the agent started (Unix time).', {}, Math.round(s.now - s.uptimeSeconds));
  for (const st of BOARD_STATES) g('asic_agent_board_state', 'Board state: 1 for the current one.', { state: st }, s.board.state === st ? 1 : 0);

  // Hashrate: board and chain carry every window; chips only 1m and 15m.
  const all: (keyof HashrateFigures)[] = ['rate5s', 'rate1m', 'rate5m', 'rate15m', 'average'];
  hashrate(w, s.hashrate, { scope: 'board' }, all);
  for (const ch of s.chains) hashrate(w, ch.hashrate, { scope: 'chain', chain: ch.id }, all);
  if (perChip)
    for (const ch of s.chains) for (const chip of ch.chips) hashrate(w, chip.hashrate, { scope: 'chip', chain: ch.id, chip: chip.chip }, ['rate1m', 'rate15m']);
  const nominal = 'asic_agent_hashrate_nominal_hashes_per_second';
  const nominalHelp = 'Hashrate the hardware should do at its current frequency.';
  g(nominal, nominalHelp, { scope: 'board' }, s.hashrate.nominal);
  for (const ch of s.chains) g(nominal, nominalHelp, { scope: 'chain', chain: ch.id }, ch.hashrate.nominal);

  const watts = boardWatts(s);
  g('asic_agent_board_power_watts', 'Power the miner draws: the input monitor, else the sum of the rails.', {}, watts);
  // J/TH over the 1 m window: what the hardware costs per unit of work; left out while not hashing.
  if (watts !== undefined && s.hashrate.rate1m > 0)
    g('asic_agent_efficiency_joules_per_terahash', 'Power divided by the 1 m measured hashrate, J/TH.', {}, watts / (s.hashrate.rate1m / 1e12));

  for (const ch of s.chains) {
    g(
      'asic_agent_chain_info',
      'Chain identity from the board-config (always 1).',
      { chain: ch.id, name: ch.name ?? `chain${ch.id}`, family: ch.family, device: ch.devicePath ?? '' },
      1,
    );
    const l = { chain: ch.id, family: ch.family };
    g('asic_agent_chain_chips_expected', 'Chips the board config says the chain has.', l, ch.chipsExpected);
    g('asic_agent_chain_chips_alive', 'Chips enumerated and not silent.', l, ch.chipsAlive);
    for (const st of CHAIN_STATES) g('asic_agent_chain_state', 'Chain state: 1 for the current one.', { chain: ch.id, state: st }, ch.state === st ? 1 : 0);
    g('asic_agent_chain_frequency_hertz', 'Chip clock of the chain.', { chain: ch.id }, ch.frequencyMhz * 1e6);
    c('asic_agent_chain_crc_errors_total', 'Frames from the chain that failed their CRC.', { chain: ch.id }, ch.crcErrors);
    c('asic_agent_diff1_work_total', 'Sum of ticket difficulties of verified nonces (rate() × 2^32 = hashes per second).', { chain: ch.id }, ch.diff1Work);
    g('asic_agent_chain_temperature_celsius', 'Hottest chip reading that belongs to the chain.', { chain: ch.id }, ch.temperature);
    g('asic_agent_chain_board_temperature_celsius', 'Hottest board (else regulator) reading that belongs to the chain.', { chain: ch.id }, ch.boardTemperature);
    c('asic_agent_chain_valid_nonces_total', 'Nonces of the chain that met the ticket and verified in software.', { chain: ch.id }, ch.validNonces);
    c('asic_agent_chain_hardware_errors_total', 'Nonces of the chain that failed software verification.', { chain: ch.id }, ch.hwErrors);
    if (!perChip) continue;
    for (const chip of ch.chips) {
      const cl = { chain: ch.id, chip: chip.chip };
      c('asic_agent_valid_nonces_total', 'Nonces that met the ticket and verified in software.', cl, chip.validNonces);
      c('asic_agent_hardware_errors_total', 'Nonces that failed software verification (hardware errors).', cl, chip.hwErrors);
      g('asic_agent_chip_silent', '1 when chain health marked the chip silent.', cl, chip.silent ? 1 : 0);
    }
  }

  // The real destination of the work (a pool, the pool our templates are declared to, or solo).
  if (s.mining)
    g(
      'asic_agent_mining_info',
      'What the chains mine for now (always 1): mode pool | declared | solo, the real pool (or solo), the JDS.',
      { mode: s.mining.mode, pool: s.mining.pool, jds: s.mining.jds ?? '' },
      1,
    );
  for (const p of s.pools) {
    const pl = { pool: p.id };
    g('asic_agent_pool_info', 'Configured pool (always 1).', { pool: p.id, url: p.url, user: p.user, protocol: p.protocol, group: p.group }, 1);
    g('asic_agent_pool_up', '1 when the pool is connected and usable.', pl, p.status === 'alive' ? 1 : 0);
    g('asic_agent_pool_active', '1 for the pool the chains mine now.', pl, p.active ? 1 : 0);
    g('asic_agent_pool_difficulty', 'Current share difficulty set by the pool.', pl, p.difficulty);
    c('asic_agent_pool_failures_total', 'Times the pool was marked failed.', pl, p.failures);
    c('asic_agent_pool_switches_to_total', 'Times the chains moved to this pool.', pl, p.switchesTo);
    const away = new Map<string, number>(SWITCH_REASONS.map((r) => [r, 0]));
    for (const [reason, n] of Object.entries(p.switchesAway)) away.set(reason, (away.get(reason) ?? 0) + n);
    for (const [reason, n] of away) c('asic_agent_pool_switches_total', 'Times the chains left this pool, by reason.', { pool: p.id, reason }, n);
    c('asic_agent_censorship_alarms_total', 'Job Declaration censorship alarms raised for the pool.', pl, p.censorshipAlarms);
    const sh = p.shares;
    const sharesHelp = 'Shares by pool, result and reason.';
    c('asic_agent_shares_total', sharesHelp, { pool: p.id, result: 'accepted' }, sh.accepted);
    // Reasons as the adapter gave them; what they do not cover is counted as reason "unknown".
    for (const result of ['rejected', 'stale', 'lost'] as const) {
      let covered = 0;
      for (const r of sh.reasons) {
        if (r.result !== result) continue;
        covered += r.count;
        c('asic_agent_shares_total', sharesHelp, { pool: p.id, result, reason: r.reason || 'unknown' }, r.count);
      }
      // Always written, at 0 from the start: the series rate() and alerts work on.
      c('asic_agent_shares_total', sharesHelp, { pool: p.id, result, reason: 'unknown' }, Math.max(0, sh[result] - covered));
    }
    const dh = 'Sum of share difficulties by pool and result.';
    c('asic_agent_share_difficulty_total', dh, { pool: p.id, result: 'accepted' }, sh.acceptedDifficulty);
    c('asic_agent_share_difficulty_total', dh, { pool: p.id, result: 'rejected' }, sh.rejectedDifficulty);
    c('asic_agent_share_difficulty_total', dh, { pool: p.id, result: 'stale' }, sh.staleDifficulty);
    g('asic_agent_last_share_timestamp_seconds', 'When the pool last answered a share (Unix time).', pl, sh.lastShareAt);
  }
  g('asic_agent_best_share_difficulty', 'Highest share difficulty found since start.', {}, s.shares.bestShare);
  c('asic_agent_blocks_found_total', 'Shares that were valid blocks.', {}, s.shares.blocksFound);

  for (const t of s.temperatures)
    g(
      'asic_agent_temperature_celsius',
      'Temperature sensors, named as in the board-config.',
      { sensor: t.name, kind: t.kind ?? '', chain: t.chain ?? '' },
      t.celsius,
    );
  for (const f of s.fans) {
    g('asic_agent_fan_duty_ratio', 'Commanded fan duty, 0 to 1.', { fan: f.name }, f.dutyPercent / 100);
    g('asic_agent_fan_rpm', 'Measured fan speed.', { fan: f.name }, f.rpm);
  }
  for (const p of s.power) {
    const rl = { rail: p.name };
    g('asic_agent_power_volts', 'Voltage by rail or regulator.', rl, p.volts);
    g('asic_agent_power_amperes', 'Current by rail or regulator.', rl, p.amps);
    g('asic_agent_power_watts', 'Power by rail or regulator.', rl, p.watts);
    g('asic_agent_power_faults', 'Active regulator faults.', rl, p.faults.length);
    if (p.state) g('asic_agent_power_state', 'Regulator state (1 for the current one).', { rail: p.name, state: p.state }, 1);
  }

  const tu = s.tuning;
  if (tu) {
    // The autotuner (docs/tuning.md): state, target, the cap in force, the rail, and each chip's clock.
    for (const st of TUNING_STATES) g('asic_agent_tuner_state', 'Autotuner state: 1 for the current one.', { state: st }, tu.state === st ? 1 : 0);
    g('asic_agent_tuner_info', 'Autotuner mode and step (always 1).', { mode: tu.mode, step: tu.step, power_source: tu.powerSource }, 1);
    if (tu.mode === 'power') g('asic_agent_tuner_target_watts', 'Power target, W (at the board power reading).', {}, tu.target);
    if (tu.mode === 'hashrate') g('asic_agent_tuner_target_hashes_per_second', 'Hashrate target.', {}, tu.target !== undefined ? tu.target * 1e12 : undefined);
    g('asic_agent_tuner_power_cap_watts', 'Power cap in force: the target, or lower while performance scaling holds it down.', {}, tu.capWatts);
    g('asic_agent_tuner_scaling_steps', 'Performance scaling steps taken below the target (0 when inactive).', {}, tu.scaling.steps);
    g('asic_agent_tuner_core_volts', 'Core volts per domain the tuner set the rail to.', {}, tu.coreVolts);
    g('asic_agent_tuner_expected_hashes_per_second', 'What the tuned clocks should give.', {}, tu.expectedHashrate);
    g('asic_agent_tuner_chips', 'Chips by tuning stage.', { stage: 'set' }, tu.chips.set);
    g('asic_agent_tuner_chips', 'Chips by tuning stage.', { stage: 'searching' }, tu.chips.searching);
    g('asic_agent_tuner_chips', 'Chips by tuning stage.', { stage: 'failed' }, tu.chips.failed);
    c('asic_agent_tuner_chip_step_downs_total', 'Times a tuned chip turned unstable and stepped down alone.', {}, tu.chips.drifted);
    g('asic_agent_tuner_converged_timestamp_seconds', 'When the tuner reached its target (Unix time).', {}, tu.convergedAt);
    if (perChip)
      for (const ch of tu.chains)
        ch.chipMhz.forEach((mhz, chip) => g('asic_agent_chip_frequency_hertz', "Each chip's clock as the tuner set it.", { chain: ch.id, chip }, mhz * 1e6));
  }

  const active = new Map<string, number>();
  for (const kind of ALARM_KINDS) for (const severity of ['warning', 'critical']) active.set(`${kind}\u0000${severity}`, 0);
  for (const a of s.alarms) if (a.active) active.set(`${a.kind}\u0000${a.severity}`, (active.get(`${a.kind}\u0000${a.severity}`) ?? 0) + 1);
  for (const [k, n] of active) {
    const [kind, severity] = k.split('\u0000') as [string, string];
    g('asic_agent_alarms_active', 'Alarms in effect, by kind and severity.', { kind, severity }, n);
  }

  if (api.cgminer) {
    const a = api.cgminer;
    c('asic_agent_api_cgminer_connections_total', 'Connections served by the cgminer API.', {}, a.connections);
    c('asic_agent_api_cgminer_requests_total', 'cgminer API requests.', {}, a.requests);
    const rh = 'cgminer API requests or connections refused, by reason.';
    c('asic_agent_api_cgminer_refused_total', rh, { reason: 'invalid' }, a.invalid);
    c('asic_agent_api_cgminer_refused_total', rh, { reason: 'access-denied' }, a.denied);
    c('asic_agent_api_cgminer_refused_total', rh, { reason: 'too-many-connections' }, a.overLimit);
    c('asic_agent_api_cgminer_refused_total', rh, { reason: 'address-not-allowed' }, a.notAllowed);
    c('asic_agent_api_cgminer_refused_total', rh, { reason: 'timeout' }, a.timeouts);
    c('asic_agent_api_cgminer_refused_total', rh, { reason: 'too-large' }, a.tooLarge);
    c('asic_agent_api_cgminer_writes_total', 'cgminer API write commands carried out.', {}, a.writes);
  }
  if (api.http) {
    c('asic_agent_api_http_requests_total', 'HTTP API requests.', {}, api.http.requests);
    c('asic_agent_api_http_errors_total', 'HTTP API requests answered with an error status.', {}, api.http.errors);
  }
  if (opts.process) processMetrics(w, opts.process);
  return w.text();
}

function processMetrics(w: MetricsWriter, p: ProcessFigures): void {
  w.sample('process_cpu_user_seconds_total', 'counter', 'User CPU time spent by the agent process.', {}, p.cpuUserSeconds);
  w.sample('process_cpu_system_seconds_total', 'counter', 'System CPU time spent by the agent process.', {}, p.cpuSystemSeconds);
  w.sample('process_cpu_seconds_total', 'counter', 'User and system CPU time spent by the agent process.', {}, p.cpuUserSeconds + p.cpuSystemSeconds);
  w.sample('process_resident_memory_bytes', 'gauge', 'Resident memory size of the agent process.', {}, p.residentBytes);
  w.sample('process_start_time_seconds', 'gauge', 'Start time of the agent process (Unix time).', {}, p.startTimeSeconds);
  w.sample('process_open_fds', 'gauge', 'Open file descriptors of the agent process.', {}, p.openFds);
  w.sample('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap in use.', {}, p.heapUsedBytes);
  w.sample('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap reserved.', {}, p.heapTotalBytes);
  if (p.lag) {
    w.sample('nodejs_eventloop_lag_seconds', 'gauge', 'Mean event-loop delay since the previous scrape.', {}, p.lag.mean);
    w.sample('nodejs_eventloop_lag_p99_seconds', 'gauge', '99th percentile event-loop delay since the previous scrape.', {}, p.lag.p99);
    w.sample('nodejs_eventloop_lag_max_seconds', 'gauge', 'Longest event-loop delay since the previous scrape.', {}, p.lag.max);
  }
}
