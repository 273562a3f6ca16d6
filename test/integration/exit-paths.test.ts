/**
 * The real agent process (`asic-agent run` on the simulated sim-bm1370 board), ended every way a
 * process can end. The simulator appends the hardware state to a file synchronously on every change, so
 * after the process is gone the file proves the safe state was reached before it exited: regulator off,
 * power-enable off, both chains held in reset. No timing assertions: only order and final state.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { SimSnapshot } from '../../workshop/sim/sim-recorder.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'asic-agent.js');
const SIM_BOARD = join(ROOT, 'board-configs', 'sim-bm1370.toml');

type LogRecord = Record<string, unknown> & { msg?: string };

interface Agent {
  child: ChildProcess;
  records: LogRecord[];
  dir: string;
  recordFile: string;
  configFile: string;
  waitFor(pred: (r: LogRecord) => boolean, what: string): Promise<LogRecord>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Agents still running when this test process ends (a hang-guard timeout) are killed with it. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function agentConfig(extra = ''): string {
  return [
    'version = 1',
    '[board]',
    `config = ${JSON.stringify(SIM_BOARD)}`,
    '[fans]',
    'stall_timeout_s = 1',
    'exit_cool_timeout_s = 5',
    extra,
    '[log]',
    'level = "info"',
    // Ephemeral API ports: several agents run at once in the suite.
    '[api.cgminer]',
    'port = 0',
    '[api.http]',
    'port = 0',
    '',
  ].join('\n');
}

function startAgent(extraArgs: string[] = [], config = agentConfig()): Agent {
  const dir = mkdtempSync(join(tmpdir(), 'asic-agent-exit-'));
  const recordFile = join(dir, 'sim-record.jsonl');
  const configFile = join(dir, 'agent.toml');
  writeFileSync(configFile, config);
  // No ASIC_AGENT_LOG_LEVEL: the config's [log] level governs, so SIGHUP can change it.
  const env: NodeJS.ProcessEnv = { ...process.env, ASIC_AGENT_LOG_FORMAT: 'json', ASIC_AGENT_FROM_SOURCE: '1' };
  delete env.ASIC_AGENT_LOG_LEVEL;
  const child = spawn(process.execPath, [BIN, 'run', '--config', configFile, '--sim-record', recordFile, ...extraArgs], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const records: LogRecord[] = [];
  const waiters: { pred: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }[] = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    let r: LogRecord;
    try {
      r = JSON.parse(line) as LogRecord;
    } catch {
      return;
    }
    records.push(r);
    for (const w of [...waiters]) {
      if (w.pred(r)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(r);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    records,
    dir,
    recordFile,
    configFile,
    exited,
    waitFor(pred, what) {
      const seen = records.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ pred, resolve });
        void exited.then(() => {
          const r = records.find(pred);
          if (r) resolve(r);
          else reject(new Error(`agent exited before ${what}; stderr:\n${stderr}\nlog:\n${records.map((x) => JSON.stringify(x)).join('\n')}`));
        });
      });
    },
  };
}

function snapshots(file: string): SimSnapshot[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as SimSnapshot);
}

/** The board was really up (power on, chains released) and the last recorded state is the safe state. */
function assertSafeBeforeExit(a: Agent): SimSnapshot {
  const s = snapshots(a.recordFile);
  assert.ok(
    s.some((x) => x.regulatorOutputOn === true && x.resetHeld.every((h) => !h) && x.powerEnabled === true),
    'the board was powered and hashing at some point',
  );
  const last = s.at(-1);
  assert.ok(last);
  assert.equal(last.regulatorCommandedOn, false, 'OPERATION off');
  assert.equal(last.regulatorOutputOn, false, 'regulator output off');
  assert.equal(last.powerEnabled, false, 'power-enable off');
  assert.deepEqual(last.resetHeld, [true, true], 'chains held in reset');
  assert.equal(last.vout, 0);
  return last;
}

/** A failed assertion must not leave the agent running (the test process would wait for it forever). */
function cleanup(a: Agent): void {
  if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
  rmSync(a.dir, { recursive: true, force: true });
}

/** Not a timing assertion: only a guard so a hung agent fails the test instead of hanging the suite. */
const HANG_GUARD = { timeout: 120_000 };

const running = (r: LogRecord): boolean => r.msg === 'running';
const safeState = (r: LogRecord): boolean => r.msg === 'safe-state';

async function endWith(signal: NodeJS.Signals, reason: string): Promise<void> {
  const a = startAgent();
  try {
    await a.waitFor(running, 'running');
    a.child.kill(signal);
    const rec = await a.waitFor(safeState, 'safe-state');
    assert.equal(rec.reason, reason);
    const { code } = await a.exited;
    assert.equal(code, 0);
    assertSafeBeforeExit(a);
    const closed = a.records.find((r) => typeof r.msg === 'string' && r.msg.startsWith('board closed'));
    assert.ok(closed, 'the board closed after the safe state');
    assert.ok(a.records.indexOf(rec) < a.records.indexOf(closed));
  } finally {
    cleanup(a);
  }
}

async function crashWith(fault: string, reason: string): Promise<void> {
  const a = startAgent(['--sim-fault', `${fault}@2`]);
  try {
    await a.waitFor(running, 'running');
    const fatal = await a.waitFor((r) => r.level === 60, 'the fatal log record');
    assert.match(String(fatal.err), /SimInjectedError: injected/);
    const rec = await a.waitFor(safeState, 'safe-state');
    assert.equal(rec.reason, reason);
    const { code } = await a.exited;
    assert.equal(code, 1);
    assertSafeBeforeExit(a);
    const s = snapshots(a.recordFile);
    const faultAt = s.findIndex((x) => x.event === `fault:${fault}`);
    assert.ok(faultAt >= 0 && faultAt < s.length - 1, 'the safe state was recorded after the fault');
  } finally {
    cleanup(a);
  }
}

test('every exit path of the real process ends in the safe state', { concurrency: 3 }, async (t) => {
  await Promise.all([
    t.test('SIGTERM', HANG_GUARD, () => endWith('SIGTERM', 'sigterm')),
    t.test('SIGINT', HANG_GUARD, () => endWith('SIGINT', 'sigint')),
    t.test('uncaught exception', HANG_GUARD, () => crashWith('uncaught-exception', 'uncaught-exception')),
    t.test('unhandled rejection', HANG_GUARD, () => crashWith('unhandled-rejection', 'unhandled-rejection')),
    t.test('SIGHUP with a broken config: refused at warning priority, the board keeps running on the old one', HANG_GUARD, async () => {
      const a = startAgent();
      try {
        await a.waitFor(running, 'running');
        writeFileSync(a.configFile, agentConfig().replace('stall_timeout_s = 1', 'stall_timeout_s = "soon"'));
        a.child.kill('SIGHUP');
        const refused = await a.waitFor((r) => typeof r.msg === 'string' && r.msg.includes('new config is refused'), 'the refusal');
        assert.equal(refused.level, 40);
        assert.match(String((refused.errors as string[])[0]), /agent\.toml:5: fans\.stall_timeout_s: expected a number from 1 to 120 s, got the string "soon"/);
        // Still running on the old config: a later sample, no safe state, no exit.
        await a.waitFor((r) => r.msg === 'status' && a.records.indexOf(r) > a.records.indexOf(refused), 'a status record after the refusal');
        assert.equal(a.records.some(safeState), false);
        assert.equal(a.child.exitCode, null);
        a.child.kill('SIGTERM');
        const rec = await a.waitFor(safeState, 'safe-state');
        assert.equal(rec.reason, 'sigterm');
        assert.equal((await a.exited).code, 0);
        assertSafeBeforeExit(a);
      } finally {
        cleanup(a);
      }
    }),
    t.test('SIGHUP with a valid config reloads limits and log level without stopping', HANG_GUARD, async () => {
      const a = startAgent();
      try {
        await a.waitFor(running, 'running');
        writeFileSync(a.configFile, agentConfig('[temperature]\ntarget = 55').replace('level = "info"', 'level = "debug"'));
        a.child.kill('SIGHUP');
        const reloaded = await a.waitFor((r) => r.msg === 'limits reloaded', 'limits reloaded');
        assert.equal((reloaded.limits as { targetC: number }).targetC, 55);
        await a.waitFor((r) => r.msg === 'config reloaded', 'config reloaded');
        await a.waitFor((r) => r.level === 20 && r.msg === 'sample', 'a debug record (the new log level)');
        assert.equal(a.records.some(safeState), false, 'still running');
        assert.equal(a.child.exitCode, null);
        a.child.kill('SIGTERM');
        const rec = await a.waitFor(safeState, 'safe-state');
        assert.equal(rec.reason, 'sigterm');
        assert.equal((await a.exited).code, 0);
        assertSafeBeforeExit(a);
      } finally {
        cleanup(a);
      }
    }),
    t.test('--sim-fault fan-stall@1: the agent logs safe-state naming the fault, keeps the fans cooling, exits on SIGTERM', HANG_GUARD, async () => {
      const a = startAgent(['--sim-fault', 'fan-stall@1']);
      try {
        await a.waitFor(running, 'running');
        const rec = await a.waitFor(safeState, 'safe-state');
        assert.equal(rec.reason, 'fan-stall');
        assert.match(String(rec.detail), /failed: fan\.fan \(0 rpm/);
        assert.equal(a.child.exitCode, null, 'a fault stops the board, not the process');
        const last = assertSafeBeforeExit(a);
        assert.ok((last.fanRpm[0] ?? 0) < 300, `the stalled fan (${last.fanRpm[0]} rpm)`);
        a.child.kill('SIGTERM');
        assert.equal((await a.exited).code, 0);
        assertSafeBeforeExit(a);
      } finally {
        cleanup(a);
      }
    }),
  ]);
});
