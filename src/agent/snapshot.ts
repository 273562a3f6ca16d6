/**
 * The agent's state as the local APIs see it (src/api/snapshot.ts): built on demand from the mining
 * stats, the pool manager, the chains and the board. Plain data; no pool password or token in it.
 */
import type {
  Alarm,
  AgentSnapshot,
  BoardState,
  ChainSnapshot,
  ChainState,
  JsonValue,
  PowerReading,
  TemperatureReading,
  TuningSnapshot,
} from '../api/snapshot.js';
import { redactSecrets } from '../api/redact.js';
import { chainSnapshot, miningTotals, poolSnapshots, protocolOfUrl, shareTotals, switchRecords, wallTime, type ChainInfo } from '../api/snapshot-sources.js';
import type { BoardPhase } from '../board/board.js';
import { resolvePoolGroups } from '../upstream/pool-config.js';
import { FIRMWARE_NAME, FIRMWARE_VERSION } from '../version.js';
import type { Agent } from './agent.js';
import type { ChainRunState } from './chain-set.js';
import { alarmConditions } from './alarm-conditions.js';
import { boardLabels, type BoardLabels } from './board-labels.js';
import { urlOrigin } from '../notify/webhook.js';

const BOARD_STATE: Record<BoardPhase, BoardState> = {
  idle: 'starting',
  starting: 'starting',
  running: 'running',
  paused: 'paused',
  stopping: 'stopping',
  safe: 'safe-state',
  closed: 'safe-state',
};

function chainState(s: ChainRunState, silent: number): ChainState {
  switch (s) {
    case 'down':
    case 'bringing-up':
      return 'initialising';
    case 'running':
      return silent > 0 ? 'sick' : 'running';
    case 'idle':
      return 'idle';
    case 'failed':
      return 'dead';
  }
}

/** Extra alarms other parts raise (Job Declaration censorship alarms). */
export interface AlarmSource {
  alarms(): Alarm[];
}

const labelCache = new WeakMap<object, BoardLabels>();

/** The board-config's reader-facing names (cached per board-config object). */
export function labelsOf(agent: Agent): BoardLabels {
  const board = agent.config.board;
  let l = labelCache.get(board);
  if (!l) {
    l = boardLabels(board);
    labelCache.set(board, l);
  }
  return l;
}

/**
 * Looks at the board, chains and pools now and updates the agent's alarm book (which tells webhooks and
 * MQTT about raises and clears). Cheap enough for a one-second tick.
 */
export function refreshAlarms(agent: Agent, extra: AlarmSource[] = []): Alarm[] {
  const clock = agent.clock;
  const toWall = wallTime(clock);
  const b = agent.rt.board.status();
  const safe = agent.rt.board.lastSafeState();
  const pm = agent.pools?.stats();
  const now = clock.wallSeconds();
  const conditions = alarmConditions({
    now,
    board: { phase: b.phase, level: b.level, ...(safe ? { safe: { reason: safe.reason, detail: safe.detail, at: toWall(safe.at) } } : {}) },
    chains: agent.chains.chains.map((c, i) => ({ index: i, state: c.state })),
    pools: (pm?.pools ?? []).map((p) => ({
      id: p.id,
      usable: p.usable,
      failures: Object.values(p.failures).reduce((a, n) => a + n, 0),
      ...(p.failure ? { lastFailure: `${p.failure.reason}${p.failure.detail ? ` (${p.failure.detail})` : ''}` } : {}),
    })),
    labels: labelsOf(agent),
    extra: extra.flatMap((src) => src.alarms()),
  });
  return agent.alarmBook.update(conditions, now);
}

/** Hottest reading of a kind that belongs to the chain (readings with no chain belong to every chain). */
function hottest(temps: TemperatureReading[], chain: number, kinds: string[]): number | undefined {
  let best: number | undefined;
  for (const t of temps) {
    if (!kinds.includes(t.kind ?? '') || (t.chain !== undefined && t.chain !== chain)) continue;
    if (best === undefined || t.celsius > best) best = t.celsius;
  }
  return best;
}

export function buildSnapshot(agent: Agent, extra: AlarmSource[] = []): AgentSnapshot {
  const clock = agent.clock;
  const toWall = wallTime(clock);
  const stats = agent.stats;
  const b = agent.rt.board.status();
  const labels = labelsOf(agent);
  const temperatures: TemperatureReading[] = b.temps
    .filter((t) => t.c !== null)
    .map((t) => {
      const l = labels.sensor(t.id, t.kind);
      return { name: l.name, celsius: t.c as number, kind: t.kind, ...(l.chain !== undefined ? { chain: l.chain } : {}) };
    });
  const power: PowerReading[] = [];
  if (b.regulator) {
    const r = b.regulator;
    power.push({
      name: labels.rail('regulator'),
      volts: r.vout,
      amps: r.iout,
      watts: r.vout * r.iout,
      state: b.regulatorOn && !r.off ? 'on' : 'off',
      faults: r.faults,
    });
    // The board's sample carries the regulator's temperature once it reads telemetry; before, this one.
    if (!temperatures.some((t) => t.kind === 'vr')) temperatures.push({ name: 'vr', celsius: r.tempC, kind: 'vr' });
  }
  if (b.power) power.push({ name: labels.rail('input'), volts: b.power.volts, amps: b.power.amps, watts: b.power.watts, faults: [] });
  const freqs = agent.chains.frequencies();
  const chains = agent.chains.chains.map((c, i) => {
    const silent = agent.chains.silentChips(i);
    const info: ChainInfo = {
      id: c.spec.index,
      family: c.family.name,
      state: chainState(c.state, silent.length),
      chipsExpected: c.spec.chips,
      chipsFound: c.up ? c.up.chipCount - c.up.missing.filter((m) => m < (c.up?.chipCount ?? 0)).length : 0,
      silentChips: silent,
      crcErrors: c.driver?.stats().chain.crcErrors ?? 0,
      frequencyMhz: freqs[i] ?? 0,
      nominal: c.driver.nominalHashrate,
      devicePath: c.device?.path ?? c.spec.uart,
    };
    const snap: ChainSnapshot = chainSnapshot(stats, info, toWall);
    snap.name = labels.chainName(i);
    snap.ticketDifficulty = c.up?.ticketDifficulty ?? c.spec.ticketDifficulty;
    const chip = hottest(temperatures, i, ['chip']);
    const board = hottest(temperatures, i, ['board']) ?? hottest(temperatures, i, ['vr']);
    if (chip !== undefined) snap.temperature = chip;
    else if (board !== undefined) snap.temperature = board;
    if (board !== undefined) snap.boardTemperature = board;
    return snap;
  });
  const users = new Map<string, string>();
  if (agent.groups.length > 0) for (const g of resolvePoolGroups(agent.groups)) for (const p of g.pools) users.set(p.id, p.user);
  const pm = agent.pools?.stats();
  const jdAlarms = agent.jd?.stats().jd.alarms.length ?? 0;
  const pools = pm
    ? poolSnapshots(
        pm,
        stats,
        (id) =>
          agent.jd && id === agent.jd.id
            ? { user: users.get(id) ?? '', protocol: 'jd', censorshipAlarms: jdAlarms }
            : { user: users.get(id) ?? '', protocol: protocolOfUrl(pm.pools.find((p) => p.id === id)?.url ?? '') },
        toWall,
      )
    : [];

  const alarms = refreshAlarms(agent, extra);
  const last = agent.lastJobTime();
  // Webhook URLs often carry their secret in the path (Slack, Discord, ntfy): only the origin is shown.
  const agentCfg = agent.config.agent;
  const cfg = (agentCfg.webhook
    ? { ...agentCfg, webhook: agentCfg.webhook.map((w) => ({ ...w, url: `${urlOrigin(w.url)}/[redacted]` })) }
    : agentCfg) as unknown as JsonValue;
  const mining = agent.miningTarget();
  return {
    firmware: { name: FIRMWARE_NAME, version: FIRMWARE_VERSION },
    now: clock.wallSeconds(),
    uptimeSeconds: (clock.now() - stats.startedAt) / 1000,
    board: { model: agent.config.board.name, state: BOARD_STATE[b.phase], ...(b.reason ? { reason: b.reason } : {}), since: toWall(b.since) },
    ...miningTotals(stats, agent.nominalHashrate()),
    ...(last !== undefined ? { lastJobAt: toWall(last) } : {}),
    chains,
    shares: shareTotals(stats, toWall),
    pools,
    ...(mining ? { mining } : {}),
    switches: agent.pools ? switchRecords(agent.pools.switchLog(), toWall) : [],
    temperatures,
    fans: b.fans.map((f) => ({ name: labels.fan(f.id), dutyPercent: f.dutyPct, ...(f.rpm !== null ? { rpm: f.rpm } : {}) })),
    power,
    alarms,
    ...(agent.tuning ? { tuning: tuningSnapshot(agent, toWall) } : {}),
    config: redactSecrets(JSON.parse(JSON.stringify(cfg)) as JsonValue),
  };
}

function tuningSnapshot(agent: Agent, toWall: (t: number) => number): TuningSnapshot {
  const t = agent.tuning as NonNullable<Agent['tuning']>;
  const st = t.status();
  const pr = st.profile;
  return {
    state: st.state,
    step: st.step,
    mode: st.mode,
    ...(st.target !== null ? { target: st.target } : {}),
    ...(st.capW !== null ? { capWatts: st.capW } : {}),
    scaling: { active: st.scaling.active, steps: st.scaling.steps, ...(st.scaling.capW !== undefined ? { capWatts: st.scaling.capW } : {}) },
    coreVolts: st.volts,
    ...(st.watts !== null ? { watts: st.watts } : {}),
    powerSource: t.powerSource(),
    expectedHashrate: st.expectedHs,
    chips: st.chips,
    rounds: st.rounds,
    ...(st.startedAt !== null ? { startedAt: toWall(st.startedAt) } : {}),
    ...(st.convergedAt !== null ? { convergedAt: toWall(st.convergedAt) } : {}),
    profile: {
      ...(pr.source ? { source: pr.source } : {}),
      ...(pr.savedAt !== null ? { savedAt: pr.savedAt } : {}),
      ...(pr.error ? { error: pr.error } : {}),
      dir: t.store.dir,
    },
    chains: st.chains.map((c) => ({ id: c.index, chipMhz: c.chips.map((x) => Math.round(x.mhz * 1000) / 1000) })),
  };
}
