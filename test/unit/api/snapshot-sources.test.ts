// The adapter building blocks over the real MiningStats and PoolManager (in-test upstreams, ManualClock):
// hashrate windows from the meters, per-chip counters with silent chips, shares by pool/result/reason,
// pool state and switches, monotonic times turned into Unix seconds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../src/clock.js';
import { hashrateOf, protocolOfUrl, wallTime } from '../../../src/api/snapshot-sources.js';
import { HashrateMeter } from '../../../src/mining/hashrate-meter.js';
import { SIM_CHIP_NOMINAL, SIM_TICKET, SimAgent } from '../../helpers/sim-agent.js';

const TWO_32 = 2 ** 32;

test('a simulated minute: chains, chips, hashrate, shares and pools in the snapshot', async () => {
  const clock = new ManualClock(0, 1_700_000_000);
  const sim = new SimAgent(clock);
  sim.start(20);
  clock.advance(61_000);
  await Promise.resolve();
  const s = sim.snapshot();
  await sim.stop();

  // 7 chips alive × 50 nonces/s × ticket 256 × 2^32 hashes per nonce.
  const chipRate = 50 * SIM_TICKET * TWO_32;
  assert.equal(s.hashrate.rate1m, 7 * chipRate);
  assert.equal(s.hashrate.rate5s, 7 * chipRate);
  assert.equal(s.hashrate.nominal, 8 * SIM_CHIP_NOMINAL);
  assert.equal(s.validNonces, sim.recorded.nonces);
  assert.equal(s.hwErrors, sim.recorded.hwErrors);
  assert.equal(s.diff1Work, sim.recorded.nonces * SIM_TICKET);

  const [c0, c1] = s.chains;
  assert.ok(c0 && c1);
  assert.equal(c0.chipsAlive, 4);
  assert.equal(c1.chipsAlive, 3);
  assert.equal(c1.chips.length, 4);
  assert.equal(c1.chips[2]?.silent, true);
  assert.equal(c1.chips[2]?.validNonces, 0);
  assert.equal(c1.chips[2]?.hashrate.rate1m, 0);
  assert.equal(c1.chips[1]?.hashrate.rate1m, chipRate);
  assert.equal(c1.chips[1]?.hashrate.nominal, SIM_CHIP_NOMINAL);
  assert.equal(c0.chips[0]?.hwErrors, sim.recorded.hwErrors);
  assert.equal(c0.hashrate.rate1m, 4 * chipRate);
  assert.equal(c1.hashrate.rate1m, 3 * chipRate);
  assert.equal(c0.validNonces + c1.validNonces, s.validNonces);
  assert.equal(c0.lastNonceAt, clock.wallSeconds());

  assert.equal(s.shares.accepted, sim.recorded.accepted);
  assert.equal(s.shares.rejected, sim.recorded.rejected);
  assert.deepEqual(s.shares.reasons, [{ result: 'rejected', reason: 'low difficulty', count: sim.recorded.rejected }]);
  assert.equal(s.shares.bestShare, 3072);
  assert.equal(s.shares.lastShareAt, clock.wallSeconds());

  const [main, backup] = s.pools;
  assert.ok(main && backup);
  assert.equal(main.id, 'main');
  assert.equal(main.protocol, 'sv2');
  assert.equal(main.user, 'bc1qsim.rig');
  assert.equal(main.status, 'alive');
  assert.equal(main.active, true);
  assert.equal(main.shares.accepted, sim.recorded.accepted);
  assert.equal(backup.protocol, 'sv1');
  assert.equal(backup.active, false);
  assert.equal(backup.priority, 1);
  assert.deepEqual(
    s.switches.map((w) => [w.to, w.reason]),
    [['main', 'initial']],
  );
  assert.equal(main.switchesTo, 1);
  assert.ok(!JSON.stringify(s.pools).includes('sim-secret'));
});

test('hashrate windows, wall time and protocol helpers', () => {
  const clock = new ManualClock(5_000, 1_800_000_000);
  const m = new HashrateMeter(clock);
  for (let i = 0; i < 10; i++) {
    m.record(1);
    clock.advance(1000);
  }
  const h = hashrateOf(m, 123);
  assert.equal(h.rate5s, TWO_32);
  assert.equal(h.nominal, 123);
  const toWall = wallTime(clock);
  assert.equal(toWall(clock.now()), clock.wallSeconds());
  assert.equal(toWall(clock.now() - 60_000), clock.wallSeconds() - 60);
  assert.equal(protocolOfUrl('stratum2+tcp://x:1/k'), 'sv2');
  assert.equal(protocolOfUrl('stratum+ssl://x:1'), 'sv1');
});
