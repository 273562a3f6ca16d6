/**
 * The bmminer-compatible entry of the cgminer `stats` reply: the whole miner in one item with bmminer's
 * per-chain keys numbered from 1 (`chain_acn1`, `chain_rate1`, `temp1`, `temp2_1`, …), because the tools
 * miners run read an Antminer-style `STATS[1]` that way. What each key means to them, from pyasic's
 * BMMiner backend (UpstreamData/pyasic @ e2b9d357, pyasic/miners/backends/bmminer.py):
 *
 *   fan1..N              rpm; the first non-zero of fan1..fan8 starts the list (:230-241)
 *   chain_acn<i>         chips on chain i; the first non-zero of 1..15 is the first board (:157-164);
 *                        0 marks the board missing (:203-208)
 *   chain_acs<i>         chip map; a non-empty one marks slot i present (:168-174)
 *   temp<i>              read as the board's chip temperature, rounded (:186-188)
 *   temp2_<i>            read as the board temperature, rounded (:190-192)
 *   chain_rate<i>        GH/s (:194-201)
 *   total_rateideal      expected hashrate, in `rate_unit` (default GH) (:259-268)
 *   Elapsed              uptime, s (:282)
 *
 * Chain i is the chain with id i-1. Temperatures are the chain's own: the hottest chip-kind sensor that
 * belongs to it (board-wide sensors belong to every chain), and for the board temperature the hottest
 * board-kind sensor, else the regulator's (pyasic reads a Bitaxe's regulator temperature as its board
 * temperature, pyasic/miners/backends/espminer.py:187-188). A value the agent does not have is 0, which
 * pyasic leaves unset.
 *
 * The rest carries what pyasic's data model wants and bmminer has no key for, in the same flat style:
 * `chain_acn_expected<i>` (chips the board-config says), `miner_count` (chains), `power` (W, the input
 * monitor, else the sum of the rails), `alarm_num` with `alarm<i>` (message), `alarm_kind<i>`,
 * `alarm_severity<i>` for the active alarms, and `state` (the board state). contrib/pyasic reads them.
 */
import type { Field, Item } from './cgminer-format.js';
import type { AgentSnapshot } from './snapshot.js';

const ghs = (hps: number): number => hps / 1e9;
// GH/s figures print with six decimals (1 kH/s): with bmminer's two, a small or simulated board would
// read 0.00.

/** Watts the whole miner draws: the input monitor when there is one, else the sum of the rails. */
export function boardWatts(s: AgentSnapshot): number | undefined {
  const input = s.power.find((p) => p.name === 'input' && p.watts !== undefined);
  if (input?.watts !== undefined) return input.watts;
  const rails = s.power.filter((p) => p.watts !== undefined);
  return rails.length > 0 ? rails.reduce((a, p) => a + (p.watts ?? 0), 0) : undefined;
}

/** bmminer's chip map: one character per chip, `o` alive and `x` silent, a space every 8 chips. */
function chipMap(silent: boolean[]): string {
  let out = '';
  silent.forEach((x, i) => {
    if (i > 0 && i % 8 === 0) out += ' ';
    out += x ? 'x' : 'o';
  });
  return out;
}

export function bmminerStatsItem(s: AgentSnapshot, head: Field[]): Item {
  const f: Field[] = [
    ...head,
    ['GHS 5s', 'double', ghs(s.hashrate.rate5s)],
    ['GHS av', 'double', ghs(s.hashrate.average)],
    ['rate_unit', 'string', 'GH'],
    ['miner_count', 'int', s.chains.length],
    ['state', 'string', s.board.state],
  ];
  const freqs = s.chains.filter((c) => c.frequencyMhz > 0);
  f.push(['frequency', 'freq', freqs.length ? freqs.reduce((a, c) => a + c.frequencyMhz, 0) / freqs.length : 0]);
  f.push(['fan_num', 'int', s.fans.length]);
  s.fans.forEach((fan, i) => f.push([`fan${i + 1}`, 'int', fan.rpm ?? 0]));
  f.push(['temp_num', 'int', s.chains.length]);
  let tempMax = 0;
  for (const c of s.chains) {
    const i = c.id + 1;
    const chip = c.temperature ?? 0;
    const board = c.boardTemperature ?? 0;
    tempMax = Math.max(tempMax, chip, board);
    f.push([`temp${i}`, 'int', Math.round(chip)], [`temp2_${i}`, 'int', Math.round(board)]);
  }
  f.push(['temp_max', 'int', Math.round(tempMax)]);
  let totalRate = 0;
  let totalIdeal = 0;
  let totalChips = 0;
  for (const c of s.chains) {
    const i = c.id + 1;
    totalRate += c.hashrate.rate5s;
    totalIdeal += c.hashrate.nominal ?? 0;
    totalChips += c.chipsAlive;
    f.push(
      [`chain_acn${i}`, 'int', c.state === 'disabled' ? 0 : c.chipsAlive],
      [`chain_acn_expected${i}`, 'int', c.chipsExpected],
      [`chain_acs${i}`, 'string', chipMap(c.chips.map((x) => x.silent))],
      [`chain_hw${i}`, 'int', c.hwErrors],
      [`chain_rate${i}`, 'double', ghs(c.hashrate.rate5s)],
      [`chain_rateideal${i}`, 'double', ghs(c.hashrate.nominal ?? 0)],
      [`freq_avg${i}`, 'freq', c.frequencyMhz],
    );
  }
  f.push(
    ['total_rateideal', 'double', ghs(totalIdeal || (s.hashrate.nominal ?? 0))],
    ['total_rate', 'double', ghs(totalRate)],
    ['total_acn', 'int', totalChips],
  );
  f.push(['power', 'double', boardWatts(s) ?? 0]);
  const active = s.alarms.filter((a) => a.active);
  f.push(['alarm_num', 'int', active.length]);
  active.forEach((a, n) =>
    f.push([`alarm${n + 1}`, 'string', a.message], [`alarm_kind${n + 1}`, 'string', a.kind], [`alarm_severity${n + 1}`, 'string', a.severity]),
  );
  return f;
}
