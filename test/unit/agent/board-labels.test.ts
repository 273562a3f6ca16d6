// Reader-facing names from the board-config: set ones win; otherwise a unique kind names a sensor,
// a device key names its fan; chains are chain<n> unless named; sensors can belong to a chain.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { boardLabels } from '../../../src/agent/board-labels.js';
import { loadBoardConfig } from '../../../src/config/run-config.js';
import { SIM_BOARD_FILE, simRunConfig } from '../../helpers/sim-board.js';
import type { BoardConfig } from '../../../src/config/board-config.js';

test('defaults on the shipped sim board: chip, ambient, vr; fan; vcore and input; chain0/1', () => {
  const l = boardLabels(simRunConfig().board);
  assert.deepEqual(l.sensor('fan.external', 'chip'), { name: 'chip' });
  assert.deepEqual(l.sensor('fan.internal', 'ambient'), { name: 'ambient' });
  assert.deepEqual(l.sensor('vreg.temperature', 'vr'), { name: 'vr' });
  assert.equal(l.fan('fan.fan'), 'fan');
  assert.equal(l.rail('regulator'), 'vcore');
  assert.equal(l.rail('input'), 'input');
  assert.equal(l.chainName(1), 'chain1');
});

test('names and chain attribution from the board-config; two sensors of one kind fall back to device-channel', () => {
  const b = simRunConfig().board;
  const named: BoardConfig = {
    ...b,
    chain: b.chain.map((c, i) => ({ ...c, name: i === 0 ? 'left' : undefined })),
    i2c: {
      ...b.i2c,
      devices: {
        ...b.i2c.devices,
        fan: { ...(b.i2c.devices.fan as NonNullable<BoardConfig['i2c']['devices'][string]>), names: { external: 'asic', fan: 'front' }, chain: 1 },
        t2: {
          ic: 'tmp1075',
          address: 0x48,
          sensor: 'chip',
          external: undefined,
          internal: undefined,
          ideality: undefined,
          beta: undefined,
          offset_c: undefined,
          names: undefined,
          chain: 0,
        },
        vreg: { ...(b.i2c.devices.vreg as NonNullable<BoardConfig['i2c']['devices'][string]>), names: { rail: 'core' } },
      },
    },
  };
  const l = boardLabels(named);
  assert.equal(l.chainName(0), 'left');
  assert.equal(l.chainName(1), 'chain1');
  assert.deepEqual(l.sensor('fan.external', 'chip'), { name: 'asic', chain: 1 });
  assert.deepEqual(l.sensor('t2', 'chip'), { name: 't2-sensor', chain: 0 });
  assert.equal(l.fan('fan.fan'), 'front');
  assert.equal(l.rail('regulator'), 'core');
});

test('the board-config schema checks channel names and chain numbers', () => {
  const base = simRunConfig().boardFile;
  assert.ok(base.endsWith('sim-bm1370.toml'));
  assert.throws(() => loadBoardConfigText('fan = { ic = "emc2101", address = 0x4c, names = { sensor = "x" } }'), /names\.sensor.*external, internal, fan/s);
  assert.throws(() => loadBoardConfigText('fan = { ic = "emc2101", address = 0x4c, chain = 5 }'), /chain.*2 chain/s);
  assert.doesNotThrow(() => loadBoardConfigText('fan = { ic = "emc2101", address = 0x4c, names = { external = "asic", fan = "front" }, chain = 1 }'));
});

/** The shipped sim board with its fan line replaced. */
function loadBoardConfigText(fanLine: string): BoardConfig {
  const text = readFileSync(SIM_BOARD_FILE, 'utf8').replace(/^fan = .*$/m, fanLine);
  const f = join(mkdtempSync(join(tmpdir(), 'board-')), 'b.toml');
  writeFileSync(f, text);
  return loadBoardConfig(f);
}
