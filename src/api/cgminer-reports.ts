/**
 * The cgminer API read commands as views of an AgentSnapshot. Field names, order and kinds follow
 * cgminer's api.c (summary(), poolstatus(), ascstatus(), devdetails(), minerconfig(), minecoin(),
 * itemstats(), apiversion()); where the agent has no such figure the value is cgminer's "none" (0,
 * "", false, "N") and docs/api.md says so. A chain is one cgminer device (ASC), as on bmminer.
 *
 * Identity: VERSION carries `asic-agent` as its first key and STATUS Description is "asic-agent
 * <version>"; nothing claims to be cgminer, bmminer or an Antminer (pyasic tells firmwares apart by
 * such tokens, docs/api.md "pyasic and Home Assistant").
 */
import { bmminerStatsItem } from './bmminer-stats.js';
import { Msg, type StatusMessage } from './cgminer-codes.js';
import type { CommandReply, Field, Item, Section } from './cgminer-format.js';
import type { AgentSnapshot, ChainSnapshot, ChainState, PoolSnapshot } from './snapshot.js';

/** cgminer API version we follow (api.c APIVERSION, cgminer 4.11). */
export const CGMINER_API_VERSION = '3.7';
/** api.c `MHS %ds` uses --log-interval (default 5). */
const LOG_INTERVAL = 5;
const TWO_32 = 4294967296;

const mhs = (hps: number): number => hps / 1e6;
const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

function report(status: StatusMessage, ...sections: Section[]): CommandReply {
  return { kind: 'report', status, sections };
}
const one = (name: string, item: Item): Section => ({ name, items: [item], labelled: true });
const list = (name: string, items: Item[]): Section => ({ name, items, labelled: false });

export function version(s: AgentSnapshot): CommandReply {
  return report(
    Msg.version(),
    one('VERSION', [
      [s.firmware.name, 'string', s.firmware.version],
      ['API', 'string', CGMINER_API_VERSION],
      ['Firmware', 'string', s.firmware.name],
      ['Model', 'string', s.board.model],
      // Keys tools read for the software version: pyasic's cgminer backend takes CGMiner
      // (pyasic/miners/backends/cgminer.py:110), its bmminer backend CompileTime (bmminer.py:112). Both
      // name asic-agent, never another miner program; Type is the board model as on bmminer.
      ['CGMiner', 'string', `${s.firmware.name} ${s.firmware.version}`],
      ['CompileTime', 'string', `${s.firmware.name} ${s.firmware.version}`],
      ['Type', 'string', s.board.model],
    ]),
  );
}

export function summary(s: AgentSnapshot): CommandReply {
  const up = Math.max(1, s.uptimeSeconds);
  const sh = s.shares;
  const sumDiff = sh.acceptedDifficulty + sh.rejectedDifficulty + sh.staleDifficulty;
  const getworks = s.pools.reduce((a, p) => a + (p.jobs ?? 0), 0);
  const getFailures = s.pools.reduce((a, p) => a + p.failures, 0);
  return report(
    Msg.summary(),
    one('SUMMARY', [
      ['Elapsed', 'elapsed', s.uptimeSeconds],
      ['MHS av', 'mhs', mhs(s.hashrate.average)],
      [`MHS ${LOG_INTERVAL}s`, 'mhs', mhs(s.hashrate.rate5s)],
      ['MHS 1m', 'mhs', mhs(s.hashrate.rate1m)],
      ['MHS 5m', 'mhs', mhs(s.hashrate.rate5m)],
      ['MHS 15m', 'mhs', mhs(s.hashrate.rate15m)],
      ['Found Blocks', 'int', sh.blocksFound],
      ['Getworks', 'int', getworks],
      ['Accepted', 'int', sh.accepted],
      ['Rejected', 'int', sh.rejected],
      ['Hardware Errors', 'int', s.hwErrors],
      ['Utility', 'utility', (sh.accepted / up) * 60],
      ['Discarded', 'int', 0],
      ['Stale', 'int', sh.stale],
      ['Get Failures', 'int', getFailures],
      ['Local Work', 'int', s.workSent],
      ['Remote Failures', 'int', sh.lost],
      ['Network Blocks', 'int', s.network?.blocksSeen ?? 0],
      ['Total MH', 'mhtotal', mhs(s.diff1Work * TWO_32)],
      ['Work Utility', 'utility', (s.diff1Work / up) * 60],
      ['Difficulty Accepted', 'diff', sh.acceptedDifficulty],
      ['Difficulty Rejected', 'diff', sh.rejectedDifficulty],
      ['Difficulty Stale', 'diff', sh.staleDifficulty],
      ['Best Share', 'int', sh.bestShare],
      ['Device Hardware%', 'percent', ratio(s.hwErrors, s.hwErrors + s.diff1Work)],
      ['Device Rejected%', 'percent', ratio(sh.rejectedDifficulty, s.diff1Work)],
      ['Pool Rejected%', 'percent', ratio(sh.rejectedDifficulty, sumDiff)],
      ['Pool Stale%', 'percent', ratio(sh.staleDifficulty, sumDiff)],
      ['Last getwork', 'time', s.lastJobAt ?? 0],
      // bmminer's GH/s pair after cgminer's fields: pyasic's cgminer and bmminer backends read
      // `GHS 5s` / `GHS av` for the hashrate; cgminer clients ignore keys they do not know.
      // Six decimals (1 kH/s), not cgminer's two: a small board (or a simulated one) is not 0.00 GH/s.
      ['GHS 5s', 'double', s.hashrate.rate5s / 1e9],
      ['GHS av', 'double', s.hashrate.average / 1e9],
    ]),
  );
}

const POOL_STATUS: Record<PoolSnapshot['status'], string> = { alive: 'Alive', dead: 'Dead', disabled: 'Disabled' };

/** host:port of a pool URL (cgminer "Stratum URL" is the host the stratum connection went to). */
function stratumHost(url: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(url);
  return m ? (m[1] as string).replace(/^[^@]*@/, '') : url;
}

function poolItem(p: PoolSnapshot, i: number, s: AgentSnapshot): Item {
  const sh = p.shares;
  const sumDiff = sh.acceptedDifficulty + sh.rejectedDifficulty + sh.staleDifficulty;
  const stratumActive = p.active && p.status === 'alive';
  return [
    ['POOL', 'int', i],
    ['URL', 'string', p.url],
    ['Status', 'string', POOL_STATUS[p.status] ?? 'Unknown'],
    ['Priority', 'int', p.priority],
    ['Quota', 'int', p.quota],
    ['Long Poll', 'string', 'N'],
    ['Getworks', 'int', p.jobs ?? 0],
    ['Accepted', 'int', sh.accepted],
    ['Rejected', 'int', sh.rejected],
    ['Works', 'int', sh.accepted + sh.rejected + sh.stale + sh.lost],
    ['Discarded', 'int', 0],
    ['Stale', 'int', sh.stale],
    ['Get Failures', 'int', p.failures],
    ['Remote Failures', 'int', sh.lost],
    ['User', 'string', p.user],
    ['Last Share Time', 'time', sh.lastShareAt ?? 0],
    ['Diff1 Shares', 'int', sumDiff],
    ['Proxy Type', 'string', ''],
    ['Proxy', 'string', ''],
    ['Difficulty Accepted', 'diff', sh.acceptedDifficulty],
    ['Difficulty Rejected', 'diff', sh.rejectedDifficulty],
    ['Difficulty Stale', 'diff', sh.staleDifficulty],
    ['Last Share Difficulty', 'diff', sh.lastShareDifficulty ?? 0],
    ['Work Difficulty', 'diff', p.difficulty ?? 0],
    ['Has Stratum', 'bool', p.protocol !== 'solo'],
    ['Stratum Active', 'bool', stratumActive],
    ['Stratum URL', 'string', stratumActive ? stratumHost(p.url) : ''],
    ['Stratum Difficulty', 'diff', stratumActive ? (p.difficulty ?? 0) : 0],
    ['Has Vmask', 'bool', p.versionRolling ?? false],
    ['Has GBT', 'bool', false],
    ['Best Share', 'int', sh.bestShare ?? 0],
    ['Pool Rejected%', 'percent', ratio(sh.rejectedDifficulty, sumDiff)],
    ['Pool Stale%', 'percent', ratio(sh.staleDifficulty, sumDiff)],
    ['Bad Work', 'int', 0],
    ['Current Block Height', 'int', s.network?.height ?? 0],
  ];
}

export function pools(s: AgentSnapshot): CommandReply {
  if (s.pools.length === 0) return report(Msg.noPools());
  return report(
    Msg.pools(s.pools.length),
    list(
      'POOLS',
      s.pools.map((p, i) => poolItem(p, i, s)),
    ),
  );
}

/** api.c status2str; a disabled chain never started hashing. */
// cgminer's device life states; a parked chain is alive, just without work.
const CHAIN_STATUS: Record<ChainState, string> = {
  initialising: 'Initialising',
  running: 'Alive',
  idle: 'Alive',
  sick: 'Sick',
  dead: 'Dead',
  disabled: 'NoStart',
};

function devItem(c: ChainSnapshot, i: number, s: AgentSnapshot): Item {
  const up = Math.max(1, s.uptimeSeconds);
  const sh = c.shares;
  return [
    ['ASC', 'int', i],
    ['Name', 'string', c.family],
    ['ID', 'int', c.id],
    ['Enabled', 'string', c.state === 'disabled' ? 'N' : 'Y'],
    ['Status', 'string', CHAIN_STATUS[c.state] ?? 'Unknown'],
    ['Temperature', 'temp', c.temperature ?? 0],
    ['MHS av', 'mhs', mhs(c.hashrate.average)],
    [`MHS ${LOG_INTERVAL}s`, 'mhs', mhs(c.hashrate.rate5s)],
    ['MHS 1m', 'mhs', mhs(c.hashrate.rate1m)],
    ['MHS 5m', 'mhs', mhs(c.hashrate.rate5m)],
    ['MHS 15m', 'mhs', mhs(c.hashrate.rate15m)],
    ['Accepted', 'int', sh?.accepted ?? 0],
    ['Rejected', 'int', sh?.rejected ?? 0],
    ['Hardware Errors', 'int', c.hwErrors],
    ['Utility', 'utility', ((sh?.accepted ?? 0) / up) * 60],
    ['Last Share Pool', 'int', -1],
    ['Last Share Time', 'time', sh?.lastShareAt ?? 0],
    ['Total MH', 'mhtotal', mhs(c.diff1Work * TWO_32)],
    ['Diff1 Work', 'int', c.diff1Work],
    ['Difficulty Accepted', 'diff', sh?.acceptedDifficulty ?? 0],
    ['Difficulty Rejected', 'diff', sh?.rejectedDifficulty ?? 0],
    ['Last Share Difficulty', 'diff', sh?.lastShareDifficulty ?? 0],
    ['Last Valid Work', 'time', c.lastNonceAt ?? 0],
    ['Device Hardware%', 'percent', ratio(c.hwErrors, c.hwErrors + c.diff1Work)],
    ['Device Rejected%', 'percent', ratio(sh?.rejectedDifficulty ?? 0, c.diff1Work)],
    ['Device Elapsed', 'elapsed', s.uptimeSeconds],
  ];
}

export function devs(s: AgentSnapshot): CommandReply {
  if (s.chains.length === 0) return report(Msg.noDevs());
  return report(
    Msg.devs(s.chains.length),
    list(
      'DEVS',
      s.chains.map((c, i) => devItem(c, i, s)),
    ),
  );
}

/** api.c edevstatus: like devs without the devices that are gone (here: disabled or dead chains). */
export function edevs(s: AgentSnapshot): CommandReply {
  if (s.chains.length === 0) return report(Msg.noDevs());
  const items: Item[] = [];
  s.chains.forEach((c, i) => {
    if (c.state !== 'disabled' && c.state !== 'dead') items.push(devItem(c, i, s));
  });
  return report(Msg.devs(s.chains.length), list('DEVS', items));
}

export function devdetails(s: AgentSnapshot): CommandReply {
  if (s.chains.length === 0) return report(Msg.noDevs());
  return report(
    Msg.devDetails(),
    list(
      'DEVDETAILS',
      s.chains.map((c, i) => [
        ['DEVDETAILS', 'int', i],
        ['Name', 'string', c.family],
        ['ID', 'int', c.id],
        ['Driver', 'string', s.firmware.name],
        ['Kernel', 'string', ''],
        ['Model', 'string', s.board.model],
        ['Device Path', 'string', c.devicePath ?? ''],
      ]),
    ),
  );
}

function osName(): string {
  switch (process.platform) {
    case 'linux':
      return 'Linux';
    case 'darwin':
      return 'Apple';
    case 'win32':
      return 'Windows';
    default:
      return 'Unix';
  }
}

export function config(s: AgentSnapshot): CommandReply {
  const groups = new Set(s.pools.map((p) => p.group));
  const families = [...new Set(s.chains.map((c) => c.family))];
  return report(
    Msg.config(),
    one('CONFIG', [
      ['ASC Count', 'int', s.chains.length],
      ['PGA Count', 'int', 0],
      ['Pool Count', 'int', s.pools.length],
      // cgminer strategies: failover inside a group; several groups share hashrate by quota.
      ['Strategy', 'string', groups.size > 1 ? 'Load Balance' : 'Failover'],
      ['Log Interval', 'int', LOG_INTERVAL],
      ['Device Code', 'string', families.map((f) => `${f} `).join('')],
      ['OS', 'string', osName()],
      ['Hotplug', 'string', 'None'],
    ]),
  );
}

export function coin(s: AgentSnapshot): CommandReply {
  return report(
    Msg.coin(),
    one('COIN', [
      ['Hash Method', 'string', 'sha256'],
      ['Current Block Time', 'double', s.network?.blockTime ?? 0],
      ['Current Block Hash', 'string', s.network?.blockHash ?? ''],
      ['LP', 'bool', false],
      ['Network Difficulty', 'diff', s.network?.difficulty ?? 0],
    ]),
  );
}

/** api.c itemstats() head: STATS, ID, Elapsed and the getwork timing fields. */
function statsHead(i: number, id: string, s: AgentSnapshot): Field[] {
  return [
    ['STATS', 'int', i],
    ['ID', 'string', id],
    ['Elapsed', 'elapsed', s.uptimeSeconds],
    ['Calls', 'int', 0],
    ['Wait', 'double', 0],
    ['Max', 'double', 0],
    ['Min', 'double', 99999999],
  ];
}

/**
 * STATS is driver-defined in cgminer ("the content can change at any time"). Ours: STATS[0] is the
 * firmware and the board's sensors (fans, temperatures, power, in bmminer's `fan1`/`temp1` style with
 * the sensor names beside them); STATS[1] is the whole miner in bmminer's layout, where Antminer tools
 * look (bmminer-stats.ts); then one entry per chain with its chip map (`chain_acs`, "o" per chip alive,
 * "x" per chip silent, as bmminer prints it).
 */
export function stats(s: AgentSnapshot): CommandReply {
  const board: Field[] = [
    ...statsHead(0, s.firmware.name, s),
    ['Type', 'string', s.firmware.name],
    ['Version', 'string', s.firmware.version],
    ['Model', 'string', s.board.model],
    ['State', 'string', s.board.state],
    ['State Reason', 'string', s.board.reason ?? ''],
    ['MHS nominal', 'mhs', mhs(s.hashrate.nominal ?? 0)],
    ['fan_num', 'int', s.fans.length],
  ];
  s.fans.forEach((f, i) => {
    board.push([`fan${i + 1}`, 'int', f.rpm ?? 0], [`fan_duty${i + 1}`, 'int', f.dutyPercent], [`fan_name${i + 1}`, 'string', f.name]);
  });
  board.push(['temp_num', 'int', s.temperatures.length]);
  s.temperatures.forEach((t, i) => {
    board.push([`temp${i + 1}`, 'temp', t.celsius], [`temp_name${i + 1}`, 'string', t.name]);
  });
  board.push(['power_num', 'int', s.power.length]);
  s.power.forEach((p, i) => {
    board.push(
      [`power_name${i + 1}`, 'string', p.name],
      [`voltage${i + 1}`, 'volts', p.volts ?? 0],
      [`current${i + 1}`, 'volts', p.amps ?? 0],
      [`watts${i + 1}`, 'double', p.watts ?? 0],
      [`power_state${i + 1}`, 'string', p.state ?? ''],
      [`power_faults${i + 1}`, 'string', p.faults.join(' ')],
    );
  });
  const items: Item[] = [board, bmminerStatsItem(s, statsHead(1, 'MINER', s))];
  s.chains.forEach((c, i) => {
    const acs = c.chips.map((chip) => (chip.silent ? 'x' : 'o')).join('');
    items.push([
      ...statsHead(i + 2, `CHAIN${c.id}`, s),
      ['chain', 'int', c.id],
      ['family', 'string', c.family],
      ['state', 'string', c.state],
      ['freq', 'freq', c.frequencyMhz],
      ['chain_acn', 'int', c.chipsExpected],
      ['chain_alive', 'int', c.chipsAlive],
      ['chain_acs', 'string', acs],
      ['chain_crc_errors', 'int', c.crcErrors],
      ['chain_hw', 'int', c.hwErrors],
      ['chain_nonces', 'int', c.validNonces],
      ['chain_rate', 'mhs', mhs(c.hashrate.rate5s)],
      ['chain_rateideal', 'mhs', mhs(c.hashrate.nominal ?? 0)],
      ['temp', 'temp', c.temperature ?? 0],
      ['temp_board', 'temp', c.boardTemperature ?? 0],
      ['name', 'string', c.name ?? `chain${c.id}`],
    ]);
  });
  return report(Msg.stats(), list('STATS', items));
}

export function ascCount(s: AgentSnapshot): CommandReply {
  return report(Msg.ascCount(), one('ASCS', [['Count', 'int', s.chains.length]]));
}

export function pgaCount(): CommandReply {
  return report(Msg.pgaCount(), one('PGAS', [['Count', 'int', 0]]));
}

/** api.c checkcommand: whether a command exists and whether this client may use it. */
export function check(exists: boolean, access: boolean): CommandReply {
  return report(
    Msg.check(),
    one('CHECK', [
      ['Exists', 'string', exists ? 'Y' : 'N'],
      ['Access', 'string', access ? 'Y' : 'N'],
    ]),
  );
}

export function status(msg: StatusMessage): CommandReply {
  return { kind: 'report', status: msg, sections: [] };
}
