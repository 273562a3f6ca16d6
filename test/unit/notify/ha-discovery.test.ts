// Home Assistant discovery configs and the state JSON, from a known snapshot: one device for every
// entity, every value_template names a key the state carries, units and classes Home Assistant knows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { discoveryMessages, minerState, slug, topics } from '../../../src/notify/ha-discovery.js';
import { sampleSnapshot } from '../../helpers/api-snapshot.js';

const o = { baseTopic: 'asic-agent', nodeId: 'rig-7', discoveryPrefix: 'homeassistant', commands: false };

test('the state: hashrate in TH/s, power, efficiency in J/TH, shares, pool, temperatures, fans, alarms', () => {
  const s = minerState(sampleSnapshot());
  assert.equal(s.hashrate_ths, 3.5);
  assert.equal(s.hashrate_nominal_ths, 4);
  assert.equal(s.power_w, 122.9);
  assert.equal(s.efficiency_jth, Math.round((122.9 / 3.5) * 100) / 100);
  assert.equal(s.accepted, 120);
  assert.equal(s.pool, 'main');
  assert.equal(s.temp_chain0_chip, 61.5);
  assert.equal(s.chain1_temp, 62.5);
  assert.equal(s.fan_fan0_rpm, 3120);
  assert.equal(s.fan_fan1_duty, 45);
  assert.equal(s.alarms, 1);
  assert.equal(s.problem, 'ON');
  assert.match(String(s.alarm_text), /^\[warning\] pool refused our template/);
  assert.equal(slug('Fan.Front #1'), 'fan_front_1');
});

test('discovery: one retained config per entity, one device, templates name state keys', () => {
  const snap = sampleSnapshot();
  const state = minerState(snap);
  const msgs = discoveryMessages(snap, o, state);
  const t = topics(o);
  const ids = new Set<string>();
  for (const m of msgs) {
    const p = m.payload as Record<string, unknown> & { device: { identifiers: string[]; model: string; sw_version: string } };
    assert.match(m.topic, /^homeassistant\/(sensor|binary_sensor|button)\/rig-7\/[a-z0-9_]+\/config$/);
    assert.ok(!ids.has(String(p.unique_id)), `unique ${String(p.unique_id)}`);
    ids.add(String(p.unique_id));
    assert.deepEqual(p.device.identifiers, ['asic-agent_rig-7']);
    assert.equal(p.device.model, 'sim-bm1366-2x4');
    assert.equal(p.device.sw_version, 'asic-agent 0.1.0');
    assert.equal(p.availability_topic, t.availability);
    assert.equal(p.state_topic, t.state);
    const key = /^\{\{ value_json\.([a-z0-9_]+) \}\}$/.exec(String(p.value_template))?.[1];
    assert.ok(key && key in state, `${m.topic}: ${String(p.value_template)}`);
  }
  const by = (k: string): Record<string, unknown> | undefined => msgs.find((m) => m.topic.endsWith(`/${k}/config`))?.payload;
  assert.equal(by('power_w')?.device_class, 'power');
  assert.equal(by('efficiency_jth')?.unit_of_measurement, 'J/TH');
  assert.equal(by('accepted')?.state_class, 'total_increasing');
  assert.equal(by('temp_board')?.device_class, 'temperature');
  assert.equal(by('problem')?.device_class, 'problem');
  assert.equal(by('pause'), undefined, 'no command entities unless commands are on');
  const withCommands = discoveryMessages(snap, { ...o, commands: true }, state);
  const pause = withCommands.find((m) => m.topic === 'homeassistant/button/rig-7/pause/config')?.payload;
  assert.equal(pause?.command_topic, t.command);
  assert.equal(pause?.payload_press, 'pause');
});
