/**
 * How pool groups share the chains: time slicing weighted by quota. At every slice boundary the chains
 * go to the eligible group that has used the least time per unit of quota (stride scheduling), ties to
 * the group listed first. Over a window of T slices a group with quota q (of a total Q over n eligible
 * groups) gets between T·q/Q − n·q/Q and T·q/Q + 1 slices: a group is only charged while it has the
 * lowest used/quota, so it can never run more than one slice ahead of its share.
 *
 * Why time and not share difficulty: time is what the agent controls exactly, it does not depend on
 * share luck (a few shares a minute at pool difficulty would make a difficulty-based split noisy for
 * hours), and with constant hashrate time share is hashrate share.
 *
 * A group that was not eligible (its pools down) does not bank credit: when it comes back its usage is
 * raised to the level of the others, so it does not hold the chains for a long catch-up run.
 */
export class QuotaScheduler {
  private readonly used = new Map<string, number>();
  private readonly quota = new Map<string, number>();
  private readonly order: string[];

  constructor(groups: readonly { name: string; quota: number }[]) {
    this.order = groups.map((g) => g.name);
    for (const g of groups) {
      if (!(g.quota > 0)) throw new RangeError(`quota of ${g.name} must be positive`);
      this.quota.set(g.name, g.quota);
      this.used.set(g.name, 0);
    }
  }

  /** Adds time the group held the chains. */
  charge(group: string, ms: number): void {
    if (ms > 0) this.used.set(group, (this.used.get(group) ?? 0) + ms);
  }

  usedMs(group: string): number {
    return this.used.get(group) ?? 0;
  }

  private norm(group: string): number {
    return (this.used.get(group) ?? 0) / (this.quota.get(group) ?? 1);
  }

  /** The eligible group that should hold the chains next. */
  pick(eligible: ReadonlySet<string>): string | undefined {
    let best: string | undefined;
    let bestNorm = Number.POSITIVE_INFINITY;
    for (const g of this.order) {
      if (!eligible.has(g)) continue;
      const n = this.norm(g);
      if (n < bestNorm) {
        best = g;
        bestNorm = n;
      }
    }
    return best;
  }

  /** A group became eligible again: no credit for the time it was away. */
  rejoin(group: string, others: ReadonlySet<string>): void {
    let floor = Number.POSITIVE_INFINITY;
    for (const g of others) if (g !== group) floor = Math.min(floor, this.norm(g));
    if (!Number.isFinite(floor)) return;
    const q = this.quota.get(group) ?? 1;
    this.used.set(group, Math.max(this.used.get(group) ?? 0, floor * q));
  }
}
