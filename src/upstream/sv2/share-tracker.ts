/**
 * Shares sent on one channel and not yet answered (spec 5.3.13-5.3.14, docs/sv2.md "Values and their
 * sources").
 *
 * Each share gets the channel's next sequence number. SubmitShares.Success acknowledges a *batch*:
 * every outstanding share up to last_sequence_number that was not rejected by its own
 * SubmitShares.Error. Sequence numbers are U32 and wrap, so "up to" is serial-number arithmetic
 * (RFC 1982). What is still outstanding when the connection drops is reported lost, never dropped
 * silently and never resolved twice.
 */
import type { Share, ShareOutcome } from '../job.js';

export interface OutstandingShare {
  seq: number;
  share: Share;
  /** Difficulty of the channel target when sent (the work the pool credits). */
  targetDifficulty: number;
  sentAt: number;
  resolve: (o: ShareOutcome) => void;
}

/** a <= b in 32-bit serial-number order. */
export function seqAtOrBefore(a: number, b: number): boolean {
  return (b - a) >>> 0 < 0x80000000;
}

export class ShareTracker {
  private next: number;
  private readonly out = new Map<number, OutstandingShare>();

  /** Channels start at 0; tests start near 2^32 to cover the wrap. */
  constructor(firstSequence = 0) {
    this.next = firstSequence >>> 0;
  }

  /** The sequence number for the next share (U32, wrapping). */
  nextSequence(): number {
    const s = this.next;
    this.next = (this.next + 1) >>> 0;
    return s;
  }

  add(entry: OutstandingShare): void {
    this.out.set(entry.seq, entry);
  }

  get size(): number {
    return this.out.size;
  }

  /** Removes and returns every outstanding share up to `lastSeq` (accepted by a batched Success). */
  acknowledge(lastSeq: number): OutstandingShare[] {
    const done: OutstandingShare[] = [];
    for (const [seq, e] of this.out) {
      if (seqAtOrBefore(seq, lastSeq)) {
        done.push(e);
        this.out.delete(seq);
      }
    }
    return done;
  }

  /** Removes and returns the share a SubmitShares.Error names. */
  reject(seq: number): OutstandingShare | undefined {
    const e = this.out.get(seq);
    if (e) this.out.delete(seq);
    return e;
  }

  /** Removes and returns shares sent before `cutoff` (no answer in time). */
  expire(cutoff: number): OutstandingShare[] {
    const done: OutstandingShare[] = [];
    for (const [seq, e] of this.out) {
      if (e.sentAt < cutoff) {
        done.push(e);
        this.out.delete(seq);
      }
    }
    return done;
  }

  /** Removes and returns everything (disconnect, channel closed, stop). */
  drain(): OutstandingShare[] {
    const all = [...this.out.values()];
    this.out.clear();
    return all;
  }
}
