// The boot pieces: the systemd unit passes `systemd-analyze verify` (where systemd is installed), and
// scripts/install.sh / uninstall.sh work in a temporary root with --dry-run: program files copied, the
// config installed with mode 0600, the unit installed, and user/service commands only printed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOOLS, toolTest } from '../helpers/system-tool.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

toolTest('the systemd unit verifies', [TOOLS.systemdAnalyze], {}, () => {
  const r = spawnSync('systemd-analyze', ['verify', join(repo, 'scripts/systemd/asic-agent.service')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // Nothing the verifier warns about either (unknown keys, bad values).
  assert.doesNotMatch(r.stderr, /Unknown key|Failed to parse|Invalid/);
  const unit = readFileSync(join(repo, 'scripts/systemd/asic-agent.service'), 'utf8');
  assert.match(unit, /^User=miner$/m);
  assert.match(unit, /^SupplementaryGroups=gpio i2c dialout$/m);
  assert.match(unit, /^Restart=on-failure$/m);
  assert.match(unit, /^NoNewPrivileges=yes$/m);
});

test('install.sh and uninstall.sh in a temporary root with --dry-run', () => {
  const root = mkdtempSync(join(tmpdir(), 'asic-install-'));
  try {
    const cfg = join(root, 'my-config.toml');
    writeFileSync(cfg, 'version = 1\n');
    const r = spawnSync('bash', [join(repo, 'scripts/install.sh'), '--root', root, '--dry-run', '--config', cfg], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.ok(existsSync(join(root, 'opt/asic-agent/package.json')), 'program files copied');
    assert.ok(!existsSync(join(root, 'opt/asic-agent/node_modules')), 'node_modules not copied');
    const conf = join(root, 'etc/asic-agent/config.toml');
    assert.equal(readFileSync(conf, 'utf8'), 'version = 1\n');
    assert.equal(statSync(conf).mode & 0o777, 0o600);
    const unit = readFileSync(join(root, 'etc/systemd/system/asic-agent.service'), 'utf8');
    assert.match(unit, /ExecStart=\/usr\/bin\/node --max-semi-space-size=1 \/opt\/asic-agent\/bin\/asic-agent\.js run --config \/etc\/asic-agent\/config\.toml/);
    for (const cmd of ['useradd --system', 'usermod -a -G gpio,i2c,dialout miner', 'systemctl enable asic-agent.service', 'npm ci']) {
      assert.ok(r.stdout.includes(`would run: ${cmd}`) || r.stdout.includes(cmd), `prints ${cmd}`);
    }
    // A second install keeps the edited config.
    writeFileSync(conf, 'version = 1\n# edited\n');
    const again = spawnSync('bash', [join(repo, 'scripts/install.sh'), '--root', root, '--dry-run', '--config', cfg], { encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    assert.match(readFileSync(conf, 'utf8'), /# edited/);
    const u = spawnSync('bash', [join(repo, 'scripts/uninstall.sh'), '--root', root, '--dry-run'], { encoding: 'utf8' });
    assert.equal(u.status, 0, u.stderr);
    assert.ok(!existsSync(join(root, 'opt/asic-agent')));
    assert.ok(!existsSync(join(root, 'etc/systemd/system/asic-agent.service')));
    assert.ok(existsSync(conf), 'config kept without --purge');
    assert.match(u.stdout, /would run: systemctl disable --now asic-agent.service/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
