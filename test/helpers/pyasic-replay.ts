/**
 * pyasic, replayed: the exact requests pyasic sends to a miner's cgminer API and the exact parsing it
 * applies to the replies, step by step, so that a test can show what `pyasic.get_miner(ip)` and
 * `miner.get_data()` return for a live asic-agent. Real pyasic cannot run here: it needs pydantic 2 and
 * betterproto, which neither npm nor Debian 12 packages (python3-pydantic is 1.10), and PyPI is not
 * reachable. Every step cites the pyasic source it follows, UpstreamData/pyasic @ e2b9d357 (0.78.10);
 * `patch:` steps follow contrib/pyasic/0001-asic-agent-backend.patch, the backend that makes pyasic
 * know asic-agent.
 *
 * The one liberty: pyasic always dials port 4028 (factory.py:958, rpc/base.py:29); here the port is
 * the agent's ephemeral one.
 */
import { connect } from 'node:net';

type Json = Record<string, unknown>;

/** Python's json.dumps({"command": cmd}): ", " and ": " separators (pyasic sends it this way). */
export function pythonJsonDumps(obj: Record<string, string>): string {
  return `{${Object.entries(obj)
    .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join(', ')}}`;
}

/** Connect, write the request with no terminator, read until the server closes (factory.py:956-1001, rpc/base.py:197-250). */
export function exchange(port: number, request: string, host = '127.0.0.1'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(port, host, () => s.write(request));
    s.on('data', (b) => chunks.push(b));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

/** factory.py:952-1001 `_socket_ping`: the reply decoded as UTF-8, or undefined when empty. */
export async function socketPing(port: number, cmd: string): Promise<string | undefined> {
  const data = await exchange(port, pythonJsonDumps({ command: cmd }));
  return data.length > 0 ? data.toString('utf8') : undefined;
}

export type MinerType =
  | 'BRAIINS_OS'
  | 'WHATSMINER'
  | 'LUX_OS'
  | 'HIVEON'
  | 'MARATHON'
  | 'MSKMINER'
  | 'ANTMINER'
  | 'GOLDSHELL'
  | 'INNOSILICON'
  | 'AVALONMINER'
  | 'AURADINE'
  | 'VNISH'
  | 'ASIC_AGENT';

/** factory.py:1003-1033 `_parse_socket_type` as released: the product words it looks for, in order. */
export function parseSocketTypeUpstream(data: string): MinerType | null {
  const u = data.toUpperCase();
  if (u.includes('BOSMINER') || u.includes('BOSER')) return 'BRAIINS_OS';
  if (u.includes('BTMINER') || u.includes('BITMICRO')) return 'WHATSMINER';
  if (u.includes('LUXMINER')) return 'LUX_OS';
  if (u.includes('HIVEON')) return 'HIVEON';
  if (u.includes('KAONSU')) return 'MARATHON';
  if (u.includes('RWGLR')) return 'MSKMINER';
  if (u.includes('ANTMINER') && !u.includes('DEVDETAILS')) return 'ANTMINER';
  if (u.includes('INTCHAINS_QOMO') || u.includes('KDAMINER') || u.includes('BFGMINER')) return 'GOLDSHELL';
  if (u.includes('INNOMINER')) return 'INNOSILICON';
  if (u.includes('AVALON')) return 'AVALONMINER';
  if (u.includes('GCMINER') || u.includes('FLUXOS')) return 'AURADINE';
  if (u.includes('VNISH')) return 'VNISH';
  return null;
}

/** patch: factory.py `_parse_socket_type` checks "ASIC-AGENT" first, then the released words. */
export function parseSocketTypePatched(data: string): MinerType | null {
  if (data.toUpperCase().includes('ASIC-AGENT')) return 'ASIC_AGENT';
  return parseSocketTypeUpstream(data);
}

/**
 * factory.py:938-950 `_get_miner_socket`: `version` and `devdetails` probed at once, the first reply
 * that parses to a type wins (concurrent_get_first_result, factory.py:724-737).
 */
export async function getMinerSocketType(port: number, parse: (d: string) => MinerType | null): Promise<MinerType | null> {
  const replies = await Promise.all(['version', 'devdetails'].map((c) => socketPing(port, c)));
  for (const r of replies) if (r !== undefined && parse(r) !== null) return parse(r);
  return null;
}

/** rpc/base.py:252-292 `_load_api_data`: strip the NUL, apply pyasic's repairs, json.loads. */
export function loadApiData(data: Buffer): Json {
  let s = data.length > 0 && data[data.length - 1] === 0 ? data.subarray(0, -1).toString('utf8') : data.toString('utf8');
  s = s.replaceAll(',}', '}').replaceAll('\n', '').replaceAll('}{', '},{').replaceAll('[,{', '[{').replaceAll('""temp0', '","temp0');
  s = s.replaceAll('"inf"', '0').replaceAll('"nan"', '0');
  if (s.startsWith(',')) s = `{${s.slice(1)}`;
  if (!s.endsWith('}')) s = `${s.split(',').slice(0, -1).join(',')}}`;
  if (/"error_code":\[".+"\]/.test(s)) s = s.replaceAll('[', '{').replaceAll(']', '}');
  return JSON.parse(s) as Json;
}

/** misc/__init__.py:87-110 `validate_command_output`. */
export function validateCommandOutput(data: Json): [boolean, string | null] {
  if ('STATUS' in data) {
    let status = data.STATUS as unknown;
    if (typeof status === 'string') {
      if (status === 'RESTART') return [true, null];
      status = data;
    }
    if (Array.isArray(status)) status = status[0];
    const st = status as Json;
    return st.STATUS === 'S' || st.STATUS === 'I' ? [true, null] : [false, String(st.Msg ?? 'Unknown error')];
  }
  for (const [key, v] of Object.entries(data)) {
    if (key === 'id') continue;
    const first = (v as Json[])[0] as Json;
    if ('STATUS' in first) {
      const st = (first.STATUS as Json[])[0] as Json;
      if (st.STATUS !== 'S' && st.STATUS !== 'I') return [false, `${key}: ${String(st.Msg)}`];
    }
  }
  return [true, null];
}

/** rpc/base.py:47-102 `send_command`: json.dumps({"command": c}), read to the close, load, validate (APIError on failure). */
export async function sendCommand(port: number, command: string): Promise<Json> {
  const data = await exchange(port, pythonJsonDumps({ command }));
  if (data.length === 0) throw new Error('APIError: No data returned from the API.');
  const api = loadApiData(data);
  const [ok, why] = validateCommandOutput(api);
  if (!ok) throw new Error(`APIError: ${command}: ${why}`);
  return api;
}

/** rpc/base.py:108-126 `multicommand`: "a+b+c" in one request, flagged `multicommand`. */
export async function multicommand(port: number, commands: string[]): Promise<Json> {
  const data = await sendCommand(port, commands.join('+'));
  data.multicommand = true;
  return data;
}

export interface PyasicHashboard {
  slot: number;
  expectedChips: number | null;
  chipTemp: number | null;
  temp: number | null;
  /** TH/s (pyasic's SHA-256 default unit). */
  hashrate: number | null;
  chips: number | null;
  missing: boolean;
}

export interface PyasicPool {
  accepted: unknown;
  rejected: unknown;
  getFailures: unknown;
  remoteFailures: unknown;
  active: unknown;
  alive: boolean;
  url: unknown;
  user: unknown;
  index: unknown;
}

/** The fields of pyasic's MinerData that the asic-agent backend fills. */
export interface PyasicMinerData {
  apiVer: string | null;
  fwVer: string | null;
  hashrate: number | null;
  expectedHashrate: number | null;
  expectedHashboards: number | null;
  expectedChips: number | null;
  expectedFans: number | null;
  hashboards: PyasicHashboard[];
  wattage: number | null;
  fans: (number | null)[];
  errors: { message: string; kind: string; severity: string }[];
  isMining: boolean | null;
  uptime: number | null;
  pools: PyasicPool[];
}

const GH_TO_TH = 1e-3;
/** device/algorithm/hashrate/unit: a `rate_unit` string as a factor to TH/s (H, KH, MH, GH, TH, PH). */
const UNIT_TO_TH: Record<string, number> = { H: 1e-12, KH: 1e-9, MH: 1e-6, GH: 1e-3, TH: 1, PH: 1e3 };
const truthy = (v: unknown): boolean => v !== undefined && v !== null && v !== 0 && v !== '' && v !== false;
/** Python's round(): half to even. */
function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * `miner.get_data()` for the patched factory's AsicAgent object. patch: asic_agent.py `get_data` reads
 * `stats` once for the layout (miner_count, chain_acn_expected<i>, fan_num), then miners/base.py:566-610
 * builds MinerData and miners/base.py:460-564 `_get_data` sends one multicommand of every RPC command in
 * the data locations and hands each function `reply[cmd][0]` (base.py:535-538).
 */
export async function getData(port: number): Promise<PyasicMinerData> {
  const layout = await sendCommand(port, 'stats');
  const st0 = ((layout.STATS as Json[])[1] ?? {}) as Json;
  // patch: `_set_layout`.
  const expectedHashboards = typeof st0.miner_count === 'number' ? st0.miner_count : null;
  const perChain: number[] = [];
  for (let i = 1; i <= 16; i++) if (`chain_acn_expected${i}` in st0) perChain.push(Number(st0[`chain_acn_expected${i}`] ?? 0));
  const expectedChips = perChain.length > 0 ? Math.max(...perChain) : null;
  const expectedFans = typeof st0.fan_num === 'number' ? st0.fan_num : null;

  // patch: ASIC_AGENT_DATA_LOC names version, summary, stats and pools.
  const all = await multicommand(port, ['version', 'summary', 'stats', 'pools']);
  const arg = (cmd: string): Json => ((all[cmd] as Json[])[0] ?? {}) as Json;
  const rpcVersion = arg('version');
  const rpcSummary = arg('summary');
  const rpcStats = arg('stats');
  const rpcPools = arg('pools');
  const v0 = ((rpcVersion.VERSION as Json[] | undefined)?.[0] ?? {}) as Json;
  const s1 = ((rpcStats.STATS as Json[] | undefined)?.[1] ?? {}) as Json;

  // bmminer.py:88-101 `_get_api_ver`: VERSION[0].API.
  const apiVer = typeof v0.API === 'string' ? v0.API : null;
  // patch: `_get_fw_ver` reads VERSION[0]["asic-agent"].
  const fwVer = typeof v0['asic-agent'] === 'string' ? (v0['asic-agent'] as string) : null;
  // bmminer.py:118-138 `_get_hashrate`: SUMMARY[0]["GHS 5s"], GH → TH.
  const ghs5s = ((rpcSummary.SUMMARY as Json[] | undefined)?.[0] ?? {})['GHS 5s'];
  const hashrate = ghs5s === undefined ? null : Number(ghs5s) * GH_TO_TH;
  // bmminer.py:247-271 `_get_expected_hashrate`: STATS[1].total_rateideal in rate_unit (default GH).
  const ideal = s1.total_rateideal;
  const unit = typeof s1.rate_unit === 'string' ? s1.rate_unit : 'GH';
  const expectedHashrate = ideal === undefined ? null : Number(ideal) * (UNIT_TO_TH[unit.toUpperCase()] ?? GH_TO_TH);

  // bmminer.py:140-213 `_get_hashboards`.
  const hashboards: PyasicHashboard[] = [];
  if (expectedHashboards !== null && ((rpcStats.STATS as Json[] | undefined)?.length ?? 0) > 1) {
    let boardOffset = -1;
    for (let boardNum = 1; boardNum < 16; boardNum += 5) {
      for (let b = 0; b < 5; b++) {
        const x = s1[`chain_acn${boardNum + b}`];
        if (truthy(x) && boardOffset === -1) boardOffset = boardNum;
      }
    }
    if (boardOffset === -1) boardOffset = 1;
    let realSlots: number[] = [];
    for (let i = boardOffset; i < boardOffset + 4; i++) if ((s1[`chain_acs${i}`] ?? '') !== '') realSlots.push(i);
    if (realSlots.length < 3) realSlots = Array.from({ length: expectedHashboards }, (_, k) => boardOffset + k);
    for (const i of realSlots) {
      const hb: PyasicHashboard = { slot: i - boardOffset, expectedChips, chipTemp: null, temp: null, hashrate: null, chips: null, missing: false };
      const chipTemp = s1[`temp${i}`];
      if (truthy(chipTemp)) hb.chipTemp = pyRound(Number(chipTemp));
      const temp = s1[`temp2_${i}`];
      if (truthy(temp)) hb.temp = pyRound(Number(temp));
      const rate = s1[`chain_rate${i}`];
      if (truthy(rate)) hb.hashrate = Number(rate) * GH_TO_TH;
      const chips = s1[`chain_acn${i}`];
      if (truthy(chips)) {
        hb.chips = Number(chips);
        hb.missing = false;
      }
      if (!truthy(chips) || !(Number(chips) > 0)) hb.missing = true;
      hashboards.push(hb);
    }
  }

  // bmminer.py:215-245 `_get_fans`.
  const fans: (number | null)[] = [];
  if (expectedFans !== null) {
    let fanOffset = -1;
    for (let fanNum = 1; fanNum < 8; fanNum += 4) {
      for (let f = 0; f < 4; f++) {
        const x = s1[`fan${fanNum + f}`] ?? 0;
        if (truthy(x) && fanOffset === -1) fanOffset = fanNum;
      }
    }
    if (fanOffset === -1) fanOffset = 1;
    for (let f = 0; f < expectedFans; f++) fans.push(Number(s1[`fan${fanOffset + f}`] ?? 0));
  }

  // patch: `_get_wattage`: STATS[1].power, rounded, when above 0.
  const watts = Number(s1.power);
  const wattage = Number.isFinite(watts) && watts > 0 ? pyRound(watts) : null;
  // patch: `_get_errors`: alarm<i>, alarm_kind<i>, alarm_severity<i> for i in 1..alarm_num.
  const errors: PyasicMinerData['errors'] = [];
  for (let i = 1; i <= Number(s1.alarm_num ?? 0); i++) {
    const message = s1[`alarm${i}`];
    if (truthy(message)) errors.push({ message: String(message), kind: String(s1[`alarm_kind${i}`] ?? ''), severity: String(s1[`alarm_severity${i}`] ?? '') });
  }
  // patch: `_is_mining`: STATS[1].state == "running".
  const isMining = 'state' in s1 ? s1.state === 'running' : null;
  // bmminer.py:273-285 `_get_uptime`: int(STATS[1].Elapsed).
  const uptime = s1.Elapsed === undefined ? null : Math.trunc(Number(s1.Elapsed));
  // bmminer.py:287-315 `_get_pools`.
  const pools: PyasicPool[] = ((rpcPools.POOLS as Json[] | undefined) ?? []).map((p) => ({
    accepted: p.Accepted,
    rejected: p.Rejected,
    getFailures: p['Get Failures'],
    remoteFailures: p['Remote Failures'],
    active: p['Stratum Active'],
    alive: p.Status === 'Alive',
    url: p.URL,
    user: p.User,
    index: p.POOL,
  }));

  return {
    apiVer,
    fwVer,
    hashrate,
    expectedHashrate,
    expectedHashboards,
    expectedChips,
    expectedFans,
    hashboards,
    wattage,
    fans,
    errors,
    isMining,
    uptime,
    pools,
  };
}
