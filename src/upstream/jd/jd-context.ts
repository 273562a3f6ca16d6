/**
 * What the parts of the Job Declaration upstream share (jd-upstream.ts composes them): its options,
 * clock, log, template provider and counters, and where the chains mine now. The declarations
 * (jd-declarations.ts), the shares and blocks (jd-shares.ts) and the fallback (jd-fallback.ts) each read
 * it; only the fallback moves the chains between pairs and solo.
 */
import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { ActiveTemplate, TemplateDistributionClient } from '../sv2/template-client.js';
import type { JdPair } from './jd-pair.js';
import type { JdUpstreamEvents, JdUpstreamOptions } from './jd-upstream.js';

/** The counters behind `stats().jd` (besides the pair, the alarms and the switches). */
export interface JdCounters {
  templates: number;
  jobs: number;
  declared: number;
  declareRefused: number;
  customJobsAccepted: number;
  customJobsRefused: number;
  /** Shares that ever had to wait for SetCustomMiningJob.Success. */
  sharesHeldTotal: number;
  lostRefused: number;
  soloShares: number;
  censorshipAlarms: number;
  pairFailures: number;
  fallbacks: number;
  blocksFound: number;
  blocksSubmitted: number;
  /** Declarations made again because the pool's node was on another chain tip. */
  staleTipRetries: number;
  /** Declarations made again after transient, token or unknown refusals. */
  declareRetries: number;
  /** Pairs left behind that were probed again. */
  rechecks: number;
}

export function newJdCounters(): JdCounters {
  return {
    templates: 0,
    jobs: 0,
    declared: 0,
    declareRefused: 0,
    customJobsAccepted: 0,
    customJobsRefused: 0,
    sharesHeldTotal: 0,
    lostRefused: 0,
    soloShares: 0,
    censorshipAlarms: 0,
    pairFailures: 0,
    fallbacks: 0,
    blocksFound: 0,
    blocksSubmitted: 0,
    staleTipRetries: 0,
    declareRetries: 0,
    rechecks: 0,
  };
}

export interface JdContext {
  readonly o: JdUpstreamOptions;
  readonly clock: Clock;
  readonly log: Logger;
  readonly tdp: TemplateDistributionClient;
  readonly jd: JdCounters;
  /** The upstream's events (JdUpstream.emit). */
  readonly emit: <K extends keyof JdUpstreamEvents & string>(event: K, ...args: JdUpstreamEvents[K]) => boolean;
  /** The pair the chains mine for (null before the first and while switching); ignored when solo. */
  pair: JdPair | null;
  /** Its index in `o.pairs`; -1 when solo. */
  pairIndex: number;
  solo: boolean;
  /** The own node's current template; undefined while the template provider is down. */
  template: ActiveTemplate | undefined;
  /** The next job is clean (a new pair, solo, or the template provider back). */
  forceClean: boolean;
  stopped: boolean;
}
