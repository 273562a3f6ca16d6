/**
 * A simulated chain behind a pseudo-terminal: the host (the real driver) opens the slave's path with the
 * real `serialport` binding; the simulator holds the master (pty-master-uart.ts). The pair comes from the
 * project's own addon (native/pty), so no system tool is needed.
 *
 * A pty passes bytes whatever rate either side sets. The simulator takes the chips' baud from the
 * register writes the host sends and reads the rate the host set on its end (`device.hostBaud()`,
 * TCGETS2); through a model of the host's UART (default: any rate exactly) that gives the rate the host's
 * line runs at, and frames the chips and the host could not both decode arrive as garbage (chain-sim.ts).
 */
import { EXACT_HOST_UART, type HostUartClock } from '../../../drivers/transport/host-uart-clock.js';
import { ChainSim, type SimChainConfig } from './chain-sim.js';
import { openPtyHandles, ptyAddon, PtyError } from './pty-addon.js';
import { PtyMasterUart } from './pty-master-uart.js';

export { PtyError };

export interface PtyPair {
  /** The path the host (driver) opens: the slave, /dev/pts/N. */
  hostPath: string;
  /** The simulator's end. */
  device: PtyMasterUart;
  /** Closes the simulator's descriptors. */
  close(): Promise<void>;
}

export async function openPtyPair(): Promise<PtyPair> {
  const handles = openPtyHandles();
  const device = new PtyMasterUart(handles, ptyAddon());
  await device.open();
  return { hostPath: handles.path, device, close: () => device.close() };
}

export interface PtySim {
  /** Give this path to the driver. */
  hostPath: string;
  sim: ChainSim;
  pty: PtyPair;
  close(): Promise<void>;
}

/** A simulated chain on a fresh pty pair; `hostUart` is the host's UART hardware the line is judged by. */
export async function startPtySim(config: SimChainConfig, hostUart: HostUartClock = EXACT_HOST_UART): Promise<PtySim> {
  const pty = await openPtyPair();
  const hostLine = (): number | undefined => {
    if (!pty.device.isOpen) return undefined;
    try {
      return hostUart.lineRate(pty.device.hostBaud());
    } catch {
      // The descriptor is going away (closing): nothing is on the line.
      return undefined;
    }
  };
  const sim = new ChainSim({ hostLine, ...config });
  sim.attach(pty.device);
  return {
    hostPath: pty.hostPath,
    sim,
    pty,
    close: async () => {
      sim.detach();
      await pty.close();
    },
  };
}
