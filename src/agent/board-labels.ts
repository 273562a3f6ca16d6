/**
 * Reader-facing names for what a board-config describes: chains, temperature sensors, fans and power
 * rails. The drivers name their channels after the I2C device key and the IC's channel (`fan.external`,
 * `fan.fan`), which says little to whoever reads a dashboard; the APIs, the metrics and MQTT show these
 * names instead. A board-config can set them (`[[chain]] name`, `names = { external = "asic" }` and
 * `chain = N` on a device, docs/board.md); without that, a sensor is called by its kind ("chip",
 * "ambient", "vr") when no other sensor has that kind, else `<device>-<channel>`, and a fan by its
 * device key.
 */
import type { BoardConfig } from '../config/board-config.js';

export interface SensorLabel {
  name: string;
  /** The chain the sensor belongs to; undefined = the whole board. */
  chain?: number;
}

export interface BoardLabels {
  chainName(index: number): string;
  /** A temperature sensor by its driver id and kind. */
  sensor(id: string, kind: string): SensorLabel;
  fan(id: string): string;
  /** The regulator's output rail ("vcore") and the input monitor's rail ("input"). */
  rail(which: 'regulator' | 'input'): string;
}

/** `dev.channel` → [dev, channel]; a single-channel IC's id is the device key (channel "sensor"). */
function split(id: string): [string, string] {
  const dot = id.indexOf('.');
  return dot < 0 ? [id, 'sensor'] : [id.slice(0, dot), id.slice(dot + 1)];
}

export function boardLabels(b: BoardConfig): BoardLabels {
  const devices = b.i2c.devices;
  // Kinds of every temperature channel the board has, to know which kind names are unique.
  const kinds: string[] = [];
  let regulatorDevice: string | undefined;
  let inputDevice: string | undefined;
  for (const [name, d] of Object.entries(devices)) {
    if (d.ic === 'emc2101') {
      if ((d.external ?? 'chip') !== 'none') kinds.push(d.external ?? 'chip');
      if ((d.internal ?? 'ambient') !== 'none') kinds.push(d.internal ?? 'ambient');
    } else if (d.ic === 'tmp1075' || d.ic === 'tmp75') kinds.push(d.sensor ?? 'board');
    else if (d.ic === 'tps546d24a') {
      kinds.push('vr');
      regulatorDevice = name;
    } else if (d.ic === 'ina260') inputDevice = name;
  }
  const unique = (k: string): boolean => kinds.filter((x) => x === k).length === 1;
  return {
    chainName: (i) => b.chain[i]?.name ?? `chain${i}`,
    sensor(id, kind) {
      const [dev, channel] = split(id);
      const d = devices[dev];
      const given = d?.names?.[channel];
      const name = given ?? (unique(kind) ? kind : `${dev}-${channel}`);
      return d?.chain !== undefined ? { name, chain: d.chain } : { name };
    },
    fan(id) {
      const [dev, channel] = split(id);
      const given = devices[dev]?.names?.[channel];
      if (given) return given;
      return channel === 'fan' ? dev : `${dev}-${channel.replace(/^fan/, '')}`;
    },
    rail(which) {
      const dev = which === 'regulator' ? regulatorDevice : inputDevice;
      const given = dev ? devices[dev]?.names?.rail : undefined;
      return given ?? (which === 'regulator' ? 'vcore' : 'input');
    },
  };
}
