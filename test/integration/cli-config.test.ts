/** `asic-agent check-config` and `run`'s argument and board errors, through the real CLI. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'asic-agent.js');

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ASIC_AGENT_LOG_LEVEL: 'silent', ASIC_AGENT_FROM_SOURCE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('check-config: ok for agent configs and board-configs, every error with its line otherwise', { concurrency: 3 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-agent-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.toml');
  writeFileSync(bad, 'version = 1\n[board]\nconfig = "sim-bm1370"\n[fans]\nmode = "turbo"\nmax_duty = 101\n[log]\nlevle = "info"\n');
  await Promise.all([
    t.test('the example agent config', async () => {
      const r = await cli(['check-config', 'config.example.toml']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'ok\n');
    }),
    t.test('a board-config', async () => {
      const r = await cli(['check-config', 'board-configs/bitaxe-gamma-pi.example.toml']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'ok\n');
    }),
    t.test('a broken file', async () => {
      const r = await cli(['check-config', bad]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.deepEqual(r.stderr.trim().split('\n'), [
        `${bad}:5: fans.mode: "turbo" is not allowed; expected one of "auto", "manual", "immersion"`,
        `${bad}:6: fans.max_duty: 101 % is out of range; expected an integer from 1 to 100 %`,
        `${bad}:8: log.levle: unknown key; [log] allows level, status_interval_s`,
      ]);
    }),
    t.test('usage errors exit 2', async () => {
      assert.equal((await cli(['check-config'])).code, 2);
      const r = await cli(['run', '--config', 'config.example.toml', '--sim-fault', 'fan-stall']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /"fan-stall" is not NAME\[:TARGET\]@SECONDS/);
      // Names from the command line that Object's prototype has are unknown, not a crash.
      for (const args of [['constructor'], ['__proto__'], ['lab', 'constructor'], ['lab', 'toString']]) {
        const p = await cli(args);
        assert.equal(p.code, 2, `${args.join(' ')}: ${p.stderr}`);
        assert.match(p.stderr, /unknown (command|lab server)/);
      }
      // A URL scheme named like an Object property is an unsupported scheme, not a crash.
      for (const scheme of ['constructor', '__proto__']) {
        const p = await cli(['probe', `${scheme}://127.0.0.1:1`, '--user', 'w']);
        assert.equal(p.code, 2, p.stderr);
        assert.match(p.stderr, new RegExp(`unsupported URL scheme '${scheme}'`));
      }
    }),
    t.test('run refuses sim faults on a real board before touching it', async () => {
      const r = await cli(['run', '--config', 'board-configs/bitaxe-gamma-pi.example.toml', '--sim-fault', 'overheat@5']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /--sim-fault needs a simulated board; bitaxe-gamma-pi has no \[sim\] section/);
    }),
  ]);
});

test('check-config refuses what run refuses: duplicate pool and group names, a group with no enabled pool', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-agent-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dup = join(dir, 'dup.toml');
  const pool = (name: string, port: number, enabled = true): string[] => [
    '[[pool]]',
    `name = "${name}"`,
    `url = "stratum+tcp://127.0.0.1:${port}"`,
    'user = "u"',
    ...(enabled ? [] : ['enabled = false']),
  ];
  writeFileSync(dup, ['version = 1', '[board]', 'config = "sim-bm1370"', ...pool('x', 3333), ...pool('x', 3334)].join('\n'));
  const r = await cli(['check-config', dup]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(`^${dup.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:9: pool\\[1\\]\\.name: duplicate pool name "x" \\(also at pool\\[0\\]\\.name\\)`),
  );
  // run refuses the same file before touching anything, with the same words.
  const run = await cli(['run', '--config', dup]);
  assert.equal(run.code, 78, 'EX_CONFIG, which the unit does not restart');
  assert.match(run.stderr, /duplicate pool name "x"/);
  assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
  const off = join(dir, 'off.toml');
  writeFileSync(off, ['version = 1', '[board]', 'config = "sim-bm1370"', ...pool('a', 3333, false)].join('\n'));
  assert.match((await cli(['check-config', off])).stderr, /pool: has no enabled pool/);
});

test('the command line: no command prints the help and exits 2; each lab server, probe and sim describe their flags', async () => {
  const none = await cli([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /Usage: asic-agent <command> \[options\]/);
  for (const [args, flag] of [
    [['lab', 'sv2-pool', '--help'], /--fixed-version {10}REQUIRES_FIXED_VERSION/],
    [['lab', 'sv1-pool', '--help'], /--error-style S {13}how shares are refused/],
    [['lab', 'jds', '--help'], /--censor-txid TXID {5}refuse any template/],
    [['lab', 'template-provider', '--help'], /--nbits HEX {14}block target as compact nbits/],
    [['probe', '--help'], /--until-accepted N {7}with --cpu-mine: stop as soon as N shares are accepted/],
    [['sim', '--help'], /--faults SPEC {14}comma-separated/],
    [['demo', '--help'], /--cgminer-port P {5}the cgminer-compatible API port/],
    [['lab', '--help'], /template-provider {2}a Template Provider/],
  ] as const) {
    const r = await cli([...args]);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, flag, args.join(' '));
  }
  const unknown = await cli(['lab', 'sv2-pool', '--bogus']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^asic-agent lab sv2-pool: Unknown option '--bogus'/);
  assert.doesNotMatch(unknown.stderr, /^\s+at /m, 'no stack trace');
});
