// Issue 15, point 5: the temperature that protects a board is chosen per board, with an offset, as
// ESP-Miner does (device_config.h): the DS4432U/INA260 Ultra boards use the EMC2101's own die + 5 °C, not
// the external diode; Gamma boards write ideality 0x24 and beta 0x00.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { EMC2101 } from '../../../drivers/i2c/emc2101.js';
import { Emc2101Sim } from '../../../workshop/sim/emc2101-sim.js';
import { SimBoard } from '../../../workshop/sim/sim-board.js';
import { openBoardParts } from '../../../src/board/board-parts.js';
import { ManualClock } from '../../../src/clock.js';
import { loadBoardConfig } from '../../../src/config/run-config.js';

/** A template's peripherals as simulators (templates describe real boards and have no [sim] section). */
async function simulatedTemplate(name: string) {
  const board = loadBoardConfig(fileURLToPath(new URL(`../../../board-configs/${name}`, import.meta.url)));
  const sim = new SimBoard(
    {
      devices: Object.entries(board.i2c.devices).map(([n, d]) => ({ name: n, ic: d.ic, address: d.address })),
      resetLines: [],
      thermal: { ambientC: 25, heatCapacity: 50, passiveConductance: 0.5, fanConductance: 5 },
      chipPowerW: 15,
      idlePowerFraction: 0.1,
      nominalCoreVolts: board.asic.voltage,
      voltageDomains: 1,
      vin: 5,
      regulatorEfficiency: 0.9,
      fanMaxRpm: 6000,
      fanTauS: 1,
    },
    new ManualClock(),
  );
  const parts = await openBoardParts(board, sim.bus, async (role, spec, initial) => ({
    name: role,
    activeLow: spec.activeLow,
    direction: () => 'out',
    setDirection: async () => undefined,
    read: async () => initial,
    write: async () => undefined,
    writeSync: () => undefined,
    release: async () => undefined,
  }));
  await parts.initPeripherals();
  const emc = sim.bus.deviceAt(0x4c);
  assert.ok(emc instanceof Emc2101Sim);
  return { parts, emc };
}

test('Ultra (DS4432U, INA260): the chip temperature is the EMC2101 die + 5 °C; the external diode is not used', async () => {
  const { parts, emc } = await simulatedTemplate('bitaxe-ultra-pi.example.toml');
  assert.deepEqual(
    parts.temps.map((t) => [t.id, t.kind]),
    [['fan.internal', 'chip']],
  );
  const internal = emc.read(EMC2101.INTERNAL_TEMP, 1)[0] as number;
  const r = await (parts.temps[0] as (typeof parts.temps)[number]).read();
  assert.equal(r.c, internal + 5);
});

test('Gamma: ideality 0x24 and beta 0x00 are written (the EMC2101 resets to 0x12 and 0x08)', async () => {
  const { parts, emc } = await simulatedTemplate('bitaxe-gamma-pi.example.toml');
  assert.equal(emc.regs[EMC2101.IDEALITY], 0x24);
  assert.equal(emc.regs[EMC2101.BETA], 0x00);
  assert.deepEqual(
    parts.temps.map((t) => [t.id, t.kind]),
    [
      ['fan.external', 'chip'],
      ['fan.internal', 'ambient'],
    ],
  );
});
