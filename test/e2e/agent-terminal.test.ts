// The agent as a person sees it in a terminal: its stdout on a real pseudo-terminal. Before the first
// status line a banner says what runs and where to look; then one status line per period with units;
// Ctrl-C says what it does and, when the board is still warm, what it waits for; a second Ctrl-C skips
// the cool-down; a clean stop prints no warning or error.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Sv2Pool } from '../../workshop/lab/sv2-pool.js';
import { BIN, ROOT } from '../helpers/agent-process.js';
import { startInTerminal } from '../helpers/terminal-process.js';

function config(dir: string, url: string, extra: string[] = []): string {
  const file = join(dir, 'agent.toml');
  writeFileSync(
    file,
    [
      'version = 1',
      '[board]',
      'config = "sim-bm1370"',
      '[log]',
      'status_interval_s = 1',
      '[api.cgminer]',
      'port = 0',
      '[api.http]',
      'port = 0',
      ...extra,
      '[[pool]]',
      'name = "lab"',
      `url = ${JSON.stringify(url)}`,
      'user = "tty.worker"',
      '',
    ].join('\n'),
  );
  return file;
}

const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, ASIC_AGENT_FROM_SOURCE: '1', NO_COLOR: '1' };
  delete e.ASIC_AGENT_LOG_LEVEL;
  delete e.ASIC_AGENT_LOG_FORMAT;
  return e;
};

test('in a terminal: banner first, status lines with units, a clean Ctrl-C without warnings', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-tty-'));
  const pool = new Sv2Pool({ port: 0, difficulty: 2e5 / 2 ** 32, prevHashIntervalSeconds: 0, ackFlushMs: 200 });
  const { url } = await pool.start();
  const t = startInTerminal(process.execPath, [BIN, 'run', '--config', config(dir, url)], { cwd: ROOT, env: env() });
  try {
    await t.waitFor(/Ctrl-C again skips the cool-down/, 'the banner');
    const status = await t.waitFor(/^\d\d:\d\d:\d\d {2}(.* · shares ([1-9]\d*) accepted.*)$/m, 'a status line with an accepted share');
    const line = status[1] ?? '';
    assert.match(line, /^\d+(\.\d+)? [kMGTP]?H\/s \(1 min; nominal 400 kH\/s\)/);
    assert.match(line, / · HW errors \d+ · pool lab \(Stratum V2\) · hottest \S+ \d+\.\d °C · fans? \d+/);
    const text = t.text();
    assert.ok(text.indexOf('asic-agent status --url http://127.0.0.1:') < text.indexOf(line), 'the banner comes before the first status line');
    assert.match(text, /pool {6}lab {2}stratum2\+tcp:\/\/127\.0\.0\.1:\d+ \(Stratum V2, extended channel\)/);
    assert.doesNotMatch(text, /^\{"level"/m, 'no JSON records on a terminal');
    t.child.kill('SIGINT');
    await t.waitFor(/Stopped\.|fans left at/, 'the end of the stop');
    const { code } = await t.exited;
    assert.equal(code, 0);
    const after = t.text().slice(t.text().indexOf('stopping ('));
    assert.match(after, /stopping \(SIGINT received\): making the board safe/);
    assert.match(after, /board safe \(sigint\): hashing stopped, chains held in reset, power off/);
    assert.doesNotMatch(t.text(), / (WARN|ERROR|FATAL) /, 'a clean run and stop print no warning or error');
  } finally {
    await t.close();
    await pool.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('in a terminal: Ctrl-C during bring-up is clean; a warm board makes it wait with the temperature; a second Ctrl-C skips the wait', {
  timeout: 300_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-tty-'));
  const pool = new Sv2Pool({ port: 0, difficulty: 2e5 / 2 ** 32, prevHashIntervalSeconds: 0, ackFlushMs: 200 });
  const { url } = await pool.start();
  // "Cool" below any temperature the simulated board reaches: the stop always has a cool-down to wait for.
  const t = startInTerminal(process.execPath, [BIN, 'run', '--config', config(dir, url, ['[temperature]', 'cool = 5'])], { cwd: ROOT, env: env() });
  try {
    // Stopped as soon as it says it runs: the board is powering up and the chains are coming up.
    await t.waitFor(/Ctrl-C again skips the cool-down/, 'the banner');
    t.child.kill('SIGINT');
    const wait = await t.waitFor(
      /waiting for the board to cool to 5 °C \(now (\d+\.\d) °C, at most 60 s\).*press Ctrl-C again to skip/,
      'the cool-down notice',
    );
    assert.ok(Number(wait[1]) > 5);
    t.child.kill('SIGINT');
    await t.waitFor(/cool-down skipped at \d+\.\d °C; fans left at the safe duty/, 'the skip');
    const { code } = await t.exited;
    assert.equal(code, 0);
    assert.doesNotMatch(t.text(), / (ERROR|FATAL) /);
  } finally {
    await t.close();
    await pool.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
