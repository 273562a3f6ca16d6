/**
 * Simulated GPIO controllers. A SimGpioChip holds the *physical* level of each line, as a logic analyser
 * on the pins would see it; SimGpioLine applies active-low on top, exactly as the sysfs backend does, so
 * a polarity mistake in a board-config shows up in the simulator as the wrong physical level.
 */
import {
  describeGpio,
  GpioError,
  GpioUnavailableError,
  physicalLevel,
  type GpioDirection,
  type GpioLine,
  type GpioOpener,
  type GpioSpec,
  type GpioValue,
} from '../../drivers/transport/gpio-line.js';

interface LineState {
  level: GpioValue;
  direction: GpioDirection;
  owner: string | undefined;
}

export type GpioChangeListener = (chip: string, line: number, level: GpioValue) => void;

/**
 * Hardware wired to one line: called with the new physical level; a returned promise is the time the
 * hardware takes to react (a chain simulator in another process acknowledging its reset), which a
 * write waits for, as a real write is followed by the pin's effect.
 */
export type GpioWire = (level: GpioValue) => Promise<void> | void;

export class SimGpioChip {
  private readonly lines = new Map<number, LineState>();
  private readonly listeners: GpioChangeListener[] = [];
  private readonly wires = new Map<number, GpioWire[]>();

  constructor(
    readonly label: string,
    readonly ngpio = 64,
    /** Level an unconfigured input reads (a pull resistor); real boards pull reset lines one way or the other. */
    readonly idleLevel: GpioValue = 0,
  ) {}

  /** The physical level on the pin (what the hardware sees). */
  level(line: number): GpioValue {
    return this.lines.get(line)?.level ?? this.idleLevel;
  }

  onChange(fn: GpioChangeListener): void {
    this.listeners.push(fn);
  }

  /** Connects hardware to `line`: it hears every change of the physical level, starting with the present one. */
  wire(line: number, fn: GpioWire): Promise<void> {
    const list = this.wires.get(line) ?? [];
    list.push(fn);
    this.wires.set(line, list);
    return Promise.resolve(fn(this.level(line)));
  }

  /**
   * @internal used by SimGpioLine. Returns when the wired hardware has reacted (undefined when nothing
   * is wired or the level did not change).
   */
  drive(line: number, level: GpioValue, direction: GpioDirection, owner: string | undefined): Promise<void> | undefined {
    const prev = this.lines.get(line);
    const changed = !prev || prev.level !== level;
    this.lines.set(line, { level, direction, owner });
    if (!changed) return undefined;
    for (const fn of this.listeners) fn(this.label, line, level);
    const pending = (this.wires.get(line) ?? []).map((fn) => fn(level)).filter((p): p is Promise<void> => p instanceof Promise);
    return pending.length > 0 ? Promise.all(pending).then(() => undefined) : undefined;
  }

  /** @internal */
  claim(line: number, owner: string): void {
    if (!Number.isInteger(line) || line < 0 || line >= this.ngpio) {
      throw new GpioUnavailableError(`line ${line} is outside "${this.label}" (${this.ngpio} lines)`);
    }
    const cur = this.lines.get(line);
    if (cur?.owner !== undefined && cur.owner !== owner) throw new GpioError(`"${this.label}" line ${line} is already used by ${cur.owner}`);
  }

  /** @internal */
  release(line: number): void {
    // An unexported line becomes an input and floats to the pull level.
    void this.drive(line, this.idleLevel, 'in', undefined)?.catch(() => undefined);
  }
}

export class SimGpioLine implements GpioLine {
  readonly name: string;
  readonly activeLow: boolean;
  private dir: GpioDirection = 'out';

  constructor(
    private readonly chip: SimGpioChip,
    private readonly spec: GpioSpec,
    role: string,
    initial: GpioValue,
  ) {
    this.name = describeGpio(role, spec);
    this.activeLow = spec.activeLow;
    chip.claim(spec.line, this.name);
    void chip.drive(spec.line, physicalLevel(initial, spec.activeLow), 'out', this.name)?.catch(() => undefined);
  }

  direction(): GpioDirection {
    return this.dir;
  }
  async setDirection(direction: GpioDirection, initial: GpioValue = 0): Promise<void> {
    this.dir = direction;
    if (direction === 'out') await this.chip.drive(this.spec.line, physicalLevel(initial, this.activeLow), 'out', this.name);
  }
  async read(): Promise<GpioValue> {
    return physicalLevel(this.chip.level(this.spec.line), this.activeLow);
  }
  async write(value: GpioValue): Promise<void> {
    if (this.dir !== 'out') throw new GpioError(`${this.name} is an input`);
    await this.chip.drive(this.spec.line, physicalLevel(value, this.activeLow), 'out', this.name);
  }
  writeSync(value: GpioValue): void {
    if (this.dir !== 'out') throw new GpioError(`${this.name} is an input`);
    void this.chip.drive(this.spec.line, physicalLevel(value, this.activeLow), 'out', this.name)?.catch(() => undefined);
  }
  async release(): Promise<void> {
    this.chip.release(this.spec.line);
  }
}

/** A GpioOpener over a set of simulated controllers, looked up by label as the sysfs backend does. */
export function simGpioOpener(chips: SimGpioChip[]): GpioOpener {
  return async (role, spec, initial) => {
    const chip = chips.find((c) => c.label === spec.chip);
    if (!chip) {
      throw new GpioUnavailableError(`no GPIO controller labelled "${spec.chip}"; present: ${chips.map((c) => `"${c.label}"`).join(', ') || 'none'}`);
    }
    return new SimGpioLine(chip, spec, role, initial);
  };
}
