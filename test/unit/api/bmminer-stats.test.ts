// The bmminer-style STATS[1]: per-chain keys numbered from 1, chip and board temperatures of the chain,
// rates in GH/s, chip maps as bmminer prints them, power and the active alarms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bmminerStatsItem, boardWatts } from '../../../src/api/bmminer-stats.js';
import { sampleSnapshot } from '../../helpers/api-snapshot.js';

const asObj = (item: readonly (readonly [string, string, number | string | boolean])[]): Record<string, number | string | boolean> =>
  Object.fromEntries(item.map(([k, , v]) => [k, v]));

test('bmminer keys for every chain, numbered from 1', () => {
  const s = sampleSnapshot();
  s.chains[0]!.boardTemperature = 48.4;
  const o = asObj(bmminerStatsItem(s, []));
  assert.equal(o.miner_count, 2);
  assert.equal(o.fan_num, 2);
  assert.equal(o.fan1, 3120);
  assert.equal(o.fan2, 0, 'a fan without a tachometer reads 0');
  assert.equal(o.temp1, 62, 'chain 0 chip temperature, rounded');
  assert.equal(o.temp2_1, 48);
  assert.equal(o.temp2_2, 0, 'no board reading for chain 1: 0, which pyasic leaves unset');
  assert.equal(o.chain_acn1, 4);
  assert.equal(o.chain_acn2, 3);
  assert.equal(o.chain_acn_expected2, 4);
  assert.equal(o.chain_acs2, 'ooxo');
  assert.equal(o.chain_rate1, (2e12 * 1.01) / 1e9);
  assert.equal(o.total_rateideal, 4000);
  assert.equal(o.rate_unit, 'GH');
  assert.equal(o['GHS 5s'], (3.5e12 * 1.01) / 1e9);
  assert.equal(o.power, 122.9);
  assert.equal(o.alarm_num, 1);
  assert.equal(o.alarm_kind1, 'censorship');
  assert.equal(o.state, 'running');
});

test('a disabled chain reads 0 chips (pyasic: missing); a chip map breaks every 8 chips; power from the input monitor first', () => {
  const s = sampleSnapshot();
  s.chains[1]!.state = 'disabled';
  s.chains[0]!.chips = Array.from({ length: 10 }, (_, chip) => ({ chip, hashrate: s.chains[0]!.hashrate, validNonces: 0, hwErrors: 0, silent: chip === 9 }));
  const o = asObj(bmminerStatsItem(s, []));
  assert.equal(o.chain_acn2, 0);
  assert.equal(o.chain_acs1, 'oooooooo ox');
  s.power.push({ name: 'input', volts: 12, amps: 11, watts: 132, faults: [] });
  assert.equal(boardWatts(s), 132);
  s.power = [];
  assert.equal(boardWatts(s), undefined);
});
