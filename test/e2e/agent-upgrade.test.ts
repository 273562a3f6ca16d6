// `asic-agent upgrade` end to end, in a scratch install root: a release made by scripts/release.sh is
// installed by scripts/install.sh and started the way its unit says (systemd played by
// test/helpers/fake-systemctl.mjs); a good release is upgraded to and reports healthy; a release whose
// pools never start (mining not up) is rolled back, and the agent mines on the previous version. The
// config and a tuning profile are byte for byte the same throughout; a dry run changes nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sv2Pool } from '../../workshop/lab/sv2-pool.js';
import { waitHealthy } from '../../src/service/health-check.js';
import { BIN, ROOT } from '../helpers/agent-process.js';

const FAKE_SYSTEMCTL = join(ROOT, 'test/helpers/fake-systemctl.mjs');

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** The upgrade command, without blocking this process: the lab pool the agents mine on lives here. */
function upgradeCmd(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'upgrade', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

async function fileHash(p: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(p)) h.update(c as Buffer);
  return h.digest('hex');
}

/** Names, kinds, link targets and sizes under a folder (a dry run must leave all of them alone). */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = lstatSync(p);
      out.push(`${p.slice(dir.length)} ${st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : st.isDirectory() ? 'dir' : st.size}`);
      if (st.isDirectory() && !st.isSymbolicLink()) walk(p);
    }
  };
  walk(dir);
  return out;
}

test('upgrade: a healthy release switches, a release that does not mine is rolled back; config and tuning profile kept', { timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-upgrade-'));
  const root = join(dir, 'root');
  mkdirSync(root);
  const pool = new Sv2Pool({ port: 0, difficulty: 2e5 / 2 ** 32, prevHashIntervalSeconds: 0, ackFlushMs: 300 });
  const { url } = await pool.start();
  // systemctl is the fake, first on PATH; everything the commands print goes to the test's output on failure.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(FAKE_SYSTEMCTL)} "$@"\n`);
  chmodSync(join(bin, 'systemctl'), 0o755);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    FAKE_SYSTEMD_ROOT: root,
    FAKE_SYSTEMD_STATE: join(dir, 'systemd'),
  };
  delete env.ASIC_AGENT_LOG_LEVEL;
  delete env.ASIC_AGENT_FROM_SOURCE;
  const agentLog = (): string => (existsSync(join(dir, 'systemd/agent.log')) ? readFileSync(join(dir, 'systemd/agent.log'), 'utf8').slice(-3000) : '');
  const runDir = join(root, 'run/asic-agent');
  const current = (): string => readlinkSync(join(root, 'opt/asic-agent/current')).replace(/^versions\//, '');
  try {
    // 1. A test-bench release of this checkout (dev dependencies kept: the simulated board needs the
    //    pseudo-terminal addon), installed into the root with a config for the simulated board and a pool.
    const made = sh('bash', [join(ROOT, 'scripts/release.sh'), '--out', dir, '--no-build', '--with-dev-deps']);
    assert.equal(made.code, 0, made.err);
    const releaseA = made.out.trim().split('\n').at(-1) as string;
    const cfg = join(dir, 'agent.toml');
    writeFileSync(
      cfg,
      [
        'version = 1',
        '[board]',
        'config = "sim-bm1370"',
        '[fans]',
        'exit_cool_timeout_s = 2',
        '[api.cgminer]',
        'port = 0',
        '[api.http]',
        'port = 0',
        '[[pool]]',
        'name = "lab"',
        `url = ${JSON.stringify(url)}`,
        'user = "e2e.worker"',
        '',
      ].join('\n'),
    );
    const inst = sh('bash', [join(ROOT, 'scripts/install.sh'), '--root', root, '--from', releaseA, '--config', cfg], env);
    assert.equal(inst.code, 0, inst.err + inst.out);
    const first = current();
    const profile = join(root, 'var/lib/asic-agent/profiles/sim-bm1370.toml');
    mkdirSync(join(root, 'var/lib/asic-agent/profiles'), { recursive: true });
    writeFileSync(profile, '# a tuning profile the autotuner wrote\nfrequency_mhz = 500\n');
    const configFile = join(root, 'etc/asic-agent/config.toml');
    const kept = async (): Promise<string[]> => [await fileHash(configFile), await fileHash(profile)];
    const keptBefore = await kept();

    assert.equal(sh('systemctl', ['restart', 'asic-agent.service'], env).code, 0);
    const up = await waitHealthy(runDir, { versionDir: first, version: '0.1.0', notPids: [] }, 180_000);
    assert.ok(up.ok, `${up.ok ? '' : up.reason}\n${agentLog()}`);

    // 2. Releases B (0.1.1, healthy) and C (0.1.2, its pools never start: no pool, mining not up).
    const stage = join(dir, 'stage');
    mkdirSync(stage);
    assert.equal(sh('tar', ['-xzf', releaseA, '-C', stage]).code, 0);
    const top = readdirSync(stage)[0] as string;
    const setVersion = (v: string): void => {
      const p = join(stage, top, 'package.json');
      writeFileSync(p, readFileSync(p, 'utf8').replace(/"version": "[^"]+"/, `"version": "${v}"`));
    };
    const pack = (name: string): string => {
      const f = join(dir, name);
      assert.equal(sh('tar', ['-czf', f, '-C', stage, top]).code, 0);
      return f;
    };
    setVersion('0.1.1');
    const releaseB = pack('b.tar.gz');
    setVersion('0.1.2');
    const agentTs = join(stage, top, 'src/agent/agent.ts');
    const src = readFileSync(agentTs, 'utf8');
    assert.ok(src.includes('else this.pools.start();'));
    writeFileSync(agentTs, src.replace('else this.pools.start();', 'else void this.pools;'));
    const releaseC = pack('c.tar.gz');

    // 3. A dry run changes nothing.
    const opt = join(root, 'opt');
    const before = listing(opt);
    const dry = sh(process.execPath, [BIN, 'upgrade', releaseB, '--root', root, '--dry-run'], env);
    assert.equal(dry.code, 0, dry.err + dry.out);
    assert.match(dry.out, /would: point .*current at versions\/0\.1\.1-/);
    assert.match(dry.out, /would: systemctl restart asic-agent\.service/);
    assert.deepEqual(listing(opt), before);

    // 4. Upgrade to B: healthy, switched.
    const b = await upgradeCmd([releaseB, '--root', root, '--timeout', '180'], env);
    assert.equal(b.code, 0, `${b.err}${b.out}\n${agentLog()}`);
    assert.match(b.out, /healthy: 0\.1\.1/);
    const second = current();
    assert.match(second, /^0\.1\.1-[0-9a-f]{12}$/);
    assert.deepEqual(await kept(), keptBefore);

    // 5. Upgrade to C: not healthy in time, rolled back to B, which mines again.
    const c = await upgradeCmd([releaseC, '--root', root, '--timeout', '30'], env);
    assert.equal(c.code, 1, `${c.err}${c.out}\n${agentLog()}`);
    // Without pools the chains get no work: no pool in use, no nonce, chains re-initialised for silence.
    assert.match(c.out, /not healthy within 30 s: (no pool in use|no verified nonce from the chips yet|no chain is running .*); rolling back/);
    assert.match(c.out, /rolled back: 0\.1\.1 \(pid \d+\) mines again/);
    assert.equal(current(), second);
    const state = JSON.parse(readFileSync(join(root, 'var/lib/asic-agent/upgrade.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(state.status, 'rolled-back');
    assert.equal(state.from, second);
    assert.match(String(state.to), /^0\.1\.2-/);
    const again = await waitHealthy(runDir, { versionDir: second, version: '0.1.1', notPids: [] }, 60_000);
    assert.ok(again.ok, again.ok ? '' : again.reason);
    assert.deepEqual(await kept(), keptBefore, 'config and tuning profile unchanged');
    const calls = readFileSync(join(dir, 'systemd/calls.log'), 'utf8').trim().split('\n');
    assert.equal(calls.filter((l) => l === 'restart asic-agent.service').length, 4, calls.join('\n'));
  } finally {
    sh('systemctl', ['stop', 'asic-agent.service'], env);
    await pool.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
