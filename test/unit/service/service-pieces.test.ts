// The pure parts of running under systemd: syslog priorities for journald, the watchdog period, the stop
// timeout agreed with the unit, the unit's devices, the first-install placeholders, the upgrade's health
// verdict.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isJournalStream, syslogPrefixed, syslogPriority } from '../../../src/service/journal-priority.js';
import { serviceNotifier, watchdogPeriodMs } from '../../../src/service/service-notifier.js';
import { fitStopToUnit, shutdownDeadlineMs, unitStopTimeoutS } from '../../../src/service/stop-timeout.js';
import { deviceAllowFor, renderUnit } from '../../../src/service/systemd-unit.js';
import { miningProblem } from '../../../src/service/health-check.js';
import { parseToml } from '../../../src/config/toml-file.js';
import { rejectPlaceholders } from '../../../src/config/placeholders.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadRunConfig } from '../../../src/config/run-config.js';
import { unitNode } from '../../../src/service/upgrade.js';
import type { StatusView } from '../../../src/api/http-views.js';
import { simRunConfig } from '../../helpers/sim-board.js';

const repo = new URL('../../../', import.meta.url).pathname;

test('pino levels map to syslog priorities; records get their <N> prefix', () => {
  assert.deepEqual([10, 20, 30, 40, 50, 60].map(syslogPriority), [7, 7, 6, 4, 3, 2]);
  const out: string[] = [];
  const s = syslogPrefixed({ write: (l: string) => void out.push(l) });
  s.write('{"level":40,"msg":"w"}\n');
  s.write('{"level":30,"msg":"i"}\n');
  s.write('not json\n');
  assert.deepEqual(out, ['<4>{"level":40,"msg":"w"}\n', '<6>{"level":30,"msg":"i"}\n', 'not json\n']);
});

test('JOURNAL_STREAM counts only for the stream it names', () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-journal-'));
  try {
    const a = openSync(join(dir, 'a'), 'w');
    const b = openSync(join(dir, 'b'), 'w');
    const st = statSync(join(dir, 'a'));
    const env = { JOURNAL_STREAM: `${st.dev}:${st.ino}` };
    assert.equal(isJournalStream(env, a), true);
    assert.equal(isJournalStream(env, b), false, 'inherited by a process whose stdout is elsewhere');
    assert.equal(isJournalStream({}, a), false);
    assert.equal(isJournalStream({ JOURNAL_STREAM: 'garbage' }, a), false);
    closeSync(a);
    closeSync(b);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the watchdog applies to the PID systemd named, and nothing is sent outside systemd', () => {
  assert.equal(watchdogPeriodMs({ WATCHDOG_USEC: '10000000' }, 42), 10_000);
  assert.equal(watchdogPeriodMs({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: '42' }, 42), 10_000);
  assert.equal(watchdogPeriodMs({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: '7' }, 42), undefined, "a child with its parent's environment");
  assert.equal(watchdogPeriodMs({}, 42), undefined);
  const n = serviceNotifier({ env: {}, command: '/nonexistent' });
  assert.equal(n.active, false);
  assert.equal(n.watchdogMs, undefined);
  n.ready('x');
  n.startWatchdog();
  n.stopWatchdog();
});

test('notifications reach systemd in the order sent, even when a sender is slow', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-notify-'));
  try {
    // A stand-in for systemd-notify that records its arguments, slowly for RELOADING=1 (a loaded
    // machine), so that a sender started later would overtake it.
    const log = join(dir, 'log');
    const fake = join(dir, 'notify');
    writeFileSync(fake, `#!/bin/sh\ncase "$*" in *RELOADING*) sleep 0.3;; esac\necho "$*" >> ${log}\n`);
    chmodSync(fake, 0o755);
    const n = serviceNotifier({ env: { NOTIFY_SOCKET: join(dir, 'sock') }, command: fake });
    assert.equal(n.active, true);
    n.reloading();
    n.ready('new config refused (1 error); running on the previous one');
    n.stopping('stopping');
    await n.flush();
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0] ?? '', /^RELOADING=1 MONOTONIC_USEC=\d+ --status=reloading the config$/);
    assert.match(lines[1] ?? '', /^--ready --status=new config refused/);
    assert.match(lines[2] ?? '', /^STOPPING=1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the stop timeout: the agent deadline inside the unit TimeoutStopSec; a longer cool-down is cut to fit', () => {
  assert.equal(unitStopTimeoutS(60), 90);
  assert.ok(shutdownDeadlineMs(60) < unitStopTimeoutS(60) * 1000);
  const cfg = simRunConfig((c) => ({ ...c, fans: { ...c.fans, exitCoolTimeoutS: 600 } }));
  assert.equal(fitStopToUnit(cfg, undefined).fans.exitCoolTimeoutS, 600, 'not under systemd: unchanged');
  assert.equal(fitStopToUnit(cfg, 630).fans.exitCoolTimeoutS, 600, 'the unit was written for it');
  const cut = fitStopToUnit(cfg, 90);
  assert.equal(cut.fans.exitCoolTimeoutS, 60);
  assert.ok(shutdownDeadlineMs(cut.fans.exitCoolTimeoutS) < 90_000);
});

test('the unit: devices per board, placeholders filled, no placeholder left', () => {
  const real = loadRunConfig(join(repo, 'board-configs/bitaxe-gamma-pi.example.toml'));
  assert.deepEqual(deviceAllowFor(real.board), ['/dev/ttyAMA0 rw', '/dev/i2c-1 rw', 'char-gpiochip rw']);
  assert.deepEqual(deviceAllowFor(simRunConfig().board), ['/dev/ptmx rw', 'char-pts rw']);
  const unit = renderUnit({ node: '/usr/local/bin/node', prefix: '/opt/asic-agent', config: '/etc/asic-agent/config.toml', exitCoolTimeoutS: 30, devices: [] });
  assert.doesNotMatch(unit, /@[A-Z_]+@/);
  assert.match(
    unit,
    /^ExecStart=\/usr\/local\/bin\/node --max-semi-space-size=1 \/opt\/asic-agent\/current\/bin\/asic-agent\.js run --config \/etc\/asic-agent\/config\.toml$/m,
  );
  assert.match(unit, /^TimeoutStopSec=60$/m);
  assert.match(unit, /^# DeviceAllow: none yet/m);
  assert.equal(unitNode(unit), '/usr/local/bin/node');
  assert.throws(() => renderUnit({ node: '/n', prefix: '/p', config: '/c', exitCoolTimeoutS: 1, devices: [] }, 'X=@NOPE@'), /unknown placeholder @NOPE@/);
});

test('a first-install config names every value still to fill in, with its line', () => {
  const doc = parseToml('version = 1\n[board]\nconfig = "FILL IN: your board"\n[[pool]]\nurl = "FILL IN"\nuser = "me"\n', 'c.toml');
  assert.throws(
    () => rejectPlaceholders(doc),
    (err: unknown) =>
      err instanceof ConfigError && err.message === 'c.toml:3: board.config: not filled in yet: your board\nc.toml:5: pool[0].url: not filled in yet',
  );
  rejectPlaceholders(parseToml('version = 1\n[board]\nconfig = "sim-bm1370"\n', 'ok.toml'));
});

test('the upgrade health verdict', () => {
  const ok = {
    firmware: { name: 'asic-agent', version: '1.2.3' },
    board: { model: 'x', state: 'running' },
    chains: [{ id: 0, state: 'running' }],
    validNonces: 5,
    pool: { id: 'p', status: 'alive' },
  } as unknown as StatusView;
  assert.equal(miningProblem(ok, '1.2.3'), undefined);
  assert.match(miningProblem(ok, '1.2.4') ?? '', /version 1\.2\.3, not 1\.2\.4/);
  assert.match(miningProblem({ ...ok, board: { model: 'x', state: 'safe-state', reason: 'overheat' } }, '1.2.3') ?? '', /safe-state \(overheat\)/);
  assert.match(miningProblem({ ...ok, chains: [{ id: 0, state: 'dead' }] } as unknown as StatusView, '1.2.3') ?? '', /no chain is running/);
  assert.match(miningProblem({ ...ok, validNonces: 0 }, '1.2.3') ?? '', /no verified nonce/);
  assert.match(miningProblem({ ...ok, pool: null }, '1.2.3') ?? '', /no pool in use/);
  assert.match(miningProblem({ ...ok, pool: { id: 'p', status: 'dead' } } as unknown as StatusView, '1.2.3') ?? '', /is dead/);
});
