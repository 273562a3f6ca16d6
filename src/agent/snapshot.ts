/**
 * The agent's state as the local APIs see it (src/api/snapshot.ts): built on demand from the mining
 * stats, the pool manager, the chains and the board. Plain data; no pool password or token in it.
 */
import type { Alarm, AgentSnapshot, BoardState, ChainState, JsonValue, PowerReading, TemperatureReading } from '../api/snapshot.js';
import { redactSecrets } from '../api/redact.js';
import { chainSnapshot, miningTotals, poolSnapshots, protocolOfUrl, shareTotals, switchRecords, wallTime, type ChainInfo } from '../api/snapshot-sources.js';
import type { BoardPhase } from '../board/board.js';
import { resolvePoolGroups } from '../upstream/pool-config.js';
import { FIRMWARE_NAME, FIRMWARE_VERSION } from '../version.js';
import type { Agent } from './agent.js';
import type { ChainRunState } from './chain-set.js';

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
    case 'failed':
      return 'dead';
  }
}

/** Extra alarms other parts raise (Job Declaration censorship alarms). */
export interface AlarmSource {
  alarms(): Alarm[];
}

export function buildSnapshot(agent: Agent, extra: AlarmSource[] = []): AgentSnapshot {
  const clock = agent.clock;
  const toWall = wallTime(clock);
  const stats = agent.stats;
  const b = agent.rt.board.status();
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
      nominal: c.mining.nominalHashrate,
      devicePath: c.sim?.devicePath ?? c.spec.uart,
    };
    return chainSnapshot(stats, info, toWall);
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

  const temperatures: TemperatureReading[] = b.temps.filter((t) => t.c !== null).map((t) => ({ name: t.id, celsius: t.c as number, kind: t.kind }));
  const power: PowerReading[] = [];
  if (b.regulator) {
    const r = b.regulator;
    power.push({ name: 'vcore', volts: r.vout, amps: r.iout, watts: r.vout * r.iout, state: b.regulatorOn && !r.off ? 'on' : 'off', faults: r.faults });
    temperatures.push({ name: 'vr', celsius: r.tempC, kind: 'vr' });
  }
  if (b.power) power.push({ name: 'input', volts: b.power.volts, amps: b.power.amps, watts: b.power.watts, faults: [] });
  const alarms: Alarm[] = [];
  const safe = agent.rt.board.lastSafeState();
  if (safe && (b.phase === 'safe' || b.phase === 'stopping')) {
    alarms.push({ kind: 'thermal', severity: 'critical', message: `safe state: ${safe.reason}${safe.detail ? ` (${safe.detail})` : ''}`, at: toWall(safe.at), active: true });
  }
  if (b.level === 'hot') alarms.push({ kind: 'thermal', severity: 'warning', message: 'hot: fans at 100 %, frequency reduced', at: toWall(clock.now()), active: true });
  for (const src of extra) alarms.push(...src.alarms());
  const last = agent.lastJobTime();
  const cfg = agent.config.agent as unknown as JsonValue;
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
    switches: agent.pools ? switchRecords(agent.pools.switchLog(), toWall) : [],
    temperatures,
    fans: b.fans.map((f) => ({ name: f.id, dutyPercent: f.dutyPct, ...(f.rpm !== null ? { rpm: f.rpm } : {}) })),
    power,
    alarms,
    config: redactSecrets(JSON.parse(JSON.stringify(cfg)) as JsonValue),
  };
}
