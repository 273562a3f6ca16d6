/**
 * Streaming parser for the host-to-chain byte stream, the chips' side of the wire (used by the simulator
 * and by the protocol analyser on raw captures).
 *
 * After 55 AA comes HDR: a job (0x21) is framed by the family's job format (its LEN byte is not trusted,
 * docs/bm13xx.md "Job frames") and checked with CRC-16; a command (HDR 0x4_/0x5_) by its LEN (5 or 9) and
 * checked with CRC5. A bad candidate is skipped one byte at a time, so the next frame is still found.
 */
import { crc5, crc16CcittFalse } from './crc.js';
import { COMMAND_PREAMBLE, decodeCommand, HdrType, type Command } from './command-frame.js';
import { JOB_HDR, jobFrameLength, type JobFormat } from './job-frame.js';

export type HostFrame = { kind: 'command'; command: Command; frame: Uint8Array } | { kind: 'job'; frame: Uint8Array };

export interface HostStreamStats {
  commands: number;
  jobs: number;
  crcErrors: number;
  bytesDiscarded: number;
}

export class HostStreamParser {
  private buf = new Uint8Array(512);
  private start = 0;
  private end = 0;
  readonly stats: HostStreamStats = { commands: 0, jobs: 0, crcErrors: 0, bytesDiscarded: 0 };

  constructor(
    private readonly jobFormat: JobFormat,
    private readonly onFrame: (f: HostFrame) => void,
  ) {}

  reset(): void {
    this.stats.bytesDiscarded += this.end - this.start;
    this.start = 0;
    this.end = 0;
  }

  push(chunk: Uint8Array): void {
    this.append(chunk);
    const b = this.buf;
    let i = this.start;
    const end = this.end;
    while (i < end) {
      let p = i;
      while (p + 1 < end && !(b[p] === COMMAND_PREAMBLE[0] && b[p + 1] === COMMAND_PREAMBLE[1])) p++;
      if (p + 1 >= end) {
        const keep = b[end - 1] === COMMAND_PREAMBLE[0] ? end - 1 : end;
        this.stats.bytesDiscarded += keep - i;
        i = keep;
        break;
      }
      this.stats.bytesDiscarded += p - i;
      i = p;
      if (end - i < 4) break;
      const hdr = b[i + 2] as number;
      const len = b[i + 3] as number;
      let frameLen: number;
      let isJob = false;
      if (hdr === JOB_HDR) {
        if (end - i < 6) break;
        frameLen = jobFrameLength(this.jobFormat, len, b[i + 5] as number);
        isJob = true;
      } else if (hdr >>> 5 === HdrType.command && (hdr & 0x0c) === 0 && (len === 5 || len === 9)) {
        frameLen = len + 2;
      } else {
        this.stats.bytesDiscarded++;
        i++;
        continue;
      }
      if (end - i < frameLen) break;
      let ok: boolean;
      if (isJob) {
        const crc = ((b[i + frameLen - 2] as number) << 8) | (b[i + frameLen - 1] as number);
        ok = crc === crc16CcittFalse(b, i + 2, i + frameLen - 2);
      } else {
        ok = (b[i + frameLen - 1] as number) === crc5(b, i + 2, i + frameLen - 1);
      }
      if (!ok) {
        this.stats.crcErrors++;
        this.stats.bytesDiscarded++;
        i++;
        continue;
      }
      const frame = b.slice(i, i + frameLen);
      i += frameLen;
      if (isJob) {
        this.stats.jobs++;
        this.onFrame({ kind: 'job', frame });
      } else {
        let decoded: Command | undefined;
        try {
          decoded = decodeCommand(frame).command;
        } catch {
          // A CRC-valid frame with an impossible header/length combination: count it as damage.
          this.stats.crcErrors++;
        }
        if (decoded) {
          this.stats.commands++;
          this.onFrame({ kind: 'command', command: decoded, frame });
        }
      }
    }
    this.start = i;
  }

  private append(chunk: Uint8Array): void {
    if (this.start > 0 && this.end + chunk.length > this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    if (this.end + chunk.length > this.buf.length) {
      const nb = new Uint8Array(Math.max(this.end + chunk.length, this.buf.length * 2));
      nb.set(this.buf.subarray(0, this.end));
      this.buf = nb;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }
}
