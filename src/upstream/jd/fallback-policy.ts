/**
 * The `on_censorship` policy as a decision (docs/job-declaration.md "Config: `[job_declaration]`"):
 * where the chains go after a censorship alarm or a failed pair, and which pool left behind a recheck
 * probes. Pure: jd-fallback.ts acts on the answers.
 */
import type { CensorshipAlarm, CensorshipPolicy } from './censorship-alarm.js';

/** Where the policy sends the chains: stay on the pair and declare again, another pair, or solo. */
export type FallbackStep = { to: 'retry' } | { to: 'pair'; index: number } | { to: 'solo' };

/** Where the chains mine now and what there is to fall back on. */
export interface FallbackPosition {
  policy: CensorshipPolicy;
  /** Index of the pair mined now. */
  pairIndex: number;
  pairCount: number;
  /** A solo payout is configured. */
  soloPayout: boolean;
}

/** `next-pool` goes down the list; after the last pair solo when a payout is configured, else the first again. */
export function fallbackStep(p: FallbackPosition): FallbackStep {
  switch (p.policy) {
    case 'retry':
      return { to: 'retry' };
    case 'solo':
      return { to: 'solo' };
    case 'next-pool': {
      const next = p.pairIndex + 1;
      if (next < p.pairCount) return { to: 'pair', index: next };
      return p.soloPayout ? { to: 'solo' } : { to: 'pair', index: 0 };
    }
  }
}

/** The action an alarm reports: the policy, and for `next-pool` past the last pair where it leads. */
export function alarmAction(p: FallbackPosition): CensorshipAlarm['action'] {
  if (p.policy === 'next-pool' && p.pairIndex + 1 >= p.pairCount) return p.soloPayout ? 'next-pool->solo' : 'next-pool->first';
  return p.policy;
}

/**
 * The pair a recheck probes: the most preferred one left behind that is above the pair mined now (any
 * when solo, `current` = null); undefined when there is none.
 */
export function recheckCandidate(leftBehind: Iterable<number>, current: number | null): number | undefined {
  const above = current ?? Number.POSITIVE_INFINITY;
  return [...leftBehind].filter((i) => i < above).sort((a, b) => a - b)[0];
}
