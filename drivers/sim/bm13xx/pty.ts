/**
 * Pseudo-terminal pairs through socat (`socat -d -d pty,raw,echo=0 pty,raw,echo=0`), so that the driver
 * opens the simulated chain with the real `serialport` binding.
 *
 * A pty's kernel side ignores baud settings: whatever rate either end sets, bytes pass. The simulator
 * therefore takes the chips' baud from the register writes the host sends and cannot see the host's own
 * setting (see docs/bm13xx.md, "Baud rates on a pseudo-terminal").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { SerialPortUart } from '../../transport/serialport-uart.js';
import { ChainSim, type SimChainConfig } from './chain-sim.js';

export class PtyError extends Error {
  override readonly name = 'PtyError';
}

export interface PtyPair {
  /** The end the host (driver) opens. */
  hostPath: string;
  /** The end the simulator opens. */
  devicePath: string;
  /** socat's process id. */
  pid: number;
  /** Stops socat and waits for it to exit. */
  close(): Promise<void>;
}

/** Starts socat and resolves with both pty paths once it has created them. */
export function openPtyPair(opts: { socat?: string; timeoutMs?: number } = {}): Promise<PtyPair> {
  return new Promise<PtyPair>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(opts.socat ?? 'socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      reject(new PtyError(`cannot start socat: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    const paths: string[] = [];
    let settled = false;
    let stderr = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const close = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      void close();
      reject(new PtyError(`socat did not create two ptys within ${opts.timeoutMs ?? 5000} ms: ${stderr.trim()}`));
    }, opts.timeoutMs ?? 5000);
    child.once('error', (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new PtyError(`socat failed: ${err.message} (is socat installed?)`));
    });
    child.once('exit', (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new PtyError(`socat exited with ${code}: ${stderr.trim()}`));
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      stderr += s;
      for (const m of s.matchAll(/PTY is (\S+)/g)) if (m[1]) paths.push(m[1]);
      if (!settled && paths.length >= 2 && child.pid !== undefined) {
        settled = true;
        clearTimeout(timer);
        // socat keeps logging on stderr; keep draining it so it never blocks.
        child.stderr?.resume();
        resolve({ hostPath: paths[1] as string, devicePath: paths[0] as string, pid: child.pid, close });
      }
    });
  });
}

export interface PtySim {
  /** Give this path to the driver. */
  hostPath: string;
  sim: ChainSim;
  pty: PtyPair;
  close(): Promise<void>;
}

/** A simulated chain on a fresh pty pair: the simulator holds one end with the real binding. */
export async function startPtySim(config: SimChainConfig): Promise<PtySim> {
  const pty = await openPtyPair();
  const port = new SerialPortUart({ path: pty.devicePath, baudRate: 115200, lowLatency: false });
  try {
    await port.open();
  } catch (err) {
    await pty.close();
    throw err;
  }
  const sim = new ChainSim(config);
  sim.attach(port);
  return {
    hostPath: pty.hostPath,
    sim,
    pty,
    close: async () => {
      sim.detach();
      await port.close().catch(() => undefined);
      await pty.close();
    },
  };
}
