/**
 * The last log records, kept in memory for the dashboard's log view: the same pino JSON lines that go
 * to stdout/journald (secrets already redacted by pino), as written, in a ring of fixed size. Records
 * are kept as strings and parsed only when someone reads them; listeners hear of each new line.
 */
export interface LogRecordView {
  /** Sequence number, increasing by one per record (a client asks for "after N"). */
  seq: number;
  time?: number;
  level: number;
  module?: string;
  msg?: string;
  /** The whole record as pino wrote it. */
  record: Record<string, unknown>;
}

export class LogTail {
  private readonly ring: string[];
  private next = 0;
  private readonly listeners = new Set<(seq: number) => void>();

  constructor(readonly capacity = 500) {
    this.ring = new Array<string>(capacity);
  }

  /** One pino output line (a JSON object, with or without its newline). */
  push(line: string): void {
    this.ring[this.next % this.capacity] = line;
    const seq = this.next++;
    for (const l of this.listeners) l(seq);
  }

  /** Sequence number the next record will get. */
  get end(): number {
    return this.next;
  }

  /** Records with seq >= `after`, oldest first (at most the ring's size). */
  since(after = 0, limit = this.capacity): LogRecordView[] {
    const from = Math.max(after, this.next - this.capacity, 0);
    const out: LogRecordView[] = [];
    for (let seq = from; seq < this.next && out.length < limit; seq++) {
      const line = this.ring[seq % this.capacity];
      if (line === undefined) continue;
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      const v: LogRecordView = { seq, level: typeof record.level === 'number' ? record.level : 30, record };
      if (typeof record.time === 'number') v.time = record.time;
      if (typeof record.module === 'string') v.module = record.module;
      if (typeof record.msg === 'string') v.msg = record.msg;
      out.push(v);
    }
    return out;
  }

  onRecord(fn: (seq: number) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

/** The process's log tail (every root logger writes into it). */
export const logTail = new LogTail();
