// Issue 14 defect 2, end to end: the real agent on a simulated board (2 chains × 4 BM1370, chips that
// roll versions) with `channel = "standard"` against two lab SV2 pools that behave as real pools may:
//  - "fixed": requires a fixed version and refuses REQUIRES_VERSION_ROLLING (SetupConnection.Error);
//    on a standard channel the version is all the chips can roll, so the pool is unusable: the agent
//    says so and fails over (it does not sit on the pool mining nothing);
//  - "asks": fixes the version for clients that do not ask for version rolling: the agent asks, gets
//    rolling jobs, and mines with accepted shares.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sv2Pool } from '../../workshop/lab/sv2-pool.js';
import { MiningSetupFlags } from '../../src/upstream/sv2/messages/common.js';
import { startAgentProcess, statusRecords, type LogRecord } from '../helpers/agent-process.js';
import { writeSimAgentConfig } from '../helpers/sim-agent-config.js';

const num = (r: LogRecord | undefined, k: string): number => Number(r?.[k] ?? Number.NaN);

test('standard channel: a fixed-version pool is unusable (clear error, failover); a pool that fixes the version unless asked is asked, and mined', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-rolling-'));
  const hashrate = 50_000;
  const difficulty = (2 * hashrate) / 2 ** 32;
  const fixed = new Sv2Pool({ port: 0, difficulty, prevHashIntervalSeconds: 0, fixedVersion: true });
  const asks = new Sv2Pool({ port: 0, difficulty, prevHashIntervalSeconds: 0, fixedVersionUnlessAsked: true, ackFlushMs: 300 });
  await fixed.start();
  await asks.start();
  const setups: { flags: number; fixedVersion: boolean }[] = [];
  asks.on('setup', (e) => setups.push(e));
  const cfg = writeSimAgentConfig(
    dir,
    [
      { name: 'fixed', url: fixed.url, extra: ['channel = "standard"'] },
      { name: 'asks', url: asks.url, extra: ['channel = "standard"'] },
    ],
    { hashrate, noncesPerS: 40 },
  );
  const agent = startAgentProcess(['run', '--config', cfg]);
  try {
    const unusable = await agent.waitFor(
      (r) => typeof r.msg === 'string' && r.msg.startsWith('pool unusable for these chips'),
      'the fixed-version pool reported unusable',
    );
    assert.match(String(unusable.msg), /version/);
    const sw = await agent.waitFor((r) => r.msg === 'pool switch' && r.to === 'asks', 'the switch to the pool that rolls versions');
    assert.ok(sw.from === undefined || sw.from === 'fixed');
    const good = await agent.waitFor((r) => r.msg === 'status' && num(r, 'accepted') >= 3, '3 accepted shares', 90_000);
    assert.equal(good.pool, 'asks');
    assert.equal(num(good, 'rejected'), 0);
    // The agent asked for version rolling, so it got rolling jobs.
    assert.ok(setups.length > 0 && setups.every((s) => (s.flags & MiningSetupFlags.REQUIRES_VERSION_ROLLING) !== 0 && !s.fixedVersion), JSON.stringify(setups));
    assert.equal(agent.records.filter((r) => typeof r.msg === 'string' && r.msg.startsWith('cannot split job')).length, 0);
    assert.equal(agent.records.filter((r) => r.msg === 'chain silent: re-initialising').length, 0);
    // The fixed pool never got a channel; the good one got shares with rolled versions.
    assert.equal(fixed.stats().channelsOpened, 0);
    assert.ok(asks.stats().accepted >= 3);
    assert.deepEqual(asks.stats().rejected, {});
    const last = statusRecords(agent).at(-1) as LogRecord;
    assert.equal(last.mode, 'pool');
    const { code } = await agent.stop('SIGTERM');
    assert.equal(code, 0);
  } finally {
    await agent.stop('SIGKILL');
    await fixed.stop();
    await asks.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
