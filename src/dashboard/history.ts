/**
 * Recent history for the dashboard's charts, so that a page opened now shows the last hour at once
 * instead of an empty chart: board figures every `boardEveryMs` (hashrate windows, nominal, shares,
 * hottest temperature, power) and per-chip figures every `chipEveryMs` (1-minute hashrate, hardware
 * errors, valid nonces), each in fixed-size rings of typed arrays (no allocation per sample; a
 * 3 × 126-chip board's chip history is about 1 MB).
 */
import type { AgentSnapshot } from '../api/snapshot.js';

export const BOARD_FIELDS = ['t', 'rate5s', 'rate1m', 'rate15m', 'nominal', 'accepted', 'rejected', 'stale', 'tempMax', 'watts'] as const;
export type BoardField = (typeof BOARD_FIELDS)[number];
export const CHIP_FIELDS = ['t', 'rate1m', 'hwErrors', 'validNonces'] as const;

class Ring {
  private readonly cols: Float64Array[] | Float32Array[];
  private n = 0;
  constructor(
    private readonly width: number,
    readonly capacity: number,
    wide: boolean,
  ) {
    this.cols = Array.from({ length: width }, () => (wide ? new Float64Array(capacity) : new Float32Array(capacity))) as Float64Array[] | Float32Array[];
  }
  push(values: number[]): void {
    const at = this.n % this.capacity;
    for (let i = 0; i < this.width; i++) (this.cols[i] as Float64Array)[at] = values[i] ?? Number.NaN;
    this.n++;
  }
  /** Columns oldest first; NaN (a reading that was missing) becomes null. */
  columns(): (number | null)[][] {
    const len = Math.min(this.n, this.capacity);
    const start = this.n - len;
    return this.cols.map((c) => {
      const out: (number | null)[] = new Array(len);
      for (let k = 0; k < len; k++) {
        const v = (c as Float64Array)[(start + k) % this.capacity] as number;
        out[k] = Number.isFinite(v) ? v : null;
      }
      return out;
    });
  }
}

export interface HistoryOptions {
  boardSamples?: number;
  chipSamples?: number;
}

export class History {
  private readonly board: Ring;
  private readonly chips = new Map<string, Ring>();
  private readonly chipSamples: number;
  /** Chip rings are float32 (half the memory): their times are kept as seconds since this. */
  private chipBase: number | undefined;

  constructor(o: HistoryOptions = {}) {
    this.board = new Ring(BOARD_FIELDS.length, o.boardSamples ?? 720, true);
    this.chipSamples = o.chipSamples ?? 240;
  }

  sampleBoard(s: AgentSnapshot): void {
    const temps = s.temperatures.filter((t) => t.kind !== 'vr').map((t) => t.celsius);
    const watts = s.power.find((p) => p.name === 'input')?.watts ?? s.power.reduce((w, p) => w + (p.watts ?? 0), 0);
    this.board.push([
      s.now,
      s.hashrate.rate5s,
      s.hashrate.rate1m,
      s.hashrate.rate15m,
      s.hashrate.nominal ?? Number.NaN,
      s.shares.accepted,
      s.shares.rejected,
      s.shares.stale,
      temps.length > 0 ? Math.max(...temps) : Number.NaN,
      s.power.length > 0 ? watts : Number.NaN,
    ]);
  }

  sampleChips(s: AgentSnapshot): void {
    const base = (this.chipBase ??= s.now);
    for (const c of s.chains) {
      for (const chip of c.chips) {
        const key = `${c.id}:${chip.chip}`;
        let r = this.chips.get(key);
        if (!r) this.chips.set(key, (r = new Ring(CHIP_FIELDS.length, this.chipSamples, false)));
        r.push([s.now - base, chip.hashrate.rate1m, chip.hwErrors, chip.validNonces]);
      }
    }
  }

  boardSeries(): Record<BoardField, (number | null)[]> {
    const cols = this.board.columns();
    return Object.fromEntries(BOARD_FIELDS.map((f, i) => [f, cols[i] ?? []])) as Record<BoardField, (number | null)[]>;
  }

  chipSeries(chain: number, chip: number): Record<(typeof CHIP_FIELDS)[number], (number | null)[]> | undefined {
    const r = this.chips.get(`${chain}:${chip}`);
    if (!r) return undefined;
    const cols = r.columns();
    const base = this.chipBase ?? 0;
    cols[0] = (cols[0] ?? []).map((t) => (t === null ? null : t + base));
    return Object.fromEntries(CHIP_FIELDS.map((f, i) => [f, cols[i] ?? []])) as Record<(typeof CHIP_FIELDS)[number], (number | null)[]>;
  }
}
