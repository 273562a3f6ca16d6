// The autotuner in the real agent process (`asic-agent run`): a simulated BM1366 board whose chain
// simulators run silicon-lottery chips (board-config sim-bm1366, [sim] lottery = true), mining to the lab
// SV2 pool. The tuner starts at the lowest rail and searches; its state shows in the status record,
// GET /api/tuning, /api/status and /metrics; the target and curtailment change through the settings
// API (logged in, CSRF), are written to the config file, and pause/resume take the board to idle and back.
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashPassword } from '../../src/dashboard/password.js';
import { Sv2Pool } from '../../workshop/lab/sv2-pool.js';
import { startAgentProcess } from '../helpers/agent-process.js';

const PASSWORD = 'a long enough tuning password';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): Record<string, unknown>;
}

function call(base: string, method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(`${base}${path}`, { method, headers: { ...(data ? { 'Content-Type': 'application/json' } : {}), ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 90_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('the agent tunes a lottery board, shows it in status, API and metrics, and curtails through the settings API', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-tuning-'));
  const pool = new Sv2Pool({ port: 0, difficulty: 2e5 / 2 ** 32, prevHashIntervalSeconds: 0, ackFlushMs: 300 });
  const { url } = await pool.start();
  const cfg = join(dir, 'agent.toml');
  writeFileSync(
    cfg,
    [
      'version = 1',
      '[board]',
      'config = "sim-bm1366"',
      '[log]',
      'status_interval_s = 2',
      '[api.cgminer]',
      'port = 0',
      '[api.http]',
      'port = 0',
      '[dashboard]',
      `hashed_password = ${JSON.stringify(await hashPassword(PASSWORD))}`,
      '[tuning]',
      'enabled = true',
      'mode = "power"',
      'power_target_w = 55',
      `profile_dir = ${JSON.stringify(join(dir, 'profiles'))}`,
      '[[pool]]',
      'name = "lab"',
      `url = ${JSON.stringify(url)}`,
      'user = "e2e.tuner"',
      '',
    ].join('\n'),
  );
  const agent = startAgentProcess(['run', '--config', cfg]);
  try {
    const listening = await agent.waitFor((r) => r.msg === 'api listening', 'api listening');
    const base = `http://${String(listening.http)}`;
    // The tuner starts at the lowest rail and searches every chip.
    await agent.waitFor((r) => r.module === 'tuning' && r.msg === 'tuner tuning', 'the tuner tuning', 90_000);
    const status = await agent.waitFor(
      (r) => r.msg === 'status' && typeof r.tuning === 'object' && (r.tuning as { state: string }).state === 'tuning',
      'a status record with the tuner',
    );
    assert.equal((status.tuning as { mode: string }).mode, 'power');
    assert.equal((status.tuning as { target: number }).target, 55);
    const t = await until(
      'GET /api/tuning with every chip',
      async () => (await call(base, 'GET', '/api/tuning')).json(),
      (j) => Array.isArray(j.chains) && (j.chains as unknown[]).length === 2,
    );
    assert.equal(t.mode, 'power');
    assert.equal(t.target, 55);
    assert.equal(t.coreVolts, 1.0, "it starts at the board-config's lowest voltage");
    assert.equal(t.powerSource, 'power-monitor');
    for (const c of t.chains as { chipMhz: number[] }[]) {
      assert.equal(c.chipMhz.length, 4);
      for (const f of c.chipMhz) assert.ok(f >= 50 && f <= 575, `${f} MHz within the board's limits`);
    }
    const brief = (await call(base, 'GET', '/api/status')).json().tuning as { state: string; coreVolts: number };
    assert.ok(['tuning', 'tuned'].includes(brief.state));
    const metrics = (await call(base, 'GET', '/metrics')).text;
    assert.match(metrics, /^asic_agent_tuner_target_watts 55$/m);
    assert.match(metrics, /^asic_agent_tuner_state\{state="(tuning|tuned)"\} 1$/m);
    assert.match(metrics, /^asic_agent_chip_frequency_hertz\{chain="1",chip="3"\} \d+/m);
    assert.match(metrics, /^asic_agent_tuner_core_volts \d/m);
    // Log in; change the target, then curtail and resume, each saved to the file.
    const login = await call(base, 'POST', '/api/login', { body: { password: PASSWORD } });
    assert.equal(login.status, 200);
    const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
    const headers = { Cookie: cookie, 'X-CSRF-Token': String(login.json().csrf) };
    const save = async (tuning: Record<string, unknown>): Promise<Reply> => call(base, 'POST', '/api/settings/save', { body: { tuning }, headers });
    const target = await save({ power_target_w: 45 });
    assert.equal(target.status, 200, target.text);
    assert.match(readFileSync(cfg, 'utf8'), /^power_target_w = 45$/m);
    await until(
      'the new target in force',
      async () => (await call(base, 'GET', '/api/tuning')).json(),
      (j) => j.target === 45,
    );
    const refused = await save({ power_target_w: -3 });
    assert.equal(refused.status, 400, 'a target the schema refuses is not saved');
    const paused = await save({ paused: true });
    assert.equal(paused.status, 200, paused.text);
    await until(
      'the board curtailed',
      async () => (await call(base, 'GET', '/api/status')).json(),
      (j) => (j.board as { state: string }).state === 'paused' && (j.tuning as { state: string }).state === 'paused',
    );
    assert.match(readFileSync(cfg, 'utf8'), /^paused = true$/m);
    const power = await until(
      'no power to the chips',
      async () => (await call(base, 'GET', '/api/board')).json(),
      (j) => (j.power as { name: string; watts?: number }[]).every((p) => (p.watts ?? 0) < 5),
    );
    assert.ok(power);
    const t0 = Date.now();
    assert.equal((await save({ paused: false })).status, 200);
    await until(
      'the board mining again',
      async () => (await call(base, 'GET', '/api/status')).json(),
      (j) => (j.board as { state: string }).state === 'running' && ['tuning', 'tuned'].includes((j.tuning as { state: string }).state),
    );
    await agent.waitFor((r) => r.msg === 'chain running' && (r.time ?? 0) > t0, 'the chains up again after the resume', 30_000);
  } finally {
    await agent.stop();
    await pool.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
