/**
 * Turns a board-config into the parts the Board runs: drivers for each I2C device on one bus, the
 * temperature sensors, fan channels, regulator and power monitor they provide, and the GPIO lines.
 * The bus and the GPIO opener are given, so the same code builds a real board (i2c-bus + sysfs) and a
 * simulated one (SimBoard).
 */
import { Ds4432u } from '../../drivers/i2c/ds4432u.js';
import { Emc2101 } from '../../drivers/i2c/emc2101.js';
import { Emc2302 } from '../../drivers/i2c/emc2302.js';
import { Ina260 } from '../../drivers/i2c/ina260.js';
import type { FanChannel, PowerMonitor, RegulatorLimits, TemperatureSensor, VoltageRegulator, VoltageTrim } from '../../drivers/i2c/peripheral.js';
import { Tmp1075 } from '../../drivers/i2c/tmp1075.js';
import { Tps546 } from '../../drivers/i2c/tps546.js';
import type { GpioLine, GpioOpener } from '../../drivers/transport/gpio-line.js';
import type { I2cBus } from '../../drivers/transport/i2c-bus.js';
import type { BoardConfig } from '../config/board-config.js';
import { systemClock, type Clock } from '../clock.js';

export interface BoardParts {
  name: string;
  bus: I2cBus;
  temps: TemperatureSensor[];
  fans: FanChannel[];
  regulator?: VoltageRegulator;
  regulatorLimits?: RegulatorLimits;
  trim?: VoltageTrim;
  powerMonitor?: PowerMonitor;
  /** The chains' reset lines (only chains that have one), logical 1 = chain held in reset. */
  resetLines: GpioLine[];
  /** By chain index: the chain's reset line, or undefined when the board has none for it. */
  chainResets: (GpioLine | undefined)[];
  /** Logical 1 = board power on. */
  powerEnable?: GpioLine;
  /** Clock time a chain reset line was last released (by the board or a chain's reset pulse), ms. */
  resetReleasedAt?(): number | undefined;
  /** Identifies and configures the fan controllers and monitors (not the regulator: that is power-up). */
  initPeripherals(): Promise<void>;
}

/** Builds the drivers and opens the GPIO lines in their safe state (reset held, power off). */
export async function openBoardParts(config: BoardConfig, bus: I2cBus, openGpio: GpioOpener, clock: Clock = systemClock): Promise<BoardParts> {
  const temps: TemperatureSensor[] = [];
  const fans: FanChannel[] = [];
  const inits: (() => Promise<void>)[] = [];
  let regulator: VoltageRegulator | undefined;
  let trim: VoltageTrim | undefined;
  let powerMonitor: PowerMonitor | undefined;

  for (const [name, d] of Object.entries(config.i2c.devices)) {
    switch (d.ic) {
      case 'emc2101': {
        const chip = new Emc2101(bus, {
          id: name,
          address: d.address,
          external: d.external ?? 'chip',
          internal: d.internal ?? 'ambient',
          ...(d.ideality === undefined ? {} : { ideality: d.ideality }),
          ...(d.beta === undefined ? {} : { beta: d.beta }),
          ...(d.offset_c === undefined ? {} : { offsetC: d.offset_c }),
        });
        temps.push(...chip.sensors());
        fans.push(...chip.fans());
        inits.push(() => chip.init());
        break;
      }
      case 'emc2302': {
        const chip = new Emc2302(bus, name, d.address);
        fans.push(...chip.fans());
        inits.push(() => chip.init());
        break;
      }
      case 'tmp1075':
      case 'tmp75':
        temps.push(new Tmp1075(bus, name, d.address, d.sensor ?? 'board', d.offset_c ?? 0));
        break;
      case 'tps546d24a': {
        // Its temperature (kind "vr") comes with the telemetry the board reads every tick.
        regulator = new Tps546(bus, name, d.address, clock);
        break;
      }
      case 'ds4432u':
        trim = new Ds4432u(bus, name, d.address);
        break;
      case 'ina260': {
        const mon = new Ina260(bus, name, d.address);
        powerMonitor = mon;
        inits.push(() => mon.init());
        break;
      }
    }
  }

  // Open the lines already driven safe: a line opened "released" for even a moment could let a chain
  // out of reset or switch the board on.
  // Every release is noted: a chip diode's first readings after it are not to be trusted.
  let releasedAt: number | undefined;
  const chainResets: (GpioLine | undefined)[] = [];
  for (const [n, c] of config.chain.entries()) {
    const line = c.reset ? await openGpio(`reset${n}`, { chip: c.reset.chip, line: c.reset.line, activeLow: c.reset.active_low }, 1) : undefined;
    chainResets.push(line ? noteReleases(line, () => (releasedAt = clock.now())) : undefined);
  }
  const resetLines = chainResets.filter((l): l is GpioLine => l !== undefined);
  const pe = config.gpio.power_enable;
  const powerEnable = pe ? await openGpio('power_enable', { chip: pe.chip, line: pe.line, activeLow: pe.active_low }, 0) : undefined;

  const r = config.regulator;
  const regulatorLimits: RegulatorLimits | undefined = r
    ? {
        voutMin: r.vout_min,
        voutMax: r.vout_max,
        vinOn: r.vin_on,
        vinOff: r.vin_off,
        vinOvFault: r.vin_ov_fault,
        ioutOcWarn: r.iout_oc_warn,
        ioutOcFault: r.iout_oc_fault,
        otWarn: r.ot_warn,
        otFault: r.ot_fault,
        switchingKhz: r.switching_khz,
        voutScaleLoop: r.vout_scale_loop,
        controlPin: r.control_pin ?? pe !== undefined,
        stackConfig: r.stack_config,
        syncConfig: r.sync_config,
        phase: r.phase,
      }
    : undefined;

  return {
    name: config.name,
    bus,
    temps,
    fans,
    resetLines,
    chainResets,
    ...(regulator ? { regulator } : {}),
    ...(regulatorLimits ? { regulatorLimits } : {}),
    ...(trim ? { trim } : {}),
    ...(powerMonitor ? { powerMonitor } : {}),
    ...(powerEnable ? { powerEnable } : {}),
    resetReleasedAt: () => releasedAt,
    async initPeripherals() {
      for (const init of inits) await init();
    },
  };
}

/** The same line, calling `released` after every write of 0 (released). */
function noteReleases(line: GpioLine, released: () => void): GpioLine {
  return {
    name: line.name,
    activeLow: line.activeLow,
    direction: () => line.direction(),
    setDirection: (d, initial) => line.setDirection(d, initial),
    read: () => line.read(),
    async write(v) {
      await line.write(v);
      if (v === 0) released();
    },
    writeSync(v) {
      line.writeSync(v);
      if (v === 0) released();
    },
    release: () => line.release(),
  };
}
