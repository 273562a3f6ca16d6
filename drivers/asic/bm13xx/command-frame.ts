/**
 * Command frames, host to chain (docs/bm13xx.md "Command frames"):
 *
 *   55 AA | HDR | LEN | payload | CRC5
 *
 * HDR, MSB first, is `0 TT A 00 CC`: TT = 2 for commands (1 for jobs, see job-frame.ts), A = broadcast,
 * CC = 0 set-address, 1 write register, 2 read register, 3 chain inactive. LEN counts the bytes after the
 * preamble, CRC included (5 or 9). The register value of a write is big-endian. The CRC5 covers HDR..payload
 * and is sent as the whole last byte.
 */
import { crc5 } from './crc.js';
import { Bm13xxFrameError } from './errors.js';

/** Host-to-chain preamble. */
export const COMMAND_PREAMBLE = [0x55, 0xaa] as const;

/** HDR field values. */
export const HdrType = { job: 1, command: 2 } as const;
export const HdrCmd = { setAddress: 0, write: 1, read: 2, chainInactive: 3 } as const;
const HDR_BROADCAST = 0x10;

/** The commands a host can send. Addresses and registers are bytes; values are uint32. */
export type Command =
  | { op: 'set-address'; address: number }
  | { op: 'write'; broadcast: boolean; address: number; register: number; value: number }
  | { op: 'read'; broadcast: boolean; address: number; register: number }
  | { op: 'chain-inactive' };

export function headerByte(type: number, broadcast: boolean, cmd: number): number {
  return ((type & 3) << 5) | (broadcast ? HDR_BROADCAST : 0) | (cmd & 3);
}

function checkByte(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${name} must be a byte, got ${v}`);
}

/** Encodes a command frame, CRC5 included. */
export function encodeCommand(c: Command): Uint8Array {
  let body: number[];
  switch (c.op) {
    case 'set-address':
      checkByte('address', c.address);
      // set-address is never broadcast: the first chip without an address takes it.
      body = [headerByte(HdrType.command, false, HdrCmd.setAddress), 5, c.address, 0x00];
      break;
    case 'write': {
      checkByte('address', c.address);
      checkByte('register', c.register);
      const v = c.value >>> 0;
      body = [
        headerByte(HdrType.command, c.broadcast, HdrCmd.write),
        9,
        c.broadcast ? 0 : c.address,
        c.register,
        v >>> 24,
        (v >>> 16) & 0xff,
        (v >>> 8) & 0xff,
        v & 0xff,
      ];
      break;
    }
    case 'read':
      checkByte('address', c.address);
      checkByte('register', c.register);
      body = [headerByte(HdrType.command, c.broadcast, HdrCmd.read), 5, c.broadcast ? 0 : c.address, c.register];
      break;
    case 'chain-inactive':
      // Always broadcast (HDR 0x53), payload 00 00.
      body = [headerByte(HdrType.command, true, HdrCmd.chainInactive), 5, 0x00, 0x00];
      break;
  }
  const out = new Uint8Array(body.length + 3);
  out[0] = COMMAND_PREAMBLE[0];
  out[1] = COMMAND_PREAMBLE[1];
  out.set(body, 2);
  out[out.length - 1] = crc5(out, 2, out.length - 1);
  return out;
}

/** Convenience builders. */
export const cmd = {
  setAddress: (address: number): Uint8Array => encodeCommand({ op: 'set-address', address }),
  writeAll: (register: number, value: number): Uint8Array => encodeCommand({ op: 'write', broadcast: true, address: 0, register, value }),
  writeChip: (address: number, register: number, value: number): Uint8Array => encodeCommand({ op: 'write', broadcast: false, address, register, value }),
  readAll: (register: number): Uint8Array => encodeCommand({ op: 'read', broadcast: true, address: 0, register }),
  readChip: (address: number, register: number): Uint8Array => encodeCommand({ op: 'read', broadcast: false, address, register }),
  chainInactive: (): Uint8Array => encodeCommand({ op: 'chain-inactive' }),
};

export interface DecodedCommand {
  command: Command;
  hdr: number;
  len: number;
  crc: number;
  crcOk: boolean;
}

/**
 * Decodes one whole command frame (preamble included). Throws Bm13xxFrameError when the bytes are not a
 * command frame at all; a wrong CRC is reported in `crcOk`, not thrown, so analysers can show the fields.
 */
export function decodeCommand(f: Uint8Array): DecodedCommand {
  if (f.length < 7) throw new Bm13xxFrameError(`command frame too short (${f.length} bytes)`);
  if (f[0] !== COMMAND_PREAMBLE[0] || f[1] !== COMMAND_PREAMBLE[1]) throw new Bm13xxFrameError('command frame must start with 55 AA');
  const hdr = f[2] as number;
  const len = f[3] as number;
  if (hdr >>> 5 !== HdrType.command || (hdr & 0x0c) !== 0) throw new Bm13xxFrameError(`header 0x${hdr.toString(16)} is not a command`);
  if (len !== 5 && len !== 9) throw new Bm13xxFrameError(`command length byte ${len} is neither 5 nor 9`);
  if (f.length !== len + 2) throw new Bm13xxFrameError(`command frame is ${f.length} bytes but its length byte says ${len + 2}`);
  const crc = f[f.length - 1] as number;
  const crcOk = crc === crc5(f, 2, f.length - 1);
  const broadcast = (hdr & HDR_BROADCAST) !== 0;
  const a = f[4] as number;
  const b = f[5] as number;
  let command: Command;
  switch (hdr & 3) {
    case HdrCmd.setAddress:
      if (len !== 5) throw new Bm13xxFrameError('set-address must have length 5');
      command = { op: 'set-address', address: a };
      break;
    case HdrCmd.write:
      if (len !== 9) throw new Bm13xxFrameError('write must have length 9');
      command = {
        op: 'write',
        broadcast,
        address: a,
        register: b,
        value: (((f[6] as number) << 24) | ((f[7] as number) << 16) | ((f[8] as number) << 8) | (f[9] as number)) >>> 0,
      };
      break;
    case HdrCmd.read:
      if (len !== 5) throw new Bm13xxFrameError('read must have length 5');
      command = { op: 'read', broadcast, address: a, register: b };
      break;
    default:
      if (len !== 5) throw new Bm13xxFrameError('chain-inactive must have length 5');
      command = { op: 'chain-inactive' };
  }
  return { command, hdr, len, crc, crcOk };
}
