/**
 * The alarms in effect, from the conditions seen at each look (a tick, an API request): a condition
 * that appears is raised, one that is no longer there is cleared. The book keeps when each alarm began
 * (so `at` does not move while it lasts), the recently cleared ones for the APIs, and tells listeners
 * (webhooks, MQTT) about every raise and clear exactly once, whoever looked.
 */
import type { Alarm } from '../api/snapshot.js';
import { TypedEmitter } from '../typed-emitter.js';

/** A condition as the agent sees it now; `key` identifies it across looks. */
export type AlarmCondition = Omit<Alarm, 'active' | 'clearedAt' | 'key'> & { key: string };

export interface AlarmBookEvents extends Record<string, unknown[]> {
  raise: [Alarm];
  clear: [Alarm];
}

/** Cleared alarms kept for the APIs (`/api/board`, `alarms` in a snapshot). */
const RECENT_CLEARED = 20;

export class AlarmBook extends TypedEmitter<AlarmBookEvents> {
  private readonly active = new Map<string, Alarm>();
  private cleared: Alarm[] = [];

  /** Takes the conditions seen now (wall seconds `now`); returns the recently cleared then the active alarms, oldest first. */
  update(conditions: readonly AlarmCondition[], now: number): Alarm[] {
    const seen = new Set<string>();
    for (const c of conditions) {
      if (seen.has(c.key)) continue;
      seen.add(c.key);
      const prev = this.active.get(c.key);
      if (prev) {
        // Same condition: keep its start time, take the newest wording.
        this.active.set(c.key, { ...c, at: prev.at, active: true });
        continue;
      }
      const a: Alarm = { ...c, at: c.at, active: true };
      this.active.set(c.key, a);
      this.emit('raise', a);
    }
    for (const [key, a] of this.active) {
      if (seen.has(key)) continue;
      this.active.delete(key);
      const done: Alarm = { ...a, active: false, clearedAt: now };
      this.cleared.push(done);
      if (this.cleared.length > RECENT_CLEARED) this.cleared = this.cleared.slice(-RECENT_CLEARED);
      this.emit('clear', done);
    }
    return this.list();
  }

  list(): Alarm[] {
    return [...this.cleared, ...[...this.active.values()].sort((a, b) => a.at - b.at)];
  }

  activeAlarms(): Alarm[] {
    return [...this.active.values()];
  }
}
