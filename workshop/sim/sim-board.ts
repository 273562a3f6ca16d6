/**
 * A whole simulated hashboard: the I2C devices of a board-config as register-level models on one
 * SimI2cBus, its GPIO lines on a SimGpioChip, and the physics that ties them together (power from the
 * regulator heats the board, fans cool it, the tach follows the duty, sensors read the temperature).
 * The agent drives it through the same I2cBus / GpioLine interfaces as real hardware.
 *
 * Time: the physics integrates lazily up to `clock.now()` whenever a device is touched, in steps of at
 * most `stepMs`, so a ManualClock test and a real-time run produce the same trajectory.
 */
import type { Clock, TimerHandle } from '../../src/clock.js';
import type { GpioOpener } from '../../drivers/transport/gpio-line.js';
import { Ds4432uSim } from './ds4432u-sim.js';
import { Emc2101Sim } from './emc2101-sim.js';
import { Emc2302Sim } from './emc2302-sim.js';
import { Ina260Sim } from './ina260-sim.js';
import { SimGpioChip, simGpioOpener } from './sim-gpio.js';
import { SimI2cBus } from './sim-i2c-bus.js';
import { Noise, SimFan, ThermalNode, type SimSensorFaults, type ThermalConstants } from './sim-physics.js';
import { SimInjectedError, formatSimFault, type SimFault, type SimFaultName } from '../../src/config/sim-faults.js';
import type { MiningControl } from '../../src/board/board.js';
import type { SimulatedBoard } from '../../src/board/simulated-parts.js';
import { simulatedLoad } from './sim-load.js';
import { SimRecorder, type SimSnapshot } from './sim-recorder.js';
import { Tmp1075Sim } from './tmp1075-sim.js';
import { Tps546Sim } from './tps546-sim.js';

export type SimIc = 'emc2101' | 'emc2302' | 'tmp1075' | 'tmp75' | 'tps546d24a' | 'ds4432u' | 'ina260';

export interface SimDeviceSpec {
  name: string;
  ic: SimIc;
  address: number;
}

export interface SimLineSpec {
  chip: string;
  line: number;
  activeLow: boolean;
}

export interface SimBoardSpec {
  devices: SimDeviceSpec[];
  /** The chains' reset lines (`chain` = the chain's index in the board-config). */
  resetLines: (SimLineSpec & { chain?: number })[];
  powerEnable?: SimLineSpec;
  thermal: ThermalConstants;
  /** All chips together at nominal core voltage and full frequency, W. */
  chipPowerW: number;
  /** Fraction of chipPowerW drawn while powered but held in reset. */
  idlePowerFraction: number;
  /** Core volts per voltage domain at which chipPowerW is drawn. */
  nominalCoreVolts: number;
  /** Series voltage domains: the regulator output is core volts × domains. */
  voltageDomains: number;
  /** Board input voltage. */
  vin: number;
  regulatorEfficiency: number;
  fanMaxRpm: number;
  fanTauS: number;
  seed?: number;
  /** Largest integration step, ms (default 100). */
  stepMs?: number;
  /** How long a transfer hangs under the bus-timeout fault, ms (default 200). */
  busTimeoutMs?: number;
  /** Append a JSON line per hardware change to this file. */
  recordPath?: string;
}

/**
 * How long the chip diode reads garbage after a chain leaves reset: a few EMC2101 conversions at its
 * default 16 per second (ESP-Miner EMC2101.h EMC2101_DATARATE_16_HZ), inside mujina's 500 ms settle window.
 */
export const DIODE_GARBAGE_MS = 250;

interface SensorModel {
  faults: SimSensorFaults;
}

export class SimBoard implements SimulatedBoard {
  readonly bus: SimI2cBus;
  readonly gpio: SimGpioChip[];
  readonly gpioOpener: GpioOpener;
  readonly thermal: ThermalNode;
  readonly fans: SimFan[] = [];
  readonly noise: Noise;
  regulator: Tps546Sim | undefined;
  trim: Ds4432uSim | undefined;
  private readonly sensors: SensorModel[] = [];
  private lastT: number;
  private readonly startT: number;
  private readonly stepMs: number;
  /** When a chain reset line was last released (the chip diode's readings are garbage for a moment). */
  private releasedAt: number | undefined;
  /** Extra heat (W) and lost airflow from the overheat fault. */
  private extraHeatW = 0;
  private airflowBlocked = false;
  /** Chain clock relative to nominal; the agent's frequency steps land here in simulation. */
  frequencyScale = 1;
  /**
   * The chips' power from a chip-level model (the silicon lottery, workshop/sim/lottery): given core volts
   * per domain and the board's temperature, W. When set it replaces chipPowerW × V² × frequencyScale.
   */
  chipPowerSource: ((coreVolts: number, boardTempC: number) => number) | undefined;
  private readonly recorder: SimRecorder | undefined;
  private readonly timers: TimerHandle[] = [];
  readonly injected: string[] = [];
  private inUpdate = false;

  constructor(
    readonly spec: SimBoardSpec,
    private readonly clock: Clock,
  ) {
    this.bus = new SimI2cBus(clock);
    this.thermal = new ThermalNode(spec.thermal);
    this.noise = new Noise(spec.seed ?? 1);
    this.lastT = clock.now();
    this.startT = this.lastT;
    this.stepMs = spec.stepMs ?? 100;
    this.recorder = spec.recordPath ? new SimRecorder(spec.recordPath) : undefined;

    const labels = new Set([...spec.resetLines.map((l) => l.chip), ...(spec.powerEnable ? [spec.powerEnable.chip] : [])]);
    // Reset lines are pulled to their asserted level on real boards (chips held in reset until the host
    // drives them); model that with the pull level of the first line's polarity.
    this.gpio = [...labels].map((label) => new SimGpioChip(label, 64, 0));
    this.gpioOpener = simGpioOpener(this.gpio);
    for (const chip of this.gpio) chip.onChange(() => this.record('gpio'));
    for (const l of spec.resetLines) {
      this.gpio
        .find((c) => c.label === l.chip)
        ?.onChange((_label, line, level) => {
          if (line === l.line && (l.activeLow ? level === 1 : level === 0)) this.releasedAt = clock.now();
        });
    }

    const amb = (): number => spec.thermal.ambientC;
    const t = (): number => this.thermal.temperatureC;
    const update = (): void => this.update();
    const onDuty = (): void => this.record('fan');
    for (const d of spec.devices) {
      switch (d.ic) {
        case 'emc2101': {
          const fan = new SimFan(spec.fanMaxRpm, spec.fanTauS);
          this.fans.push(fan);
          const faults: SimSensorFaults = { lost: false, stuck: false };
          this.sensors.push({ faults });
          this.bus.attach(
            d.address,
            new Emc2101Sim({
              update,
              fan,
              externalC: t,
              internalC: () => amb() + 0.3 * (t() - amb()),
              diodeUnsettled: () => this.releasedAt !== undefined && clock.now() - this.releasedAt < DIODE_GARBAGE_MS,
              faults,
              noise: this.noise,
              onDuty,
            }),
          );
          break;
        }
        case 'emc2302': {
          const pair: [SimFan, SimFan] = [new SimFan(spec.fanMaxRpm, spec.fanTauS), new SimFan(spec.fanMaxRpm, spec.fanTauS)];
          this.fans.push(...pair);
          this.bus.attach(d.address, new Emc2302Sim({ update, fans: pair, onDuty }));
          break;
        }
        case 'tmp1075':
        case 'tmp75': {
          const faults: SimSensorFaults = { lost: false, stuck: false };
          this.sensors.push({ faults });
          this.bus.attach(d.address, new Tmp1075Sim({ update, temperatureC: () => amb() + 0.85 * (t() - amb()), faults, noise: this.noise }));
          break;
        }
        case 'tps546d24a': {
          if (this.regulator) throw new Error('a simulated board has at most one TPS546');
          this.regulator = new Tps546Sim({
            update,
            vin: () => spec.vin,
            controlPin: () => this.powerEnabled() ?? true,
            loadAmps: (v) => (v > 0 ? this.chipPowerAt(v) / v : 0),
            temperatureC: () => amb() + 0.9 * (t() - amb()),
            onChange: () => this.record('regulator'),
            now: () => clock.now(),
          });
          this.bus.attach(d.address, this.regulator);
          break;
        }
        case 'ds4432u':
          this.trim = new Ds4432uSim(() => this.record('regulator'));
          this.bus.attach(d.address, this.trim);
          break;
        case 'ina260':
          this.bus.attach(d.address, new Ina260Sim({ update, inputVolts: () => spec.vin, inputWatts: () => this.inputPowerW() }));
          break;
      }
    }
    this.record('start');
  }

  /**
   * Connects chain `chain`'s reset line to a simulated chain: `fn` hears every change of the line (held =
   * asserted), starting with the present level, and a write to the line waits for `fn` to finish.
   * Returns false when the chain has no simulated reset line.
   */
  async wireChainReset(chain: number, fn: (held: boolean) => Promise<void> | void): Promise<boolean> {
    const l = this.spec.resetLines.find((r) => r.chain === chain);
    const chip = l ? this.gpio.find((c) => c.label === l.chip) : undefined;
    if (!l || !chip) return false;
    await chip.wire(l.line, (level) => fn(l.activeLow ? level === 0 : level === 1));
    return true;
  }

  /** Physical level says the chain's reset is asserted. */
  resetHeld(): boolean[] {
    return this.spec.resetLines.map((l) => this.asserted(l));
  }

  /** Power-enable asserted; null when the board has no such line. */
  powerEnabled(): boolean | null {
    return this.spec.powerEnable ? this.asserted(this.spec.powerEnable) : null;
  }

  private asserted(l: SimLineSpec): boolean {
    const chip = this.gpio.find((c) => c.label === l.chip);
    const level = chip ? chip.level(l.line) : 0;
    return l.activeLow ? level === 0 : level === 1;
  }

  /** Regulator output volts actually delivered to the chains. */
  outputVolts(): number {
    if (this.regulator) return this.regulator.outputVolts();
    const enabled = this.powerEnabled() ?? true;
    if (!enabled) return 0;
    return this.trim ? this.trim.volts() : this.spec.nominalCoreVolts * this.spec.voltageDomains;
  }

  private chipPowerAt(outputVolts: number): number {
    if (outputVolts <= 0) return 0;
    if (this.chipPowerSource) return this.chipPowerSource(outputVolts / this.spec.voltageDomains, this.thermal.temperatureC);
    const held = this.resetHeld();
    const running = held.length === 0 ? 1 : held.filter((h) => !h).length / held.length;
    const core = outputVolts / this.spec.voltageDomains;
    const vScale = (core / this.spec.nominalCoreVolts) ** 2;
    const f = this.spec.idlePowerFraction + (1 - this.spec.idlePowerFraction) * running * this.frequencyScale;
    return this.spec.chipPowerW * vScale * f;
  }

  /** Power the chips draw now, W. */
  chipPowerW(): number {
    return this.chipPowerAt(this.outputVolts());
  }

  /** Board input power (INA260), W: chips through the regulator's efficiency, plus 1 W of controller. */
  inputPowerW(): number {
    return this.chipPowerW() / this.spec.regulatorEfficiency + 1;
  }

  airflow(): number {
    if (this.airflowBlocked || this.fans.length === 0) return 0;
    return this.fans.reduce((s, f) => s + f.airflow(), 0) / this.fans.length;
  }

  /** Integrates the physics up to now. */
  update(): void {
    if (this.inUpdate) return;
    this.inUpdate = true;
    try {
      const now = this.clock.now();
      while (this.lastT < now) {
        const dtMs = Math.min(this.stepMs, now - this.lastT);
        const dt = dtMs / 1000;
        const heat = this.chipPowerW() / this.spec.regulatorEfficiency + this.extraHeatW;
        this.thermal.step(dt, heat, this.airflow());
        for (const f of this.fans) f.step(dt);
        this.lastT += dtMs;
      }
      this.regulator?.protect();
    } finally {
      this.inUpdate = false;
    }
  }

  /** Schedules faults relative to the board's creation. */
  schedule(faults: SimFault[]): void {
    for (const f of faults) {
      const delay = Math.max(0, f.atS * 1000 - (this.clock.now() - this.startT));
      this.timers.push(this.clock.setTimeout(() => this.inject(f.name, f.target), delay));
    }
  }

  /** Applies a fault now. */
  inject(name: SimFaultName, target?: number): void {
    this.update();
    this.injected.push(formatSimFault({ name, atS: (this.clock.now() - this.startT) / 1000, ...(target === undefined ? {} : { target }) }));
    switch (name) {
      case 'fan-stall': {
        const fan = this.fans[target ?? 0];
        if (!fan) throw new Error(`fan-stall: this board has no fan ${target ?? 0}`);
        fan.stalled = true;
        break;
      }
      case 'overheat':
        this.airflowBlocked = true;
        this.extraHeatW = this.spec.chipPowerW;
        break;
      case 'sensor-loss':
        for (const s of this.sensors) s.faults.lost = true;
        break;
      case 'sensor-stuck':
        for (const s of this.sensors) s.faults.stuck = true;
        break;
      case 'regulator-fault':
        if (!this.regulator) throw new Error('regulator-fault: this board has no simulated TPS546');
        this.regulator.injectOvercurrentFault();
        break;
      case 'vout-drift':
        if (!this.regulator) throw new Error('vout-drift: this board has no simulated TPS546');
        this.regulator.voutDrift = 1.15;
        break;
      case 'overcurrent':
        if (!this.regulator) throw new Error('overcurrent: this board has no simulated TPS546');
        this.regulator.extraAmps = 100;
        break;
      case 'bus-timeout':
        this.bus.setTimeoutFault(this.spec.busTimeoutMs ?? 200);
        break;
      case 'chip-dead':
        // The chain simulator carries it out (workshop/sim/sim-chip-faults.ts); the board only records it.
        break;
      case 'uncaught-exception':
        this.record(`fault:${name}`);
        // Thrown from a fresh timer turn so nothing on the stack can catch it.
        setImmediate(() => {
          throw new SimInjectedError('injected uncaught exception (--sim-fault uncaught-exception)');
        });
        return;
      case 'unhandled-rejection':
        this.record(`fault:${name}`);
        void Promise.reject(new SimInjectedError('injected unhandled rejection (--sim-fault unhandled-rejection)'));
        return;
      case 'event-loop-stall':
        this.record(`fault:${name}`);
        // Blocks this thread without spinning (no CPU taken from the simulators): no timer, signal handler
        // or watchdog ping runs again. Only a signal's default action (systemd's SIGABRT/SIGKILL) ends it.
        setImmediate(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
        return;
    }
    this.record(`fault:${name}`);
  }

  /**
   * Takes a fault away again (the fan freed, the sensor reconnected, the intake cleared), so that tests
   * can see what the agent does when a fault it stopped for is gone. Only the physical faults clear;
   * a latched regulator fault stays latched until the agent clears it over PMBus, as on the real part.
   */
  clear(name: 'fan-stall' | 'overheat' | 'sensor-loss' | 'sensor-stuck', target?: number): void {
    this.update();
    switch (name) {
      case 'fan-stall':
        for (const [i, f] of this.fans.entries()) if (target === undefined || target === i) f.stalled = false;
        break;
      case 'overheat':
        this.airflowBlocked = false;
        this.extraHeatW = 0;
        break;
      case 'sensor-loss':
        for (const s of this.sensors) s.faults.lost = false;
        break;
      case 'sensor-stuck':
        for (const s of this.sensors) s.faults.stuck = false;
        break;
    }
    this.record(`clear:${name}`);
  }

  snapshot(event: string): SimSnapshot {
    return {
      t: this.clock.now(),
      event,
      regulatorCommandedOn: this.regulator ? (this.regulator.operation() & 0x80) !== 0 : null,
      regulatorOutputOn: this.regulator ? this.regulator.outputOn() : null,
      vout: Math.round(this.outputVolts() * 1000) / 1000,
      powerEnabled: this.powerEnabled(),
      resetHeld: this.resetHeld(),
      fanDutyPct: this.fans.map((f) => Math.round(f.duty * 1000) / 10),
      fanRpm: this.fans.map((f) => Math.round(f.rpm)),
      temperatureC: Math.round(this.thermal.temperatureC * 100) / 100,
    };
  }

  private record(event: string): void {
    this.recorder?.write(this.snapshot(event));
  }

  /** The chips' power and heat while the chains hash (src/board/simulated-parts.ts). */
  miningLoad(o: { nominalMhz: number; startMhz: number; stepMhz: number; minMhz: number }): MiningControl {
    return simulatedLoad(this, o.nominalMhz, o.startMhz, o.stepMhz, o.minMhz);
  }

  close(): void {
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.recorder?.close();
  }
}
