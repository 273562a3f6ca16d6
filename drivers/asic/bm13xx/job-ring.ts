/**
 * The job ring: what the chain sent under each chip job id. A BM13xx job id is small (16 ids on
 * BM1362/66/68/70, 32 on BM1397) and reused as units go out, while a chip's nonces can come back after
 * its id went to a newer unit. So each slot keeps, behind the unit that holds it now, the units it held
 * within the last LATE_WINDOW_MS (at most LATE_GENERATIONS of them), and remembers when it last had to
 * forget one that was still within the window (a job flood), so that a nonce matching no unit it still
 * knows can be told apart from a hardware error (issue 21 D5). Every unit carries a generation: the
 * chain's count of units sent, which never repeats.
 */

/** How long a replaced unit stays known for late nonces, ms. */
export const LATE_WINDOW_MS = 2000;
/** How many replaced units a slot keeps at most. */
export const LATE_GENERATIONS = 8;

export interface RingEntry<E> {
  generation: number;
  /** The unit that held the slot before this one. */
  earlier?: E;
  /** When this unit was replaced in its slot. */
  replacedAt?: number;
}

export class JobRing<E extends RingEntry<E>> {
  private readonly slots = new Map<number, E>();
  private readonly forgottenAt = new Map<number, number>();
  private generation = 0;

  /** The next generation number (one per unit sent). */
  nextGeneration(): number {
    return ++this.generation;
  }

  /** Puts `entry` in `slot`, keeping what held it before as its earlier units. */
  put(slot: number, entry: E, now: number): void {
    const before = this.slots.get(slot);
    if (before) {
      before.replacedAt = now;
      entry.earlier = before;
      let e: E | undefined = before;
      for (let depth = 1; e?.earlier; depth++, e = e.earlier) {
        const older: E = e.earlier;
        // Replaced longer ago than the late window: lineage() never reaches it again. Let it go with the
        // nonces it saw (at thousands of nonces a second, slots holding them for minutes were most of the
        // agent's heap growth: scripts/bench/deployed.bench.ts). Units are replaced in order, so all
        // older ones go with it.
        if (now - (older.replacedAt ?? now) > LATE_WINDOW_MS) {
          delete e.earlier;
          break;
        }
        if (depth < LATE_GENERATIONS) continue;
        this.forgottenAt.set(slot, older.replacedAt ?? now);
        delete e.earlier;
      }
    }
    this.slots.set(slot, entry);
  }

  /** The unit holding `slot` now, then the ones it replaced within the late window, newest first. */
  lineage(slot: number, now: number): E[] {
    const out: E[] = [];
    for (let e = this.slots.get(slot); e; e = e.earlier) {
      if (out.length > 0 && now - (e.replacedAt ?? now) > LATE_WINDOW_MS) break;
      out.push(e);
    }
    return out;
  }

  /** True when `slot` forgot a unit that was still within the late window (a nonce may belong to it). */
  historyCut(slot: number, now: number): boolean {
    const t = this.forgottenAt.get(slot);
    return t !== undefined && now - t <= LATE_WINDOW_MS;
  }

  clear(): void {
    this.slots.clear();
    this.forgottenAt.clear();
  }
}
