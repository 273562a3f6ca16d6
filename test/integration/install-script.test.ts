// The boot pieces, run as a new user would, into scratch roots: scripts/install.sh and uninstall.sh with
// --dry-run change no file at all (checksums of the whole root before and after), real runs install a
// release (scripts/release.sh) next to nothing, write a first config that refuses to start, rewrite the
// unit for the board once the config names one, and remove everything again; the unit they write passes
// `systemd-analyze verify` and scores <= 2.5 in `systemd-analyze security --offline`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importsOf, sourceFiles } from '../helpers/module-imports.js';
import { TOOLS, toolTest } from '../helpers/system-tool.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'asic-install-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

function sh(cmd: string, args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ASIC_AGENT_LOG_LEVEL: 'silent' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** Every entry under `root`: type, mode, and content hash (files) or target (links). */
function digest(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = lstatSync(p);
      const rel = p.slice(root.length);
      if (st.isSymbolicLink()) out.set(rel, `link ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.set(rel, `dir ${st.mode.toString(8)}`);
        walk(p);
      } else out.set(rel, `file ${st.mode.toString(8)} ${st.size} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(root);
  return out;
}

let release: string | undefined;
/** One production release of this checkout (no dist/: it runs from the sources through tsx), made once. */
function theRelease(): string {
  if (release) return release;
  const r = sh('bash', [join(repo, 'scripts/release.sh'), '--out', scratch, '--no-build']);
  assert.equal(r.code, 0, r.err);
  release = r.out.trim().split('\n').at(-1) as string;
  assert.ok(existsSync(release), release);
  return release;
}

const install = (root: string, ...args: string[]): ReturnType<typeof sh> => sh('bash', [join(repo, 'scripts/install.sh'), '--root', root, ...args]);
const uninstall = (root: string, ...args: string[]): ReturnType<typeof sh> => sh('bash', [join(repo, 'scripts/uninstall.sh'), '--root', root, ...args]);

function simConfig(exitCoolS: number): string {
  return [
    'version = 1',
    '[board]',
    'config = "sim-bm1370"',
    '[fans]',
    `exit_cool_timeout_s = ${exitCoolS}`,
    '[[pool]]',
    'url = "stratum+tcp://127.0.0.1:3333"',
    'user = "me.worker"',
    '',
  ].join('\n');
}

test('--dry-run changes no file: install into an empty root and over an installed one, uninstall --purge', () => {
  const root = mkdtempSync(join(scratch, 'dry-'));
  const before = digest(root);
  const dry = install(root, '--dry-run', '--from', theRelease());
  assert.equal(dry.code, 0, dry.err + dry.out);
  assert.deepEqual(digest(root), before, 'an empty root stays empty');
  for (const step of [
    'unpack_release',
    'useradd --system',
    'usermod -a -G gpio,i2c,dialout miner',
    'install -m 0600',
    'write_file',
    'systemctl daemon-reload',
  ]) {
    assert.ok(dry.out.includes(`would run: ${step}`), `prints ${step}:\n${dry.out}`);
  }
  // A real install, then every dry run over it.
  const real = install(root, '--from', theRelease(), '--config', join(repo, 'config.example.toml'));
  assert.equal(real.code, 0, real.err + real.out);
  const installed = digest(root);
  assert.ok(installed.size > 100);
  // The product only (architecture principle 9): no workshop, tests or benchmarks, nothing reaching
  // for them, and the workshop's commands say so in one line.
  const vdir = join(root, 'opt/asic-agent/current');
  for (const p of ['src/main.ts', 'drivers/asic/bm13xx/chain.ts', 'bin/asic-agent.js']) assert.ok(existsSync(join(vdir, p)), `${p} is installed`);
  for (const p of ['workshop', 'test', 'scripts/bench', 'scripts/soak.ts']) assert.ok(!existsSync(join(vdir, p)), `${p} is not installed`);
  const reaching = [
    ...sourceFiles(join(vdir, 'src')),
    ...sourceFiles(join(vdir, 'drivers')),
    ...sourceFiles(join(vdir, 'scripts')),
    ...sourceFiles(join(vdir, 'bin')),
  ]
    .flatMap((f) => importsOf(vdir, f))
    .filter((e) => e.target !== undefined && (e.target.startsWith('workshop/') || e.target.startsWith('test/')));
  assert.deepEqual(
    reaching.map((e) => `${e.file} -> ${e.specifier}`),
    [],
  );
  for (const cmd of [['sim', '--chip', 'bm1370', '--chips', '1'], ['demo'], ['lab', 'sv2-pool']]) {
    const r = sh(process.execPath, [join(vdir, 'bin/asic-agent.js'), ...cmd]);
    assert.equal(r.code, 1, `${cmd[0]}: ${r.err}`);
    assert.match(r.err, new RegExp(`^asic-agent ${cmd[0]}: .*not installed with the firmware`), r.err);
  }
  for (const [what, r] of [
    ['install --dry-run', install(root, '--dry-run', '--from', theRelease())],
    ['install --dry-run from the installed version', sh('bash', [join(root, 'opt/asic-agent/current/scripts/install.sh'), '--root', root, '--dry-run'])],
    ['uninstall --dry-run --purge', uninstall(root, '--dry-run', '--purge')],
  ] as const) {
    assert.equal(r.code, 0, `${what}: ${r.err}${r.out}`);
    assert.deepEqual(digest(root), installed, `${what} changed files`);
  }
  const u = uninstall(root, '--dry-run', '--purge');
  for (const step of [
    'systemctl disable --now asic-agent.service',
    'rm -rf ' + join(root, 'opt/asic-agent'),
    'rm -rf ' + join(root, 'etc/asic-agent'),
    'userdel miner',
  ]) {
    assert.ok(u.out.includes(`would run: ${step}`), `prints ${step}:\n${u.out}`);
  }
});

toolTest(
  'real runs into a scratch root: first install, the unit for the board, uninstall; the unit verifies and scores <= 2.5',
  [TOOLS.systemdAnalyze],
  {},
  () => {
    const root = mkdtempSync(join(scratch, 'real-'));
    const etc = join(root, 'etc/asic-agent/config.toml');
    const unitPath = join(root, 'etc/systemd/system/asic-agent.service');

    // 1. No --config: a config that refuses to start, a unit that allows no device, the service not enabled.
    const first = install(root, '--from', theRelease());
    assert.equal(first.code, 0, first.err + first.out);
    assert.equal(readFileSync(etc, 'utf8'), readFileSync(join(repo, 'scripts/install/first-config.toml'), 'utf8'));
    assert.equal(lstatSync(etc).mode & 0o777, 0o600);
    assert.doesNotMatch(first.out, /systemctl enable/);
    assert.match(first.out, /not filled in yet/);
    const check = sh(process.execPath, [join(root, 'opt/asic-agent/current/bin/asic-agent.js'), 'check-config', etc]);
    assert.equal(check.code, 1);
    assert.deepEqual(
      check.err
        .trim()
        .split('\n')
        .map((l) => l.replace(/^.*?:\d+: /, '').replace(/: not filled in yet.*$/, '')),
      ['board.config', 'pool[0].url', 'pool[0].user'],
    );
    const versions = readdirSync(join(root, 'opt/asic-agent/versions'));
    assert.equal(versions.length, 1);
    assert.equal(readlinkSync(join(root, 'opt/asic-agent/current')), `versions/${versions[0]}`);
    assert.equal(readlinkSync(join(root, 'usr/local/bin/asic-agent')), '/opt/asic-agent/current/bin/asic-agent.js');
    assert.ok(existsSync(join(root, 'etc/udev/rules.d/60-asic-agent.rules')), 'no 99-com.rules here: our udev rule');
    let unit = readFileSync(unitPath, 'utf8');
    assert.match(
      unit,
      new RegExp(
        `^ExecStart=${process.execPath.replace(/[/.]/g, '\\$&')} --max-semi-space-size=1 /opt/asic-agent/current/bin/asic-agent\\.js run --config /etc/asic-agent/config\\.toml$`,
        'm',
      ),
    );
    assert.match(unit, /^DevicePolicy=closed$/m);
    assert.doesNotMatch(unit, /^DeviceAllow=/m);

    // 2. The user names a board and a pool, runs the installer of the installed version again: same
    //    version, config kept, the unit now allows the board's devices and waits for its cool-down.
    writeFileSync(etc, simConfig(20));
    const again = sh('bash', [join(root, 'opt/asic-agent/current/scripts/install.sh'), '--root', root]);
    assert.equal(again.code, 0, again.err + again.out);
    assert.deepEqual(readdirSync(join(root, 'opt/asic-agent/versions')), versions);
    assert.equal(readFileSync(etc, 'utf8'), simConfig(20));
    assert.match(again.out, /would run \(outside --root\): systemctl enable asic-agent\.service/);
    unit = readFileSync(unitPath, 'utf8');
    assert.deepEqual(unit.match(/^DeviceAllow=.*$/gm), ['DeviceAllow=/dev/ptmx rw', 'DeviceAllow=char-pts rw']);
    assert.match(unit, /^TimeoutStopSec=50$/m, '20 s cool-down + 15 s guard + 15 s margin');
    assert.match(unit, /^Environment=ASIC_AGENT_STOP_TIMEOUT_S=50$/m);
    assert.match(unit, /^Type=notify$/m);
    assert.match(unit, /^WatchdogSec=10$/m);
    assert.match(unit, /^ExecReload=\S+ \/opt\/asic-agent\/current\/bin\/asic-agent\.js check-config \/etc\/asic-agent\/config\.toml$/m);
    assert.match(unit, /^RestartPreventExitStatus=78$/m);

    // 3. systemd accepts it, and its hardening scores at most 2.5.
    const dir = mkdtempSync(join(scratch, 'unit-'));
    const file = join(dir, 'asic-agent.service');
    writeFileSync(file, unit);
    const v = sh('systemd-analyze', ['verify', file]);
    assert.equal(v.code, 0, v.err);
    assert.doesNotMatch(v.err, /Unknown key|Failed to parse|Invalid|Unknown section/);
    const s = sh('systemd-analyze', ['security', '--offline=true', file]);
    const score = Number(/Overall exposure level for asic-agent\.service: ([\d.]+)/.exec(s.out)?.[1]);
    assert.ok(score <= 2.5, `exposure ${score}:\n${s.out}`);

    // 4. Uninstall keeps the config and the state; --purge removes them.
    const u = uninstall(root);
    assert.equal(u.code, 0, u.err + u.out);
    assert.ok(!existsSync(join(root, 'opt/asic-agent')));
    assert.ok(!existsSync(unitPath));
    assert.ok(!existsSync(join(root, 'usr/local/bin/asic-agent')));
    assert.ok(!existsSync(join(root, 'etc/udev/rules.d/60-asic-agent.rules')));
    assert.ok(existsSync(etc), 'config kept without --purge');
    const p = uninstall(root, '--purge');
    assert.equal(p.code, 0, p.err + p.out);
    assert.ok(!existsSync(join(root, 'etc/asic-agent')));
  },
);

toolTest('the unit for a real board allows exactly its UART, I2C bus and GPIO chips, and scores <= 2.5', [TOOLS.systemdAnalyze], {}, () => {
  const r = sh(process.execPath, [
    join(repo, 'bin/asic-agent.js'),
    'unit',
    '--config',
    join(repo, 'board-configs/bitaxe-gamma-pi.example.toml'),
    '--node',
    process.execPath,
  ]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.out.match(/^DeviceAllow=.*$/gm), ['DeviceAllow=/dev/ttyAMA0 rw', 'DeviceAllow=/dev/i2c-1 rw', 'DeviceAllow=char-gpiochip rw']);
  assert.match(r.out, /^TimeoutStopSec=90$/m, 'the default 60 s cool-down + 30 s');
  const dir = mkdtempSync(join(scratch, 'unit-'));
  const file = join(dir, 'asic-agent.service');
  writeFileSync(file, r.out);
  const v = sh('systemd-analyze', ['verify', file]);
  assert.equal(v.code, 0, v.err);
  const s = sh('systemd-analyze', ['security', '--offline=true', file]);
  const score = Number(/Overall exposure level for asic-agent\.service: ([\d.]+)/.exec(s.out)?.[1]);
  assert.ok(score <= 2.5, `exposure ${score}:\n${s.out}`);
});
