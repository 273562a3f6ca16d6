/**
 * What is wrong right now, read off the board, the chains and the pools (cheap: no snapshot). Each
 * condition has a stable key so that the AlarmBook can raise it once and clear it once:
 *
 *   thermal:safe-state / fan:safe-state / power:safe-state   the board stopped for that policy reason
 *   thermal:hot                                              hot: fans at 100 %, frequency reduced
 *   chain:<n>:dead                                           a chain failed to come up (or died)
 *   pool:<id>:down                                           a pool that failed and is not usable now
 *   pool:all-down                                            pools are configured and none is usable
 *   censorship:<pool>:<template>                             Job Declaration: a pool refused our template
 *
 * A stop asked for by a person or the system (stop, SIGTERM, SIGINT, exit) is not an alarm.
 */
import type { Alarm, AlarmKind } from '../api/snapshot.js';
import type { SafeStateReason } from '../board/board.js';
import type { AlarmCondition } from './alarm-book.js';
import type { BoardLabels } from './board-labels.js';

const SAFE_KIND: Partial<Record<SafeStateReason, AlarmKind>> = {
  overheat: 'thermal',
  'sensor-loss': 'thermal',
  'sensor-stuck': 'thermal',
  'fan-stall': 'fan',
  'too-few-fans': 'fan',
  'regulator-fault': 'power',
  'vout-out-of-range': 'power',
  'iout-out-of-range': 'power',
  'power-up-failed': 'power',
  'service-failed': 'other',
  'uncaught-exception': 'other',
  'unhandled-rejection': 'other',
  'internal-error': 'other',
};

export interface AlarmInputs {
  /** Wall seconds now. */
  now: number;
  board: { phase: string; level: string; safe?: { reason: SafeStateReason; detail: string; at: number } };
  chains: { index: number; state: string }[];
  pools: { id: string; usable: boolean; failures: number; lastFailure?: string }[];
  labels?: Pick<BoardLabels, 'chainName'>;
  /** Alarms other parts keep themselves (censorship), with their own keys or none. */
  extra: Alarm[];
}

export function alarmConditions(i: AlarmInputs): AlarmCondition[] {
  const out: AlarmCondition[] = [];
  const safe = i.board.safe;
  if (safe && (i.board.phase === 'safe' || i.board.phase === 'stopping' || i.board.phase === 'closed')) {
    const kind = SAFE_KIND[safe.reason];
    if (kind)
      out.push({
        key: `${kind}:safe-state`,
        kind,
        severity: 'critical',
        message: `safe state: ${safe.reason}${safe.detail ? ` (${safe.detail})` : ''}`,
        at: safe.at,
      });
  }
  if (i.board.level === 'hot')
    out.push({ key: 'thermal:hot', kind: 'thermal', severity: 'warning', message: 'hot: fans at 100 %, frequency reduced', at: i.now });
  for (const c of i.chains) {
    if (c.state !== 'failed') continue;
    const name = i.labels?.chainName(c.index) ?? `chain${c.index}`;
    out.push({ key: `chain:${c.index}:dead`, kind: 'chain', severity: 'critical', message: `${name} is dead: it did not come up`, at: i.now, chain: c.index });
  }
  // A pool counts as down once it has failed; at start-up, before the first connection, it is not.
  for (const p of i.pools) {
    if (p.usable || p.failures === 0) continue;
    out.push({
      key: `pool:${p.id}:down`,
      kind: 'pool',
      severity: 'warning',
      message: `pool ${p.id} is down${p.lastFailure ? `: ${p.lastFailure}` : ''}`,
      at: i.now,
      pool: p.id,
    });
  }
  if (i.pools.length > 0 && i.pools.every((p) => !p.usable) && i.pools.some((p) => p.failures > 0)) {
    out.push({ key: 'pool:all-down', kind: 'pool', severity: 'critical', message: 'no pool is usable: the chains have no work', at: i.now });
  }
  for (const a of i.extra) {
    if (!a.active) continue;
    const key = a.key ?? (a.kind === 'censorship' ? `censorship:${a.pool ?? ''}:${a.templateId ?? ''}` : `${a.kind}:${a.message}`);
    const { active: _active, clearedAt: _cleared, key: _key, ...rest } = a;
    out.push({ ...rest, key });
  }
  return out;
}
