/**
 * The board-config schema (board-configs/*.toml): what a hashboard *is*. Chip family and count, the
 * chains' UARTs and reset lines, the I2C map of peripheral ICs, GPIO lines, the regulator's limits, the
 * board's temperature limits, fan loop gains, and for simulated boards a [sim] section with the physics.
 * A board-config says `kind = "board"`; docs/board.md describes every key.
 */
import { DEFAULT_MAX_NONCES_PER_S } from '../mining/ticket-difficulty.js';
import { parseSimFault } from './sim-faults.js';
import { INVALID, oneOf, int, num, str, bool, list, optional, record, table, version, withDefault, type Infer, type Schema } from './schema.js';

export const BOARD_CONFIG_VERSION = 1;

/** BM13xx families the chain driver knows (bm13xx.md). */
export const CHIP_FAMILIES = ['bm1397', 'bm1366', 'bm1368', 'bm1370', 'bm1362'] as const;
export type ChipFamily = (typeof CHIP_FAMILIES)[number];

export const PERIPHERAL_ICS = ['emc2101', 'emc2302', 'tmp1075', 'tmp75', 'tps546d24a', 'ds4432u', 'ina260'] as const;
export type PeripheralIc = (typeof PERIPHERAL_ICS)[number];

const SENSOR_KINDS = ['chip', 'board', 'vr', 'ambient'] as const;
const SENSOR_KINDS_OR_NONE = ['chip', 'board', 'vr', 'ambient', 'none'] as const;

const NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * Each part says its own backend. A chain's `uart = "sim:NAME"`, `[i2c] bus = "sim"` and GPIO lines on
 * the controller labelled SIM_GPIO_CHIP are simulated (they need a [sim] section); a /dev/ path, a bus
 * number and any other label are the real thing. So a real UART chain can run on a simulated board.
 */
export const SIM_GPIO_CHIP = 'sim-gpio';
export const SIM_I2C_BUS = 'sim';

/** `[i2c] bus`: a bus number (/dev/i2c-N) or "sim". */
const i2cBus: Schema<number | typeof SIM_I2C_BUS> = {
  describe: 'a bus number from 0 to 255 (/dev/i2c-N), or "sim" for simulated devices',
  required: true,
  check(v, key, ctx) {
    if (v === SIM_I2C_BUS) return SIM_I2C_BUS;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255) return v;
    ctx.report(key, `${JSON.stringify(v)} is not ${this.describe}`);
    return INVALID;
  },
};

const gpioLine = table({
  chip: str({ patternHint: 'a GPIO controller label (see `cat /sys/class/gpio/gpiochip*/label`)', maxLength: 64 }),
  line: int(0, 1023),
  active_low: bool(),
});

/** Keys each IC accepts besides `ic` and `address`. */
const IC_KEYS: Record<PeripheralIc, readonly string[]> = {
  emc2101: ['external', 'internal', 'ideality', 'beta', 'offset_c'],
  emc2302: [],
  tmp1075: ['sensor', 'offset_c'],
  tmp75: ['sensor', 'offset_c'],
  tps546d24a: [],
  ds4432u: [],
  ina260: [],
};

/** Channels of each IC that carry a reader-facing name (`names` in a device table; docs/board.md). */
export const IC_CHANNELS: Record<PeripheralIc, readonly string[]> = {
  emc2101: ['external', 'internal', 'fan'],
  emc2302: ['fan1', 'fan2'],
  tmp1075: ['sensor'],
  tmp75: ['sensor'],
  tps546d24a: ['temperature', 'rail'],
  ds4432u: [],
  ina260: ['rail'],
};

const device = table(
  {
    ic: oneOf(PERIPHERAL_ICS),
    address: int(0x08, 0x77),
    external: optional(oneOf(SENSOR_KINDS_OR_NONE)),
    internal: optional(oneOf(SENSOR_KINDS_OR_NONE)),
    sensor: optional(oneOf(SENSOR_KINDS)),
    ideality: optional(int(0, 255)),
    beta: optional(int(0, 255)),
    /** °C added to every reading of the device (ESP-Miner's temp_offset). */
    offset_c: optional(num(-50, 50, { unit: '°C' })),
    /** Reader-facing names of the IC's channels (APIs, metrics, MQTT): `{ external = "asic", fan = "front" }`. */
    names: optional(
      record(str({ pattern: NAME, patternHint: 'a lower-case name (letters, digits, - and _)' }), { keyPattern: /^[a-z0-9]+$/, keyHint: 'a channel name' }),
    ),
    /** The chain (0-based) this IC's temperature sensors belong to; absent = the whole board. */
    chain: optional(int(0, 15)),
  },
  {
    refine(d, report) {
      for (const k of ['external', 'internal', 'sensor', 'ideality', 'beta', 'offset_c'] as const) {
        if (d[k] !== undefined && !IC_KEYS[d.ic].includes(k)) {
          report(k, `does not apply to an ${d.ic}; ${d.ic} takes ${IC_KEYS[d.ic].length ? IC_KEYS[d.ic].join(', ') : 'only ic and address'}`);
        }
      }
      for (const ch of Object.keys(d.names ?? {})) {
        if (!IC_CHANNELS[d.ic].includes(ch))
          report(`names.${ch}`, `an ${d.ic} has ${IC_CHANNELS[d.ic].length ? `the channels ${IC_CHANNELS[d.ic].join(', ')}` : 'no named channels'}`);
      }
    },
  },
);

const asic = table(
  {
    family: oneOf(CHIP_FAMILIES),
    /** Chips per chain. */
    chips: int(1, 256),
    baud: withDefault(int(9600, 12_000_000), 115_200),
    fast_baud: optional(int(9600, 12_000_000)),
    frequency_mhz: num(10, 1500, { unit: 'MHz' }),
    min_frequency_mhz: num(10, 1500, { unit: 'MHz' }),
    max_frequency_mhz: num(10, 1500, { unit: 'MHz' }),
    /** How far one "reduce frequency" request (hot) steps down. */
    frequency_step_mhz: withDefault(num(1, 500, { unit: 'MHz' }), 25),
    /** Core volts per voltage domain. */
    voltage: num(0.2, 5, { unit: 'V' }),
    min_voltage: num(0.2, 5, { unit: 'V' }),
    max_voltage: num(0.2, 5, { unit: 'V' }),
    /** Series domains: the regulator output is voltage × domains. */
    voltage_domains: withDefault(int(1, 64), 1),
    /** Fewest chips per chain that must answer for it to hash with them (default: all of them). */
    min_chips: optional(int(1, 256)),
    /**
     * Register 0x14's difficulty, a power of two; every nonce a chip returns meets it. Set, it pins the
     * ticket; absent, the ticket follows the chain's nominal hashrate and max_nonces_per_s.
     */
    ticket_difficulty: optional(int(1, 2 ** 30)),
    /**
     * Most nonces per second one chain may return on average: the ticket difficulty is the smallest power
     * of two that keeps the chain's nominal hashrate under it (docs/bm13xx.md "Ticket difficulty").
     */
    max_nonces_per_s: withDefault(num(0.01, 1e6, { unit: 'nonces/s' }), DEFAULT_MAX_NONCES_PER_S),
  },
  {
    refine(a, report) {
      if (!(a.min_frequency_mhz <= a.frequency_mhz && a.frequency_mhz <= a.max_frequency_mhz)) {
        report('frequency_mhz', `${a.frequency_mhz} MHz must lie within min_frequency_mhz..max_frequency_mhz (${a.min_frequency_mhz}..${a.max_frequency_mhz})`);
      }
      if (!(a.min_voltage <= a.voltage && a.voltage <= a.max_voltage)) {
        report('voltage', `${a.voltage} V must lie within min_voltage..max_voltage (${a.min_voltage}..${a.max_voltage})`);
      }
      if (a.fast_baud !== undefined && a.fast_baud < a.baud) report('fast_baud', `${a.fast_baud} is below baud ${a.baud}`);
      if (a.min_chips !== undefined && a.min_chips > a.chips) report('min_chips', `${a.min_chips} is more than the ${a.chips} chips per chain`);
      if (a.ticket_difficulty !== undefined && (a.ticket_difficulty & (a.ticket_difficulty - 1)) !== 0) {
        report('ticket_difficulty', `${a.ticket_difficulty} is not a power of two (register 0x14 holds a mask, docs/bm13xx.md "Registers")`);
      }
    },
  },
);

const chain = table({
  uart: str({ pattern: /^\/dev\/\S+$|^sim:\S*$/, patternHint: 'a device path such as /dev/ttyS1 (or sim: for a simulated chain)' }),
  reset: optional(gpioLine),
  /** Reader-facing name (APIs, metrics, MQTT); default `chain<n>`. */
  name: optional(str({ pattern: NAME, patternHint: 'a lower-case name (letters, digits, - and _)' })),
});

const regulator = table(
  {
    vout_min: num(0, 20, { unit: 'V' }),
    vout_max: num(0, 20, { unit: 'V' }),
    vin_on: num(0, 60, { unit: 'V' }),
    vin_off: num(0, 60, { unit: 'V' }),
    vin_ov_fault: num(0, 60, { unit: 'V' }),
    iout_oc_warn: num(0, 200, { unit: 'A' }),
    iout_oc_fault: num(0, 200, { unit: 'A' }),
    ot_warn: num(0, 200, { unit: '°C' }),
    ot_fault: num(0, 200, { unit: '°C' }),
    switching_khz: withDefault(num(100, 2000, { unit: 'kHz' }), 650),
    vout_scale_loop: withDefault(num(0.01, 1), 0.25),
    /** The CONTROL pin is wired to the power-enable line (default: when [gpio] power_enable exists). */
    control_pin: optional(bool()),
    /**
     * TPS546 stacking, written at every start (ESP-Miner main/power/vcore.c get_tps546_config
     * @5c27713116c7): single-phase boards 0x0000 / 0x10 / 0x00; a two-module stack (Gamma Turbo) 0x0001 /
     * 0xD0 / 0xFF.
     */
    stack_config: withDefault(int(0, 0xffff), 0x0000),
    sync_config: withDefault(int(0, 0xff), 0x10),
    phase: withDefault(int(0, 0xff), 0x00),
  },
  {
    refine(r, report) {
      if (r.vout_min >= r.vout_max) report('vout_min', `must be below vout_max (${r.vout_max} V)`);
      if (r.vin_off >= r.vin_on) report('vin_off', `must be below vin_on (${r.vin_on} V)`);
      if (r.vin_ov_fault <= r.vin_on) report('vin_ov_fault', `must be above vin_on (${r.vin_on} V)`);
      if (r.iout_oc_warn >= r.iout_oc_fault) report('iout_oc_warn', `must be below iout_oc_fault (${r.iout_oc_fault} A)`);
      if (r.ot_warn >= r.ot_fault) report('ot_warn', `must be below ot_fault (${r.ot_fault} °C)`);
    },
  },
);

const power = table({
  /** After switching the regulator on: wait this long before releasing the chains and checking VOUT. */
  settle_ms: withDefault(int(0, 10_000, { unit: 'ms' }), 500),
  /** Chains stay in reset at least this long after power is good (ESP-Miner: 100 ms). */
  reset_hold_ms: withDefault(int(0, 10_000, { unit: 'ms' }), 100),
  /** After releasing reset, wait this long before the chains are touched (ESP-Miner: 100 ms). */
  reset_release_ms: withDefault(int(0, 10_000, { unit: 'ms' }), 100),
  vout_tolerance_v: withDefault(num(0.001, 2, { unit: 'V' }), 0.05),
  max_iout_a: num(0.1, 500, { unit: 'A' }),
});

const temperature = table(
  {
    target: num(0, 150, { unit: '°C' }),
    hot: num(0, 150, { unit: '°C' }),
    dangerous: num(0, 150, { unit: '°C' }),
    vr_hot: withDefault(num(0, 200, { unit: '°C' }), 95),
    vr_dangerous: withDefault(num(0, 200, { unit: '°C' }), 105),
    /** Chip-diode readings are ignored this long after a chain leaves reset (mujina: 500 ms). */
    diode_settle_ms: withDefault(int(0, 10_000, { unit: 'ms' }), 500),
    /** Dangerous readings in a row that stop the board (mujina: 3); the board re-samples every 100 ms meanwhile. */
    confirm_readings: withDefault(int(1, 10), 3),
    /** Readings outside plausible_min..plausible_max are failed readings, not temperatures (mujina: 0..120 °C). */
    plausible_min: withDefault(num(-60, 50, { unit: '°C' }), 0),
    plausible_max: withDefault(num(50, 250, { unit: '°C' }), 120),
  },
  {
    refine(t, report) {
      if (!(t.target < t.hot)) report('target', `${t.target} °C must be below hot (${t.hot} °C)`);
      if (!(t.hot < t.dangerous)) report('hot', `${t.hot} °C must be below dangerous (${t.dangerous} °C)`);
      if (!(t.vr_hot < t.vr_dangerous)) report('vr_hot', `${t.vr_hot} °C must be below vr_dangerous (${t.vr_dangerous} °C)`);
      if (!(t.dangerous < t.plausible_max))
        report('plausible_max', `${t.plausible_max} °C must be above dangerous (${t.dangerous} °C), or a real over-temperature would read as a failed sensor`);
    },
  },
);

const fans = table({
  /** Tach floor: below this while the duty is > 0, a fan counts as stalled. */
  stall_rpm: withDefault(int(0, 20_000, { unit: 'rpm' }), 300),
  pid: withDefault(table({ kp: num(0, 100), ki: num(0, 100), kd: num(0, 1000) }), { kp: 4, ki: 0.15, kd: 0 }),
});

const control = table({
  /** The thermal loop period. */
  poll_ms: withDefault(int(50, 10_000, { unit: 'ms' }), 500),
  /** Each step of a safe stop (one I2C or GPIO operation) gives up after this long. */
  step_timeout_ms: withDefault(int(10, 60_000, { unit: 'ms' }), 1000),
});

const sim = table({
  ambient_c: withDefault(num(-40, 80, { unit: '°C' }), 25),
  heat_capacity_j_per_c: num(1, 1e6),
  passive_w_per_c: num(0, 1000),
  fan_w_per_c: num(0, 1000),
  /** All chips together at the default voltage and frequency. */
  chip_power_w: num(0, 100_000, { unit: 'W' }),
  idle_power_fraction: withDefault(num(0, 1), 0.1),
  vin: num(1, 60, { unit: 'V' }),
  regulator_efficiency: withDefault(num(0.3, 1), 0.9),
  fan_max_rpm: withDefault(int(100, 50_000, { unit: 'rpm' }), 6000),
  fan_tau_s: withDefault(num(0.01, 60, { unit: 's' }), 1),
  /** Per chip at the default frequency, for the simulated chains. */
  hashrate_ghs: num(0.001, 100_000, { unit: 'GH/s' }),
  /** Register 0x14's difficulty for the simulated chains (default: as a real board, from [asic]). */
  ticket_difficulty: optional(num(1, 1e12)),
  /**
   * What each simulated chain really hashes on this CPU, H/s (a CPU cannot reach the chips' rate); the
   * chain simulator runs behind a pseudo-terminal in its own process (`asic-agent sim`).
   */
  chain_hashrate_hs: withDefault(num(1, 1e8, { unit: 'H/s' }), 200_000),
  /**
   * Sim-only ticket difficulty for those chains (below 1 so that a CPU finds nonces; never sent to a
   * chip). Default: the power of two giving about `chain_nonces_per_s` nonces per second.
   */
  sim_ticket_difficulty: optional(num(2 ** -40, 1e12)),
  chain_nonces_per_s: withDefault(num(0.1, 10_000), 20),
  /** Chain simulator faults (`asic-agent sim --faults` syntax), e.g. "corrupt=0.01,die=2@20000". */
  chain_faults: optional(str({ maxLength: 400 })),
  /**
   * Replay mode: each chain returns this many pre-found nonces per second without hashing (benchmarks of
   * the agent's own CPU). Every replayed nonce is valid (sim ticket 2^-32).
   */
  chain_replay_nonces_per_s: optional(num(1, 1e6)),
  seed: withDefault(int(0, 0xffffffff), 1),
  /**
   * Silicon-lottery chips (workshop/sim/lottery, docs/tuning.md): every simulated chip gets hidden, seeded
   * limits and power, so that clocks and the rail matter as on real boards (the autotuner's ground).
   */
  lottery: withDefault(bool(), false),
  /** The lottery's seed (default: `seed`); the same seed draws the same chips. */
  lottery_seed: optional(int(0, 0xffffffff)),
  /** Faults to inject on every run of this board, `name[:target]@seconds`. */
  faults: withDefault(list(str({ pattern: /^[a-z-]+(?::\d+)?@\d+(?:\.\d+)?$/, patternHint: 'a fault such as "fan-stall@10"' })), []),
});

export const boardConfigSchema = table(
  {
    kind: oneOf(['board'] as const),
    version: version(BOARD_CONFIG_VERSION),
    name: str({ pattern: NAME, patternHint: 'a lower-case name (letters, digits, - and _)' }),
    description: withDefault(str({ maxLength: 400 }), ''),
    asic,
    chain: list(chain, { min: 1, max: 16 }),
    gpio: withDefault(table({ power_enable: optional(gpioLine) }), { power_enable: undefined }),
    i2c: table({ bus: i2cBus, devices: record(device, { keyPattern: NAME, keyHint: 'a lower-case name' }) }),
    regulator: optional(regulator),
    power,
    temperature,
    fans: withDefault(fans, { stall_rpm: 300, pid: { kp: 4, ki: 0.15, kd: 0 } }),
    control: withDefault(control, { poll_ms: 500, step_timeout_ms: 1000 }),
    sim: optional(sim),
  },
  {
    title: 'a board-config',
    refine(b, report) {
      const devs = Object.entries(b.i2c.devices);
      const byAddress = new Map<number, string>();
      for (const [name, d] of devs) {
        const other = byAddress.get(d.address);
        if (other !== undefined) report(`i2c.devices.${name}.address`, `0x${d.address.toString(16)} is also used by ${other}`);
        byAddress.set(d.address, name);
      }
      const count = (ics: readonly PeripheralIc[]): number => devs.filter(([, d]) => ics.includes(d.ic)).length;
      if (count(['tps546d24a', 'ds4432u']) > 1) report('i2c.devices', 'has more than one core-voltage regulator (tps546d24a / ds4432u); one is supported');
      if (count(['ina260']) > 1) report('i2c.devices', 'has more than one ina260; one is supported');
      const hasTps = count(['tps546d24a']) > 0;
      if (hasTps && !b.regulator) report('regulator', 'missing; a board with a tps546d24a needs its limits (vout_min, vout_max, vin_on, …)');
      if (!hasTps && b.regulator) report('regulator', 'only applies to a tps546d24a, and this board has none');
      if (b.regulator) {
        const lo = b.asic.min_voltage * b.asic.voltage_domains;
        const hi = b.asic.max_voltage * b.asic.voltage_domains;
        if (lo < b.regulator.vout_min || hi > b.regulator.vout_max) {
          report(
            'asic.min_voltage',
            `${lo}..${hi} V at the regulator (× ${b.asic.voltage_domains} domains) must lie within regulator vout_min..vout_max (${b.regulator.vout_min}..${b.regulator.vout_max} V)`,
          );
        }
        if (b.power.max_iout_a > b.regulator.iout_oc_warn)
          report('power.max_iout_a', `${b.power.max_iout_a} A is above the regulator's iout_oc_warn (${b.regulator.iout_oc_warn} A)`);
      }
      const protecting = devs.some(([, d]) => {
        if (d.ic === 'emc2101') return ['chip', 'board'].includes(d.external ?? 'chip') || ['chip', 'board'].includes(d.internal ?? 'ambient');
        if (d.ic === 'tmp1075' || d.ic === 'tmp75') return ['chip', 'board'].includes(d.sensor ?? 'board');
        return false;
      });
      if (!protecting)
        report('i2c.devices', 'has no chip or board temperature sensor (emc2101 external diode, tmp1075, tmp75): the board could not be protected');
      const lines = new Map<string, string>();
      const claim = (key: string, l: { chip: string; line: number } | undefined): void => {
        if (!l) return;
        const id = `${l.chip}:${l.line}`;
        const other = lines.get(id);
        if (other) report(key, `${id} is also used by ${other}`);
        lines.set(id, key);
      };
      b.chain.forEach((c, n) => claim(`chain[${n}].reset`, c.reset));
      const chainNames = new Set<string>();
      b.chain.forEach((c, n) => {
        if (c.name === undefined) return;
        if (chainNames.has(c.name)) report(`chain[${n}].name`, `${c.name} is used by another chain`);
        chainNames.add(c.name);
      });
      for (const [name, d] of devs)
        if (d.chain !== undefined && d.chain >= b.chain.length)
          report(`i2c.devices.${name}.chain`, `the board has ${b.chain.length} chain(s), numbered from 0`);
      claim('gpio.power_enable', b.gpio.power_enable);
      checkBackends(b, report);
      b.sim?.faults.forEach((f, n) => {
        try {
          parseSimFault(f);
        } catch (err) {
          report(`sim.faults[${n}]`, err instanceof Error ? err.message : String(err));
        }
      });
    },
  },
);

export type BoardConfig = Infer<typeof boardConfigSchema>;

/** Contradictions between the parts' backends and the [sim] section (see SIM_GPIO_CHIP). */
function checkBackends(b: BoardConfig, report: (key: string, message: string) => void): void {
  const simLine = (l: { chip: string } | undefined): boolean => l?.chip === SIM_GPIO_CHIP;
  let simulated = 0;
  b.chain.forEach((c, n) => {
    const simChain = c.uart.startsWith('sim:');
    if (simChain) simulated++;
    if (simChain && !b.sim) report(`chain[${n}].uart`, `${c.uart} is a simulated chain, and this board-config has no [sim] section`);
    if (c.reset && simLine(c.reset) !== simChain) {
      report(
        `chain[${n}].reset`,
        simChain
          ? `a simulated chain's reset line must be on "${SIM_GPIO_CHIP}" (a real line cannot reset simulated chips)`
          : `${c.uart} is a real chain: its reset line on "${SIM_GPIO_CHIP}" would never reach the chips; give its real line, or remove reset (the driver then returns the chips to 115200 by register)`,
      );
    }
    if (simLine(c.reset) && !b.sim) report(`chain[${n}].reset`, `"${SIM_GPIO_CHIP}" lines need a [sim] section`);
  });
  if (b.i2c.bus === SIM_I2C_BUS) {
    simulated++;
    if (!b.sim) report('i2c.bus', `"${SIM_I2C_BUS}" means simulated I2C devices, and this board-config has no [sim] section`);
  }
  const pe = b.gpio.power_enable;
  if (simLine(pe)) {
    simulated++;
    if (!b.sim) report('gpio.power_enable', `"${SIM_GPIO_CHIP}" lines need a [sim] section`);
  }
  if (b.sim && simulated === 0)
    report('sim', 'describes a simulated board, but no part is simulated (chain uart "sim:…", [i2c] bus = "sim" or lines on "sim-gpio")');
}
export type BoardDevice = BoardConfig['i2c']['devices'][string];
export type GpioLineConfig = Infer<typeof gpioLine>;

/** Number of fan channels the board's fan controllers provide. */
export function boardFanCount(b: BoardConfig): number {
  return Object.values(b.i2c.devices).reduce((n, d) => n + (d.ic === 'emc2101' ? 1 : d.ic === 'emc2302' ? 2 : 0), 0);
}
