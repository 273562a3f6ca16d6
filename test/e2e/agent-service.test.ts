// The real agent process as systemd runs it, with systemd's side played by the test: a NOTIFY_SOCKET
// bound here (READY=1 once the board is up, WATCHDOG=1 from the event loop, RELOADING=1 / READY=1 around
// a reload, STOPPING=1), a watchdog that sends SIGABRT when the pings stop, TimeoutStopSec= from the unit
// `asic-agent unit` renders for the config, with SIGKILL when it runs out, and JOURNAL_STREAM naming the
// agent's stdout (journald's priority prefixes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sv2Pool } from '../../workshop/lab/sv2-pool.js';
import { BIN, ROOT, startAgentProcess, type AgentProcess, type LogRecord } from '../helpers/agent-process.js';
import { startNotifySocket } from '../helpers/notify-socket.js';
import { TOOLS, toolTest } from '../helpers/system-tool.js';
import type { SimSnapshot } from '../../workshop/sim/sim-recorder.js';

const NOTIFY_TOOLS = [TOOLS.systemdNotify, TOOLS.systemdSocketActivate];
const HANG_GUARD = { timeout: 240_000 };

function config(o: { pool?: string; exitCoolS?: number; cool?: number; extra?: string } = {}): string {
  return [
    'version = 1',
    '[board]',
    'config = "sim-bm1370"',
    '[temperature]',
    // A low target and cool point: the simulated board is warmer than `cool` within seconds of power-up.
    'target = 35',
    'hot = 45',
    `cool = ${o.cool ?? 28}`,
    '[fans]',
    `exit_cool_timeout_s = ${o.exitCoolS ?? 5}`,
    '[log]',
    'status_interval_s = 1',
    '[api.cgminer]',
    'port = 0',
    '[api.http]',
    'port = 0',
    ...(o.pool ? ['[[pool]]', 'name = "lab"', `url = ${JSON.stringify(o.pool)}`, 'user = "e2e.worker"'] : []),
    o.extra ?? '',
    '',
  ].join('\n');
}

/** TimeoutStopSec= of the unit rendered for `file`, as the installer would write it. */
function unitStopTimeoutS(file: string): number {
  const r = spawnSync(process.execPath, [BIN, 'unit', '--config', file, '--node', process.execPath], {
    encoding: 'utf8',
    cwd: ROOT,
    env: { ...process.env, ASIC_AGENT_FROM_SOURCE: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  const m = /^TimeoutStopSec=(\d+)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  return Number(m[1]);
}

/** systemd's side of a stop: SIGTERM, then SIGKILL if the process is still there after TimeoutStopSec. */
async function stopLikeSystemd(a: AgentProcess, timeoutS: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  a.child.kill('SIGTERM');
  const kill = setTimeout(() => a.child.kill('SIGKILL'), timeoutS * 1000);
  const end = await a.exited;
  clearTimeout(kill);
  return end;
}

const maxTemp = (r: LogRecord): number => Math.max(...Object.values((r.temps_c ?? {}) as Record<string, number | null>).map((t) => t ?? -Infinity));

toolTest(
  'under systemd: READY=1 once mining, WATCHDOG=1 pings, a broken config on reload is refused and mining goes on, STOPPING=1',
  NOTIFY_TOOLS,
  HANG_GUARD,
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-notify-'));
    const pool = new Sv2Pool({ port: 0, difficulty: 2e5 / 2 ** 32, prevHashIntervalSeconds: 0, ackFlushMs: 300 });
    const { url } = await pool.start();
    const sock = await startNotifySocket(dir);
    const cfg = join(dir, 'agent.toml');
    writeFileSync(cfg, config({ pool: url }));
    const agent = startAgentProcess(['run', '--config', cfg], { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: '2000000' });
    try {
      const ready = await sock.waitFor((m) => m.fields.READY === '1', 'READY=1');
      assert.match(ready.fields.STATUS ?? '', /board sim-bm1370 powered/);
      assert.ok(agent.records.some((r) => r.msg === 'running') || (await agent.waitFor((r) => r.msg === 'running', 'running')));
      await sock.waitFor((m) => m.fields.WATCHDOG === '1' && sock.messages.filter((x) => x.fields.WATCHDOG === '1').length >= 3, 'three WATCHDOG=1');
      const before = await agent.waitFor((r) => r.msg === 'status' && Number(r.accepted) > 1, 'shares accepted');

      // A typo, then `systemctl reload` (SIGHUP): refused with its errors at warning priority, nothing stops.
      writeFileSync(cfg, config({ pool: url }).replace('exit_cool_timeout_s = 5', 'exit_cool_timeout_s = "soon"'));
      const n = sock.messages.length;
      agent.child.kill('SIGHUP');
      const refused = await agent.waitFor((r) => typeof r.msg === 'string' && r.msg.includes('new config is refused'), 'the refusal');
      assert.equal(refused.level, 40);
      assert.deepEqual(refused.errors, [`${cfg}:9: fans.exit_cool_timeout_s: expected a number from 0 to 3600 s, got the string "soon"`]);
      const reloading = await sock.waitFor((m) => sock.messages.indexOf(m) >= n && m.fields.RELOADING === '1', 'RELOADING=1');
      assert.match(reloading.fields.MONOTONIC_USEC ?? '', /^\d+$/);
      const back = await sock.waitFor((m) => sock.messages.indexOf(m) > sock.messages.indexOf(reloading) && m.fields.READY === '1', 'READY=1 after the reload');
      assert.match(back.fields.STATUS ?? '', /new config refused \(1 error\); running on the previous one/);
      // Mining goes on with the old config: more shares accepted after the refusal, no safe state.
      await agent.waitFor(
        (r) => r.msg === 'status' && agent.records.indexOf(r) > agent.records.indexOf(refused) && Number(r.accepted) > Number(before.accepted) + 2,
        'shares after the refusal',
      );
      assert.ok(!agent.records.some((r) => r.msg === 'safe-state'));
      assert.equal(agent.child.exitCode, null);

      const end = await stopLikeSystemd(agent, unitStopTimeoutS(join(ROOT, 'config.example.toml')));
      assert.deepEqual(end, { code: 0, signal: null });
      const stopping = sock.messages.find((m) => m.fields.STOPPING === '1');
      assert.ok(stopping, JSON.stringify(sock.messages.map((m) => m.fields)));
    } finally {
      await agent.stop('SIGKILL');
      sock.close();
      await pool.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

toolTest(
  'a stalled event loop stops the WATCHDOG=1 pings; the watchdog SIGABRT ends the process, with the board left as the stall found it',
  NOTIFY_TOOLS,
  HANG_GUARD,
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-watchdog-'));
    const sock = await startNotifySocket(dir);
    const cfg = join(dir, 'agent.toml');
    const record = join(dir, 'sim.jsonl');
    writeFileSync(cfg, config());
    const watchdogS = 6;
    const agent = startAgentProcess(['run', '--config', cfg, '--sim-record', record, '--sim-fault', 'event-loop-stall@8'], {
      NOTIFY_SOCKET: sock.path,
      WATCHDOG_USEC: String(watchdogS * 1e6),
    });
    try {
      await sock.waitFor((m) => m.fields.READY === '1', 'READY=1');
      // systemd's watchdog: re-armed by every WATCHDOG=1, SIGABRT (WatchdogSignal's default) when it runs out.
      let fired = false;
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          fired = true;
          agent.child.kill('SIGABRT');
        }, watchdogS * 1000);
      };
      arm();
      const seen = new Set<unknown>();
      const poll = setInterval(() => {
        for (const m of sock.messages) {
          if (m.fields.WATCHDOG === '1' && !seen.has(m)) {
            seen.add(m);
            arm();
          }
        }
      }, 50);
      const end = await agent.exited;
      clearInterval(poll);
      clearTimeout(timer);
      assert.ok(fired, 'the watchdog fired');
      assert.equal(end.signal, 'SIGABRT');
      assert.ok(seen.size >= 2, `${seen.size} pings before the stall`);
      const snaps = readFileSync(record, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as SimSnapshot);
      const last = snaps.at(-1) as SimSnapshot;
      assert.equal(last.event, 'fault:event-loop-stall', 'nothing ran after the stall');
      // No code of the stalled process can run: the board is still powered when it dies. This is why the
      // unit has ExecStopPost=asic-agent safe-state (test/unit/board/safe-state-now.test.ts).
      assert.equal(last.regulatorOutputOn, true);
      assert.equal(
        agent.records.some((r) => r.msg === 'safe-state'),
        false,
      );
    } finally {
      await agent.stop('SIGKILL');
      sock.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('stopping a warm board: safe state first, the cool-down, exit 0 within the unit TimeoutStopSec; a second SIGTERM only ends the cool-down', {
  concurrency: 2,
}, async (t) => {
  await Promise.all([
    t.test('one SIGTERM, a 6 s cool-down that the board does not finish', HANG_GUARD, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-stop-'));
      const cfg = join(dir, 'agent.toml');
      writeFileSync(cfg, config({ exitCoolS: 6 }));
      const timeoutS = unitStopTimeoutS(cfg);
      assert.equal(timeoutS, 36);
      const agent = startAgentProcess(['run', '--config', cfg], { ASIC_AGENT_STOP_TIMEOUT_S: String(timeoutS) });
      try {
        await agent.waitFor((r) => r.msg === 'status' && maxTemp(r) > 30, 'the board above its cool point (28 °C)');
        const end = await stopLikeSystemd(agent, timeoutS);
        assert.deepEqual(end, { code: 0, signal: null }, 'exited by itself, not killed');
        const safe = agent.records.findIndex((r) => r.msg === 'safe-state');
        const closed = agent.records.findIndex((r) => r.msg === 'board closed, fans left at the safe duty');
        assert.ok(safe >= 0 && closed > safe, 'the safe state, then the cool-down ran out with the board still warm');
        assert.equal(agent.records[safe]?.reason, 'sigterm');
      } finally {
        await agent.stop('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    t.test('a second SIGTERM after the safe state skips a 10 min cool-down and exits 0', HANG_GUARD, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-stop2-'));
      const cfg = join(dir, 'agent.toml');
      writeFileSync(cfg, config({ exitCoolS: 600 }));
      const timeoutS = unitStopTimeoutS(cfg);
      const agent = startAgentProcess(['run', '--config', cfg], { ASIC_AGENT_STOP_TIMEOUT_S: String(timeoutS) });
      try {
        await agent.waitFor((r) => r.msg === 'status' && maxTemp(r) > 30, 'the board above its cool point (28 °C)');
        agent.child.kill('SIGTERM');
        await agent.waitFor((r) => r.msg === 'safe-state', 'safe-state');
        agent.child.kill('SIGTERM');
        const end = await agent.exited;
        assert.deepEqual(end, { code: 0, signal: null });
        assert.ok(agent.records.some((r) => r.msg === 'cool-down skipped'));
      } finally {
        await agent.stop('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    }),
  ]);
});

test('with stdout on the journal (JOURNAL_STREAM), each record carries its syslog priority; elsewhere plain JSON', HANG_GUARD, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-journal-'));
  try {
    const cfg = join(dir, 'agent.toml');
    // No pool: the agent warns that the chains will have no work (warning priority), and logs info records.
    writeFileSync(cfg, config());
    const out = join(dir, 'stdout');
    const fd = openSync(out, 'w');
    const st = statSync(out);
    const env: NodeJS.ProcessEnv = { ...process.env, ASIC_AGENT_LOG_FORMAT: 'json', ASIC_AGENT_FROM_SOURCE: '1', JOURNAL_STREAM: `${st.dev}:${st.ino}` };
    delete env.ASIC_AGENT_LOG_LEVEL;
    const child = spawn(process.execPath, [BIN, 'run', '--config', cfg], { cwd: ROOT, env, stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Wait for the board to run (read from the file as it grows), then stop.
    for (;;) {
      if (readFileSync(out, 'utf8').includes('"msg":"running"')) break;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    for (const l of lines) {
      const m = /^<(\d)>(\{.*\})$/.exec(l);
      assert.ok(m, `no priority prefix: ${l}`);
      const level = (JSON.parse(m[2] as string) as { level: number }).level;
      const want = level >= 60 ? 2 : level >= 50 ? 3 : level >= 40 ? 4 : level >= 30 ? 6 : 7;
      assert.equal(Number(m[1]), want, l);
    }
    assert.ok(
      lines.some((l) => l.startsWith('<4>') && l.includes('no pools configured')),
      'the warning has priority 4',
    );
    assert.ok(
      lines.some((l) => l.startsWith('<6>') && l.includes('"msg":"running"')),
      'info has priority 6',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
