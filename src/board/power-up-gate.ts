/**
 * Whether a command may power the board up now (issue 21 D1). Two rules, each with its reason:
 * - the thermal policy's own word (`ThermalPolicy.powerUpBlocker`): a stop verdict, a missing or stuck
 *   chip/board temperature, a failed or stalled fan. Only new readings clear it, never a command;
 * - a rate limit: at most one power-up per `MIN_POWER_UP_INTERVAL_MS`, counted from the previous
 *   power-up of any kind, so that restarts sent in a loop cannot cycle the chains' power (inrush, thermal
 *   cycling of the solder joints) or keep a board in its power-up phase.
 */
import type { StopReason } from '../thermal/thermal-policy.js';

/** 30 s: longer than a chain bring-up plus the policy's shortest fault windows (stall 5 s, no reading 10 s by default). */
export const MIN_POWER_UP_INTERVAL_MS = 30_000;

/** A power-up refused; the message says why. `reason` is the policy's stop reason, or `rate-limit`. */
export class PowerUpRefused extends Error {
  override readonly name = 'PowerUpRefused';
  constructor(
    readonly reason: StopReason | 'rate-limit',
    readonly detail: string,
    /** For the rate limit: how long until a power-up is allowed, ms. */
    readonly retryInMs?: number,
  ) {
    super(`refusing to power up: ${detail} (${reason})`);
  }
}

export class PowerUpGate {
  private lastAt: number | undefined;

  constructor(private readonly minIntervalMs = MIN_POWER_UP_INTERVAL_MS) {}

  /** A power-up began (of any kind: boot, command, the policy's own restart after an overheat). */
  record(nowMs: number): void {
    this.lastAt = nowMs;
  }

  /** The refusal for a command's power-up now, or undefined. */
  check(nowMs: number, blocker: { reason: StopReason; detail: string } | undefined): PowerUpRefused | undefined {
    if (blocker) return new PowerUpRefused(blocker.reason, blocker.detail);
    if (this.lastAt !== undefined && nowMs - this.lastAt < this.minIntervalMs) {
      const wait = Math.ceil((this.minIntervalMs - (nowMs - this.lastAt)) / 1000);
      return new PowerUpRefused(
        'rate-limit',
        `the last power-up was ${Math.round((nowMs - this.lastAt) / 1000)} s ago; at most one per ${this.minIntervalMs / 1000} s, next in ${wait} s`,
        this.minIntervalMs - (nowMs - this.lastAt),
      );
    }
    return undefined;
  }
}
