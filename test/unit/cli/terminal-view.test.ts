// The terminal rendering of the agent's log records (src/terminal-view.ts): one status line with units,
// a banner, one line per event a miner acts on, warnings as single lines, the rest silent at `info`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bannerLines, formatHashrate, renderRecord, statusLine, terminalView } from '../../../src/terminal-view.js';

const status = {
  level: 30,
  time: Date.UTC(2026, 0, 1, 12, 0, 0),
  msg: 'status',
  hashrate_hs: 1.234e14,
  nominal_hs: 1.25e14,
  accepted: 12,
  rejected: 1,
  stale: 2,
  lost: 0,
  hw_errors: 3,
  pool: 'braiins',
  pool_protocol: 'sv2',
  temps_c: { asic: 61.25, vr: 72.04, board: null },
  fans_pct: { fan0: 40, fan1: 45 },
  board: 'running',
};

test('hashrates carry units from H/s to EH/s', () => {
  assert.equal(formatHashrate(0), '0 H/s');
  assert.equal(formatHashrate(999), '999 H/s');
  assert.equal(formatHashrate(400_000), '400 kH/s');
  assert.equal(formatHashrate(1.5e9), '1.50 GH/s');
  assert.equal(formatHashrate(1.234e14), '123 TH/s');
  assert.equal(formatHashrate(9.99e16), '99.9 PH/s');
  assert.equal(formatHashrate(2e18), '2.00 EH/s');
  assert.equal(formatHashrate(Number.NaN), '0 H/s');
});

test('the status line: hashrate and nominal, shares, HW errors, pool and protocol, hottest sensor, fans', () => {
  const line = statusLine(status);
  assert.equal(
    line,
    '123 TH/s (1 min; nominal 125 TH/s) · shares 12 accepted, 1 rejected, 2 stale · HW errors 3 · pool braiins (Stratum V2) · hottest vr 72.0 °C · fans 40–45 %',
  );
  assert.match(statusLine({ ...status, pool: null, pool_protocol: null }), / · no pool · /);
  assert.match(statusLine({ ...status, temps_c: { asic: null } }), /no temperature reading/);
  assert.match(statusLine({ ...status, lost: 4 }), /2 stale, 4 lost/);
  assert.match(statusLine({ ...status, board: 'safe:overheat' }), /^board safe \(overheat\) · /);
  assert.match(statusLine({ ...status, fans_pct: { fan0: 100 } }), / · fan 100 %$/);
});

test('the banner names the board, the pools, the API addresses and how to look and stop', () => {
  const lines = bannerLines({
    firmware: 'asic-agent 0.1.0',
    board: 'sim-bm1370',
    simulated: true,
    chains: 2,
    chips: '4 BM1370',
    pools: ['lab  stratum2+tcp://127.0.0.1:3336 (Stratum V2, extended channel)'],
    api: { cgminer: '127.0.0.1:4028', http: '127.0.0.1:4029' },
    config: '/etc/asic-agent/config.toml',
  });
  const text = lines.join('\n');
  assert.match(text, /asic-agent 0\.1\.0 — simulated board sim-bm1370: 2 chains × 4 BM1370/);
  assert.match(text, /pool {6}lab {2}stratum2\+tcp:\/\/127\.0\.0\.1:3336 \(Stratum V2, extended channel\)/);
  assert.match(text, /asic-agent status --url http:\/\/127\.0\.0\.1:4029/);
  assert.match(text, /http:\/\/127\.0\.0\.1:4029\/metrics/);
  assert.match(text, /cgminer {3}127\.0\.0\.1:4028/);
  assert.match(text, /Ctrl-C again skips the cool-down/);
  assert.match(bannerLines({ board: 'b', chains: 1, api: { cgminer: null, http: null } }).join('\n'), /APIs {6}off/);
});

test('records: status and banner rendered, events as lines, warnings with their fields, routine info silent', () => {
  const o = { level: 'info' as const, color: false };
  assert.equal(renderRecord(status, o).length, 1);
  assert.match(
    renderRecord({ level: 30, msg: 'starting', board: 'b', chains: 1, api: { cgminer: null, http: '127.0.0.1:1' } }, o).join('\n'),
    /status {4}asic-agent status/,
  );
  assert.match(renderRecord({ level: 30, msg: 'pool switch', pool: 'b', from: 'a' }, o)[0] ?? '', /mining on pool b \(was a\)/);
  assert.match(
    renderRecord({ level: 30, msg: 'cooling down', controlC: 61.24, coolC: 45, timeoutS: 60, fanDutyPct: 100 }, o)[0] ?? '',
    /cool to 45 °C \(now 61\.2 °C, at most 60 s\).*Ctrl-C again to skip/,
  );
  const warn =
    renderRecord({ level: 40, module: 'pools', msg: 'pool failed', pool: 'a', reason: 'connect-failed', detail: 'ECONNREFUSED', extra: 'x' }, o)[0] ?? '';
  assert.match(warn, /WARN pools: pool failed \(pool=a, reason=connect-failed, detail=ECONNREFUSED\)$/);
  assert.match(renderRecord({ level: 50, module: 'x', msg: 'boom' }, { ...o, color: true })[0] ?? '', /^\u001b\[31m.*ERROR x: boom/);
  assert.deepEqual(renderRecord({ level: 30, module: 'sv2.client', msg: 'noise handshake complete' }, o), []);
  assert.equal(renderRecord({ level: 30, module: 'sv2.client', msg: 'noise handshake complete' }, { ...o, level: 'debug' }).length, 1);
  // The command line prints its own human line for a failed start: not repeated.
  assert.deepEqual(renderRecord({ level: 60, module: 'run', msg: 'cannot start', err: 'x' }, o), []);
  // The lab pool's own address record is shown once, from the demo.
  assert.deepEqual(renderRecord({ level: 30, module: 'lab.sv2-pool', msg: 'lab SV2 pool listening', url: 'u' }, o), []);
  assert.equal(renderRecord({ level: 30, module: 'demo', msg: 'lab SV2 pool listening', url: 'u' }, o).length, 1);
  // A message named like an Object property is routine info, not an event found on the prototype.
  for (const msg of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) assert.deepEqual(renderRecord({ level: 30, module: 'x', msg }, o), [], msg);
});

test('the destination stream renders JSON lines and passes anything else through', () => {
  const out: string[] = [];
  const s = terminalView({ level: 'info', color: false, write: (t) => out.push(t) });
  s.write(`${JSON.stringify(status)}\n`);
  s.write('not json\n');
  s.write(`${JSON.stringify({ level: 30, msg: 'routine' })}\n`);
  s.write('[1,2]\n');
  assert.equal(out.length, 3);
  assert.match(out[0] ?? '', /^\d\d:\d\d:\d\d {2}123 TH\/s/);
  assert.equal(out[1], 'not json\n');
  assert.equal(out[2], '[1,2]\n');
});
