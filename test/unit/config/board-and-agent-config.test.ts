import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { boardConfigSchema, boardFanCount } from '../../../src/config/board-config.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadRunConfig, resolveBoardRef } from '../../../src/config/run-config.js';
import { parseToml, validate } from '../../../src/config/toml-file.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const SIM = readFileSync(join(root, 'board-configs/sim-bm1370.toml'), 'utf8');

function boardIssues(src: string): string {
  try {
    validate(boardConfigSchema, parseToml(src, 'b.toml'));
    return 'ok';
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
}

function lineNo(src: string, needle: string): number {
  return src.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

test('the shipped board-configs and the example agent config are valid', () => {
  const sim = loadRunConfig(join(root, 'board-configs/sim-bm1370.toml'));
  assert.equal(sim.kind, 'board');
  assert.equal(sim.board.chain.length, 2);
  assert.equal(sim.board.asic.family, 'bm1370');
  assert.equal(boardFanCount(sim.board), 1);
  assert.ok(sim.board.sim);
  const pi = loadRunConfig(join(root, 'board-configs/bitaxe-gamma-pi.example.toml'));
  assert.equal(pi.board.sim, undefined);
  assert.match(pi.board.description, /TEMPLATE \(not run on hardware\)/);
  const ex = loadRunConfig(join(root, 'config.example.toml'));
  assert.equal(ex.kind, 'agent');
  assert.equal(ex.board.name, 'sim-bm1370');
  assert.equal(ex.limits.dangerousC, 75);
  assert.equal(ex.fans.minFans, 1);
  assert.equal(ex.limits.coolC, 45);
});

test('board-config cross checks name the key and the line', () => {
  const cases: [string, string, RegExp][] = [
    ['power = { ic = "ina260", address = 0x40 }', 'power = { ic = "ina260", address = 0x24 }', /i2c\.devices\.(vreg|power)\.address: 0x24 is also used by/],
    ['external = "chip", internal = "ambient" }', 'external = "none", internal = "ambient" }', /i2c\.devices: has no chip or board temperature sensor/],
    [
      'power_enable = { chip = "sim-gpio", line = 2',
      'power_enable = { chip = "sim-gpio", line = 1',
      /gpio\.power_enable: sim-gpio:1 is also used by chain\[1\]\.reset/,
    ],
    ['frequency_mhz = 525', 'frequency_mhz = 700', /asic\.frequency_mhz: 700 MHz must lie within min_frequency_mhz\.\.max_frequency_mhz/],
    ['faults = []', 'faults = ["fan-stal@3"]', /sim\.faults\[0\]: unknown fault "fan-stal"/],
    [
      'vreg = { ic = "tps546d24a", address = 0x24 }',
      'vreg = { ic = "tps546d24a", address = 0x24, sensor = "vr" }',
      /i2c\.devices\.vreg\.sensor: does not apply to an tps546d24a/,
    ],
    ['max_iout_a = 28', 'max_iout_a = 31', /power\.max_iout_a: 31 A is above the regulator's iout_oc_warn \(30 A\)/],
    ['kind = "board"', 'kind = "boards"', /kind: "boards" is not allowed; expected one of "board"/],
    ['uart = "sim:chain0"', 'uart = "ttyS1"', /chain\[0\]\.uart: "ttyS1" is not a device path/],
    ['hot = 70', 'hot = 80', /temperature\.hot: 80 °C must be below dangerous \(75 °C\)/],
  ];
  for (const [from, to, want] of cases) {
    assert.ok(SIM.includes(from), from);
    const src = SIM.replace(from, to);
    const out = boardIssues(src);
    assert.match(out, want, `${to}\n-> ${out}`);
    const reported = /^b\.toml:(\d+):/.exec(out);
    assert.ok(reported, out);
    assert.ok(Number(reported[1]) > 0);
  }
  // The line is the one that holds the key.
  const src = SIM.replace('frequency_mhz = 525', 'frequency_mhz = 700');
  assert.ok(boardIssues(src).startsWith(`b.toml:${lineNo(src, 'frequency_mhz = 700')}:`));
  // A missing [regulator] for a TPS546 board.
  const noReg = SIM.replace(/\[regulator\][\s\S]*?\n\[power\]/, '[power]');
  assert.match(boardIssues(noReg), /regulator: missing; a board with a tps546d24a needs its limits/);
});

function withFiles(files: Record<string, string>, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'asic-agent-cfg-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function agentIssues(text: string): string {
  let out = '';
  withFiles({ 'agent.toml': text }, (dir) => {
    try {
      loadRunConfig(join(dir, 'agent.toml'));
      out = 'ok';
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      out = e.message.replaceAll(dir, 'DIR');
    }
  });
  return out;
}

test('agent config: defaults come from the board-config, overrides stay within its limits', () => {
  assert.equal(agentIssues('version = 1\n[board]\nconfig = "sim-bm1370"\n'), 'ok');
  const cases: [string, RegExp][] = [
    [
      '[temperature]\ndangerous = 80',
      /DIR\/agent\.toml:5: temperature\.dangerous: 80 °C is above the board's dangerous limit \(75 °C in sim-bm1370\); it can only be lowered/,
    ],
    ['[temperature]\ntarget = 72', /temperature\.target: target \(72 °C\) must be below hot \(70 °C\)/],
    ['[temperature]\ncool = 65', /temperature\.cool: cool \(65 °C\) must be below target \(60 °C\)/],
    ['[fans]\nmin_fans = 2', /agent\.toml:5: fans\.min_fans: 2 is more than the 1 fan sim-bm1370 has/],
    ['[fans]\nmin_fans = 0', /fans\.min_fans: must be at least 1 outside immersion mode; immersion is a mode/],
    ['[fans]\nmode = "immersion"\nmin_fans = 1', /fans\.min_fans: must be 0 or absent in immersion mode/],
    ['[fans]\nmin_duty = 60\nmax_duty = 40', /fans\.min_duty: 60 % is above max_duty \(40 %\)/],
    ['[fans]\nmode = "manual"\nduty = 10', /fans\.duty: 10 % is below min_duty \(20 %\)/],
  ];
  for (const [section, want] of cases) {
    const out = agentIssues(`version = 1\n[board]\nconfig = "sim-bm1370"\n${section}\n`);
    assert.match(out, want, out);
  }
  assert.match(
    agentIssues('version = 1\n[board]\nconfig = "sim-bm1370"\nfrequency_mhz = 650\n'),
    /agent\.toml:4: board\.frequency_mhz: 650 MHz is outside sim-bm1370's 50\.\.600 MHz/,
  );
  assert.match(agentIssues('version = 1\n[board]\nconfig = "sim-bm1370"\nvoltage = 1.5\n'), /board\.voltage: 1\.5 V is outside sim-bm1370's 1\.\.1\.3 V/);
  assert.match(agentIssues('version = 1\n[board]\nconfig = "no-such-board"\n'), /agent\.toml:3: board\.config: board-config "no-such-board" not found/);
  assert.match(agentIssues('version = 1\n'), /agent\.toml: board: missing; expected a table with keys config, frequency_mhz, voltage/);
  assert.match(
    agentIssues('version = 1\n[board]\nconfig = "sim-bm1370"\n[poool]\nurl = "x"\n'),
    /agent\.toml:4: poool: unknown key; the agent config allows kind, version, board, temperature, fans, log, pool, group, pools, api/,
  );
  // [pool] is a list: [[pool]] tables.
  assert.match(agentIssues('version = 1\n[board]\nconfig = "sim-bm1370"\n[pool]\nurl = "x"\n'), /agent\.toml:4: pool: expected an array with 1 to 32 entries/);
});

test('an agent config may point at a board-config by path; a broken board-config reports its own file', () => {
  withFiles({ 'mine.toml': SIM.replace('hot = 70', 'hot = 90'), 'agent.toml': 'version = 1\n[board]\nconfig = "./mine.toml"\n' }, (dir) => {
    assert.equal(resolveBoardRef('./mine.toml', join(dir, 'agent.toml')), join(dir, 'mine.toml'));
    assert.throws(
      () => loadRunConfig(join(dir, 'agent.toml')),
      (e: unknown) => e instanceof ConfigError && e.file === join(dir, 'mine.toml') && /temperature\.hot: 90 °C must be below dangerous/.test(e.message),
    );
  });
});
