// The read commands against a known snapshot: cgminer's field names in api.c's order and types, the
// values they carry, honest identity (nothing pyasic would take for another firmware), no secrets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readOnlyControl } from '../../../src/api/agent-control.js';
import { WriteAccess } from '../../../src/api/cgminer-access.js';
import { CgminerDispatcher } from '../../../src/api/cgminer-dispatch.js';
import { SystemClock } from '../../../src/clock.js';
import type { AgentSnapshot } from '../../../src/api/snapshot.js';
import { API_TOKEN, POOL_PASSWORD, sampleSnapshot } from '../../helpers/api-snapshot.js';

class FixedClock extends SystemClock {
  override wallSeconds(): number {
    return 1_700_000_000;
  }
}

type Obj = Record<string, unknown>;

function dispatcher(snap: () => AgentSnapshot = sampleSnapshot): CgminerDispatcher {
  return new CgminerDispatcher({ snapshot: snap, control: readOnlyControl, access: new WriteAccess({ enabled: false, allow: [] }), clock: new FixedClock() });
}

async function json(cmd: string, snap?: () => AgentSnapshot): Promise<Obj> {
  const r = await dispatcher(snap).handle(JSON.stringify({ command: cmd }), '127.0.0.1');
  assert.equal(r.json, true);
  return JSON.parse(r.text) as Obj;
}

function first(reply: Obj, section: string): Obj {
  const s = reply[section] as Obj[];
  assert.ok(Array.isArray(s) && s.length > 0, `${section} present`);
  return s[0] as Obj;
}

function status(reply: Obj): Obj {
  return first(reply, 'STATUS');
}

// api.c summary() field order.
const SUMMARY_FIELDS = [
  'Elapsed',
  'MHS av',
  'MHS 5s',
  'MHS 1m',
  'MHS 5m',
  'MHS 15m',
  'Found Blocks',
  'Getworks',
  'Accepted',
  'Rejected',
  'Hardware Errors',
  'Utility',
  'Discarded',
  'Stale',
  'Get Failures',
  'Local Work',
  'Remote Failures',
  'Network Blocks',
  'Total MH',
  'Work Utility',
  'Difficulty Accepted',
  'Difficulty Rejected',
  'Difficulty Stale',
  'Best Share',
  'Device Hardware%',
  'Device Rejected%',
  'Pool Rejected%',
  'Pool Stale%',
  'Last getwork',
  // bmminer's GH/s pair (read by pyasic).
  'GHS 5s',
  'GHS av',
];

test('summary: cgminer fields in order, MHS from H/s, share counters and ratios', async () => {
  const r = await json('summary');
  assert.deepEqual(status(r), { STATUS: 'S', When: 1_700_000_000, Code: 11, Msg: 'Summary', Description: 'asic-agent 0.1.0' });
  const s = first(r, 'SUMMARY');
  assert.deepEqual(Object.keys(s), SUMMARY_FIELDS);
  assert.equal(s['MHS 1m'], 3.5e12 / 1e6);
  assert.equal(s['MHS av'], 3395000);
  assert.equal(s['GHS av'], 3395);
  assert.equal(s['GHS 5s'], Number(((s['MHS 5s'] as number) / 1000).toFixed(2)));
  assert.equal(s.Elapsed, 3723);
  assert.equal(s.Accepted, 120);
  assert.equal(s.Rejected, 3);
  assert.equal(s.Stale, 2);
  assert.equal(s['Hardware Errors'], 4);
  assert.equal(s['Remote Failures'], 1);
  assert.equal(s['Local Work'], 12345);
  assert.equal(s['Best Share'], 1234567);
  assert.equal(s['Pool Rejected%'], 2.4); // 3 / (120+3+2) of difficulty 4096 each
  assert.equal(s['Pool Stale%'], 1.6);
  assert.equal(s['Difficulty Accepted'], 120 * 4096);
  for (const [k, v] of Object.entries(s)) assert.equal(typeof v, 'number', `${k} is a number`);
});

// api.c poolstatus() fields (4.11); pyasic reads URL, User, Accepted, Rejected, Get Failures,
// Remote Failures, Stratum Active, Status, POOL.
const POOL_FIELDS = [
  'POOL',
  'URL',
  'Status',
  'Priority',
  'Quota',
  'Long Poll',
  'Getworks',
  'Accepted',
  'Rejected',
  'Works',
  'Discarded',
  'Stale',
  'Get Failures',
  'Remote Failures',
  'User',
  'Last Share Time',
  'Diff1 Shares',
  'Proxy Type',
  'Proxy',
  'Difficulty Accepted',
  'Difficulty Rejected',
  'Difficulty Stale',
  'Last Share Difficulty',
  'Work Difficulty',
  'Has Stratum',
  'Stratum Active',
  'Stratum URL',
  'Stratum Difficulty',
  'Has Vmask',
  'Has GBT',
  'Best Share',
  'Pool Rejected%',
  'Pool Stale%',
  'Bad Work',
  'Current Block Height',
];

test('pools: one entry per pool, cgminer fields, Alive/Dead, the active one has Stratum Active', async () => {
  const r = await json('pools');
  assert.deepEqual(status(r), { STATUS: 'S', When: 1_700_000_000, Code: 7, Msg: '2 Pool(s)', Description: 'asic-agent 0.1.0' });
  const pools = r.POOLS as Obj[];
  assert.equal(pools.length, 2);
  for (const p of pools) assert.deepEqual(Object.keys(p), POOL_FIELDS);
  const [main, backup] = pools as [Obj, Obj];
  assert.equal(main.POOL, 0);
  assert.equal(main.Status, 'Alive');
  assert.equal(main['Stratum Active'], true);
  assert.equal(main['Stratum URL'], 'pool.example:3336');
  assert.equal(main['Stratum Difficulty'], 4096);
  assert.equal(main.User, 'bc1qminer.rig1');
  assert.equal(main.Accepted, 115);
  assert.equal(main['Has Vmask'], true);
  assert.equal(backup.POOL, 1);
  assert.equal(backup.Status, 'Dead');
  assert.equal(backup['Stratum Active'], false);
  assert.equal(backup['Stratum URL'], '');
  assert.equal(backup['Get Failures'], 4);
  assert.equal(backup['Remote Failures'], 1);
  assert.equal(backup.User, 'rig1,"quoted"|odd=user\\x');
});

const DEV_FIELDS = [
  'ASC',
  'Name',
  'ID',
  'Enabled',
  'Status',
  'Temperature',
  'MHS av',
  'MHS 5s',
  'MHS 1m',
  'MHS 5m',
  'MHS 15m',
  'Accepted',
  'Rejected',
  'Hardware Errors',
  'Utility',
  'Last Share Pool',
  'Last Share Time',
  'Total MH',
  'Diff1 Work',
  'Difficulty Accepted',
  'Difficulty Rejected',
  'Last Share Difficulty',
  'Last Valid Work',
  'Device Hardware%',
  'Device Rejected%',
  'Device Elapsed',
];

test('devs and edevs: one ASC per chain, api.c ascstatus() fields; edevs leaves out dead chains', async () => {
  const r = await json('devs');
  assert.deepEqual(status(r), { STATUS: 'S', When: 1_700_000_000, Code: 9, Msg: '2 ASC(s)', Description: 'asic-agent 0.1.0' });
  const devs = r.DEVS as Obj[];
  assert.equal(devs.length, 2);
  for (const d of devs) assert.deepEqual(Object.keys(d), DEV_FIELDS);
  assert.equal(devs[1]?.Status, 'Alive');
  assert.equal(devs[1]?.Temperature, 62.5);
  assert.equal(devs[1]?.['MHS 1m'], 1.5e12 / 1e6);
  const snap = (): AgentSnapshot => {
    const s = sampleSnapshot();
    (s.chains[1] as { state: string }).state = 'dead';
    return s;
  };
  const e = (await json('edevs', snap)).DEVS as Obj[];
  assert.equal(e.length, 1);
  assert.equal(e[0]?.ID, 0);
  const d = (await json('devs', snap)).DEVS as Obj[];
  assert.equal(d[1]?.Status, 'Dead');
});

test('version and devdetails name asic-agent and nothing pyasic takes for another firmware', async () => {
  const v = await json('version');
  assert.equal(status(v).Code, 22);
  assert.equal(status(v).Description, 'asic-agent 0.1.0');
  // CGMiner and CompileTime are where pyasic's cgminer and bmminer backends read the software version
  // (pyasic @ e2b9d357, pyasic/miners/backends/cgminer.py:110, bmminer.py:112): they name asic-agent.
  assert.deepEqual(first(v, 'VERSION'), {
    'asic-agent': '0.1.0',
    API: '3.7',
    Firmware: 'asic-agent',
    Model: 'sim-bm1366-2x4',
    CGMiner: 'asic-agent 0.1.0',
    CompileTime: 'asic-agent 0.1.0',
    Type: 'sim-bm1366-2x4',
  });
  const d = await json('devdetails');
  assert.equal(status(d).Code, 69);
  assert.deepEqual(first(d, 'DEVDETAILS'), {
    DEVDETAILS: 0,
    Name: 'BM1366',
    ID: 0,
    Driver: 'asic-agent',
    Kernel: '',
    Model: 'sim-bm1366-2x4',
    'Device Path': '/dev/ttyS1',
  });
  // pyasic factory._parse_socket_type tokens (docs/api.md "pyasic and Home Assistant").
  const tokens = [
    'BOSMINER',
    'BOSER',
    'BTMINER',
    'BITMICRO',
    'LUXMINER',
    'HIVEON',
    'KAONSU',
    'RWGLR',
    'ANTMINER',
    'INTCHAINS_QOMO',
    'KDAMINER',
    'BFGMINER',
    'INNOMINER',
    'AVALON',
    'GCMINER',
    'FLUXOS',
    'VNISH',
    'BMMINER',
    'CGMINER 4',
  ];
  for (const reply of [v, d]) {
    const up = JSON.stringify(reply).toUpperCase();
    for (const t of tokens) assert.ok(!up.includes(t), `no ${t}`);
    assert.ok(up.includes('ASIC-AGENT'));
  }
});

test('config, coin, stats, asccount, pgacount', async () => {
  const c = first(await json('config'), 'CONFIG');
  assert.deepEqual(c, {
    'ASC Count': 2,
    'PGA Count': 0,
    'Pool Count': 2,
    Strategy: 'Failover',
    'Log Interval': 5,
    'Device Code': 'BM1366 ',
    OS: process.platform === 'linux' ? 'Linux' : c.OS,
    Hotplug: 'None',
  });
  const coin = await json('coin');
  assert.equal(status(coin).Code, 78);
  assert.deepEqual(first(coin, 'COIN'), {
    'Hash Method': 'sha256',
    'Current Block Time': 1_700_000_800,
    'Current Block Hash': '00000000000000000002a7c4c1e48d76c5a37902165a270156b7a8d72728a054',
    LP: false,
    'Network Difficulty': 6.2e13,
  });
  const st = await json('stats');
  assert.equal(status(st).Code, 70);
  const items = st.STATS as Obj[];
  assert.equal(items.length, 4);
  assert.equal(items[0]?.ID, 'asic-agent');
  assert.equal(items[0]?.fan1, 3120);
  assert.equal(items[0]?.temp_name3, 'board');
  // pyasic's cgminer backend reads STATS[1].Elapsed for uptime; STATS[1] is the bmminer-style entry.
  assert.equal(items[1]?.Elapsed, 3723);
  assert.equal(items[1]?.ID, 'MINER');
  assert.equal(items[1]?.chain_acn2, 3);
  assert.equal(items[1]?.chain_acs2, 'ooxo');
  assert.equal(items[1]?.temp1, 62);
  assert.equal(items[2]?.ID, 'CHAIN0');
  assert.equal(items[3]?.chain_acs, 'ooxo');
  assert.equal(items[3]?.chain_alive, 3);
  assert.deepEqual(first(await json('asccount'), 'ASCS'), { Count: 2 });
  assert.deepEqual(first(await json('pgacount'), 'PGAS'), { Count: 0 });
});

test('empty agent: No pools (8) and No ASCs (10) errors, like cgminer with nothing configured', async () => {
  const empty = (): AgentSnapshot => ({ ...sampleSnapshot(), pools: [], chains: [] });
  assert.deepEqual(status(await json('pools', empty)), { STATUS: 'E', When: 1_700_000_000, Code: 8, Msg: 'No pools', Description: 'asic-agent 0.1.0' });
  assert.equal(status(await json('devs', empty)).Code, 10);
  assert.equal(status(await json('devdetails', empty)).Code, 10);
});

test('no read reply holds a pool password or the API token, in JSON or text', async () => {
  // The sample snapshot's config holds both; no cgminer reply may carry them.
  const d = dispatcher();
  for (const cmd of ['summary', 'pools', 'devs', 'edevs', 'stats', 'estats', 'devdetails', 'config', 'coin', 'version', 'summary+pools+devs+stats+config']) {
    for (const req of [JSON.stringify({ command: cmd }), cmd]) {
      const r = await d.handle(req, '127.0.0.1');
      assert.ok(!r.text.includes(POOL_PASSWORD), `${req}: no password`);
      assert.ok(!r.text.includes('inline-secret'), `${req}: no URL password`);
      assert.ok(!r.text.includes(API_TOKEN), `${req}: no token`);
    }
  }
});

test('text replies escape user-supplied strings (api.c escape_string)', async () => {
  const r = await dispatcher().handle('pools', '127.0.0.1');
  assert.equal(r.json, false);
  assert.ok(r.text.includes('User=rig1\\,"quoted"\\|odd\\=user\\\\x,'), r.text);
  assert.ok(r.text.startsWith('STATUS=S,When=1700000000,Code=7,Msg=2 Pool(s),Description=asic-agent 0.1.0|POOL=0,URL=stratum2+tcp://pool.example:3336/'));
});

test('a snapshot provider that throws gives STATUS F, not a dropped connection', async () => {
  const d = dispatcher(() => {
    throw new Error('agent not ready');
  });
  const r = JSON.parse((await d.handle('{"command":"summary"}', '127.0.0.1')).text) as Obj;
  assert.deepEqual(status(r), { STATUS: 'F', When: 1_700_000_000, Code: -1, Msg: 'Internal error', Description: 'asic-agent 0.1.0' });
  assert.equal(d.counters.failures, 1);
});
