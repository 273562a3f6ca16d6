/** A pseudo-terminal pair; both descriptors are close-on-exec and owned by the caller. */
export interface PtyHandles {
  /** The master side: the simulator reads what the host writes and writes the chips' replies. */
  masterFd: number;
  /** A descriptor on the slave, in raw mode, kept open so that the master never reads EIO. */
  slaveFd: number;
  /** The slave's path (/dev/pts/N): what the host opens as its UART. */
  path: string;
}
export function openPty(): PtyHandles;
/** The rates the kernel holds for the line (TCGETS2 on Linux; on a master, the slave's). */
export function termiosBaud(fd: number): { input: number; output: number };
