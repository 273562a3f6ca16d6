// `asic-agent probe` against the lab pool: in-process (the prober) and as real processes (the lab pool
// command and the probe command), checking the printed JSON last line and the exit codes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { schnorr } from '@noble/curves/secp256k1.js';
import { probeSv2 } from '../../src/upstream/sv2/probe.js';
import type { ProbeOptions } from '../../src/cli/probe.js';
// The CPU miner the command line hands to `probe --cpu-mine` (src/cli/workshop.ts).
import { cpuMining } from '../../workshop/cpu-miner/cpu-miner.js';
import { encodeAuthorityKey } from '../../src/upstream/sv2/authority-key.js';
import { formatSv2Url } from '../../src/upstream/sv2/url.js';
import { startPool } from '../helpers/sv2-lab.js';

const BIN = fileURLToPath(new URL('../../bin/asic-agent.js', import.meta.url));

function opts(url: string, o: Partial<ProbeOptions> = {}): ProbeOptions & { lines: string[] } {
  const lines: string[] = [];
  return {
    url,
    user: 'lab.probe',
    password: 'x',
    channel: 'standard',
    cpuMine: false,
    cpuMining,
    seconds: 1,
    allowUnauthenticated: false,
    say: (l) => lines.push(l),
    lines,
    ...o,
  };
}

test('probe with CPU mining on both channel types: handshake ok, jobs, shares accepted', async () => {
  const pool = await startPool({ difficulty: 2e-6, shareBatchSize: 3, ackFlushMs: 100 });
  try {
    for (const channel of ['standard', 'extended'] as const) {
      const o = opts(pool.url, { channel, cpuMine: true, untilAccepted: 1, seconds: 300 });
      const r = await probeSv2(o);
      assert.equal(r.handshake, 'ok', o.lines.join('\n'));
      assert.equal(r.channel, channel);
      assert.ok(Math.abs((r.difficulty ?? 0) - 2e-6) < 1e-12);
      assert.ok(r.jobs >= 1);
      assert.ok(r.accepted > 0, o.lines.join('\n'));
      assert.equal(r.rejected, 0);
      assert.ok(o.lines.some((l) => l.includes('certificate verified')));
      assert.ok(o.lines.some((l) => l.startsWith('target ') && l.endsWith(`difficulty ${(2e-6).toPrecision(6)}`)));
    }
  } finally {
    await pool.stop();
  }
});

test('probe reports a wrong authority key, a refused URL and an unreachable pool as the handshake result', async () => {
  const pool = await startPool();
  try {
    const wrong = formatSv2Url('127.0.0.1', pool.port, encodeAuthorityKey(schnorr.getPublicKey(schnorr.utils.randomSecretKey())));
    const r = await probeSv2(opts(wrong, { cpuMine: true }));
    assert.match(r.handshake, /^handshake: certificate-bad-signature/);
    assert.equal(r.channel, null);
    assert.equal(r.accepted, 0);
    const noKey = await probeSv2(opts(formatSv2Url('127.0.0.1', pool.port, null)));
    assert.match(noKey.handshake, /no authority key/);
    // Allowed on loopback: Noise without certificate verification.
    const unauth = await probeSv2(opts(formatSv2Url('127.0.0.1', pool.port, null), { allowUnauthenticated: true }));
    assert.equal(unauth.handshake, 'ok');
    assert.deepEqual(unauth.certificate && (unauth.certificate as { authenticated: boolean }).authenticated, false);
  } finally {
    await pool.stop();
  }
  const closed = await probeSv2(opts(formatSv2Url('127.0.0.1', 1, encodeAuthorityKey(schnorr.getPublicKey(schnorr.utils.randomSecretKey())))));
  assert.match(closed.handshake, /^connect: connect failed/);
});

function run(args: string[]): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ASIC_AGENT_LOG_LEVEL: 'info', ASIC_AGENT_LOG_FORMAT: 'json' } });
    const lines: string[] = [];
    createInterface({ input: p.stdout }).on('line', (l) => lines.push(l));
    p.on('close', (code) => resolve({ code, lines }));
  });
}

test('asic-agent lab sv2-pool + asic-agent probe as processes: URL, JSON last line, exit codes', async () => {
  const pool = spawn(
    process.execPath,
    [BIN, 'lab', 'sv2-pool', '--port', '0', '--difficulty', '0.000002', '--prev-hash-interval', '0', '--ack-flush-ms', '100'],
    {
      env: { ...process.env, ASIC_AGENT_LOG_LEVEL: 'silent' },
    },
  );
  const out: string[] = [];
  const exited = new Promise<number | null>((resolve) => pool.on('close', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no URL printed: ${out.join('\n')}`)), 30_000);
      createInterface({ input: pool.stdout }).on('line', (l) => {
        out.push(l);
        const m = /^lab sv2-pool: (stratum2\+tcp:\/\/\S+)$/.exec(l);
        if (m) {
          clearTimeout(t);
          resolve(m[1] as string);
        }
      });
    });
    assert.match(url, /^stratum2\+tcp:\/\/127\.0\.0\.1:\d+\/\w{50,52}$/);
    const ok = await run(['probe', url, '--user', 'lab.cli', '--channel', 'extended', '--cpu-mine', '--until-accepted', '1', '--seconds', '300']);
    assert.equal(ok.code, 0, ok.lines.join('\n'));
    const last = JSON.parse(ok.lines.at(-1) as string) as Record<string, unknown>;
    // Only the result is JSON on stdout: log records go to stderr.
    assert.deepEqual(
      ok.lines.slice(0, -1).filter((l) => l.trimStart().startsWith('{')),
      [],
      'no JSON log lines among the human output',
    );
    for (const k of ['handshake', 'channel', 'difficulty', 'jobs', 'accepted', 'rejected']) assert.ok(k in last, k);
    assert.equal(last.handshake, 'ok');
    assert.equal(last.channel, 'extended');
    assert.equal(last.rejected, 0);
    const bad = await run([
      'probe',
      url.replace(/\/\w+$/, `/${encodeAuthorityKey(schnorr.getPublicKey(schnorr.utils.randomSecretKey()))}`),
      '--user',
      'lab.cli',
      '--seconds',
      '1',
    ]);
    assert.equal(bad.code, 1);
    assert.match((JSON.parse(bad.lines.at(-1) as string) as { handshake: string }).handshake, /certificate-bad-signature/);
  } finally {
    pool.kill('SIGINT');
  }
  assert.equal(await exited, 0);
  const stats = JSON.parse(out.at(-1) as string) as { accepted: number };
  assert.ok(stats.accepted > 0);
});
