/**
 * The `[job_declaration]` table of the agent's config, as a typed object, and what it becomes: the
 * options of a JdUpstream. The agent's config loader (src/config) owns the TOML schema and line
 * numbers; `parseJobDeclarationTable` is a strict stand-alone check of the same keys (unknown keys,
 * wrong types and missing values are errors naming the dotted key), so the table can be validated
 * wherever it is read. Keys are described in docs/job-declaration.md.
 *
 *   [job_declaration]
 *   template_provider = "stratum2+tcp://127.0.0.1:8442/<TP authority key>"
 *   mode = "full-template"            # or "coinbase-only"
 *   on_censorship = "next-pool"       # retry | next-pool | solo
 *   network = "mainnet"               # for payout_address
 *   payout_address = "bc1q..."        # solo payout (or payout_script = "<hex>")
 *   stale_tip_wait = 30               # s: a stale chain tip at the pool is waited out this long
 *   censorship_recheck = 600          # s: a pool left behind is probed again (0 = never)
 *
 *   [[job_declaration.pool]]          # pool + JDS pairs, in order of preference
 *   url = "stratum2+tcp://pool.example:34254/<pool authority key>"
 *   jds_url = "stratum2+tcp://pool.example:34264/<pool authority key>"
 *   user = "account.worker"
 */
import type { Clock } from '../../clock.js';
import { parseSv2Url, PoolUrlError } from '../sv2/url.js';
import { checkLinkSecurity } from '../sv2/session-supervisor.js';
import type { DeclarationMode } from '../sv2/jds-client.js';
import type { CensorshipPolicy } from './censorship-alarm.js';
import { addressToScript, BITCOIN_NETWORKS, hexToScript, PayoutScriptError, type BitcoinNetwork } from './payout-script.js';
import { JdUpstream, type JdUpstreamOptions } from './jd-upstream.js';

export interface JdPoolEntry {
  name?: string;
  /** The pool's mining URL (stratum2+tcp://host:port/<authority key>). */
  url: string;
  /** The pool's Job Declarator Server URL. */
  jdsUrl: string;
  user: string;
  allowUnauthenticated?: boolean;
  plain?: boolean;
}

/** The `[job_declaration]` table, typed (camelCase of the TOML keys). */
export interface JobDeclarationConfig {
  templateProvider: string;
  templateProviderAllowUnauthenticated?: boolean;
  templateProviderPlain?: boolean;
  mode: DeclarationMode;
  onCensorship: CensorshipPolicy;
  network: BitcoinNetwork;
  payoutAddress?: string;
  payoutScript?: string;
  pools: JdPoolEntry[];
  soloShareDifficulty?: number;
  extranonceSize?: number;
  tokensAhead?: number;
  /** Seconds (retry policy). */
  retryInterval?: number;
  /** Seconds allowed for each JDS / pool / template provider request. */
  requestTimeout?: number;
  /** Seconds a stale chain tip at the pool is waited out (declaring again) before the pair counts as failed. */
  staleTipWait?: number;
  /** Seconds after which a pool left for censorship or failure is probed again (0 = never). */
  censorshipRecheck?: number;
}

export class JobDeclarationConfigError extends Error {
  override readonly name = 'JobDeclarationConfigError';
  constructor(readonly problems: { key: string; message: string }[]) {
    super(problems.map((p) => `${p.key}: ${p.message}`).join('; '));
  }
}

const MODES: readonly DeclarationMode[] = ['full-template', 'coinbase-only'];
const POLICIES: readonly CensorshipPolicy[] = ['retry', 'next-pool', 'solo'];
const TOP_KEYS = [
  'template_provider',
  'template_provider_allow_unauthenticated',
  'template_provider_plain',
  'mode',
  'on_censorship',
  'network',
  'payout_address',
  'payout_script',
  'pool',
  'solo_share_difficulty',
  'extranonce_size',
  'tokens_ahead',
  'retry_interval',
  'request_timeout',
  'stale_tip_wait',
  'censorship_recheck',
];
const POOL_KEYS = ['name', 'url', 'jds_url', 'user', 'allow_unauthenticated', 'plain'];

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks a parsed `[job_declaration]` table (snake_case keys as in TOML). Throws JobDeclarationConfigError listing every problem. */
export function parseJobDeclarationTable(raw: unknown, prefix = 'job_declaration'): JobDeclarationConfig {
  const problems: { key: string; message: string }[] = [];
  const bad = (key: string, message: string): void => void problems.push({ key: `${prefix}.${key}`, message });
  if (!isTable(raw)) throw new JobDeclarationConfigError([{ key: prefix, message: 'must be a table' }]);
  for (const k of Object.keys(raw)) if (!TOP_KEYS.includes(k)) bad(k, `unknown key; [${prefix}] allows ${TOP_KEYS.join(', ')}`);
  const str = (k: string, required: boolean): string | undefined => {
    const v = raw[k];
    if (v === undefined) {
      if (required) bad(k, 'is required');
      return undefined;
    }
    if (typeof v !== 'string' || v.length === 0) {
      bad(k, 'must be a non-empty string');
      return undefined;
    }
    return v;
  };
  const bool = (t: Record<string, unknown>, k: string, key: string): boolean | undefined => {
    const v = t[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') {
      bad(key, 'must be true or false');
      return undefined;
    }
    return v;
  };
  const number = (k: string, min: number, max: number, integer: boolean): number | undefined => {
    const v = raw[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      bad(k, `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
      return undefined;
    }
    return v;
  };
  const url = (v: string | undefined, key: string): string | undefined => {
    if (v === undefined) return undefined;
    try {
      parseSv2Url(v);
      return v;
    } catch (err) {
      bad(key, err instanceof Error ? err.message : String(err));
      return undefined;
    }
  };
  const oneOf = <T extends string>(k: string, allowed: readonly T[], dflt?: T): T | undefined => {
    const v = raw[k] ?? dflt;
    if (v === undefined) {
      bad(k, `is required (${allowed.join(', ')})`);
      return undefined;
    }
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      bad(k, `must be one of ${allowed.join(', ')}`);
      return undefined;
    }
    return v as T;
  };

  const tp = url(str('template_provider', true), 'template_provider');
  const mode = oneOf('mode', MODES, 'full-template');
  const onCensorship = oneOf('on_censorship', POLICIES, 'next-pool');
  const network = oneOf('network', BITCOIN_NETWORKS, 'mainnet');
  const payoutAddress = str('payout_address', false);
  const payoutScript = str('payout_script', false);
  if (payoutAddress && payoutScript) bad('payout_script', 'give payout_address or payout_script, not both');
  if (payoutAddress && network) {
    try {
      addressToScript(payoutAddress, network);
    } catch (err) {
      bad('payout_address', err instanceof Error ? err.message : String(err));
    }
  }
  if (payoutScript) {
    try {
      hexToScript(payoutScript);
    } catch (err) {
      bad('payout_script', err instanceof Error ? err.message : String(err));
    }
  }
  const pools: JdPoolEntry[] = [];
  const rawPools = raw.pool ?? [];
  if (!Array.isArray(rawPools)) bad('pool', 'must be an array of tables ([[job_declaration.pool]])');
  else {
    const names = new Set<string>();
    rawPools.forEach((p, i) => {
      const at = `pool[${i}]`;
      if (!isTable(p)) return bad(at, 'must be a table');
      for (const k of Object.keys(p)) if (!POOL_KEYS.includes(k)) bad(`${at}.${k}`, `unknown key; allowed: ${POOL_KEYS.join(', ')}`);
      const get = (k: string): string | undefined => {
        const v = p[k];
        if (v === undefined) return undefined;
        if (typeof v !== 'string' || v.length === 0) {
          bad(`${at}.${k}`, 'must be a non-empty string');
          return undefined;
        }
        return v;
      };
      const u = url(get('url'), `${at}.url`);
      const j = url(get('jds_url'), `${at}.jds_url`);
      const user = get('user');
      if (p.url === undefined) bad(`${at}.url`, 'is required');
      if (p.jds_url === undefined) bad(`${at}.jds_url`, 'is required');
      if (p.user === undefined) bad(`${at}.user`, 'is required');
      const name = get('name') ?? u;
      if (name !== undefined) {
        if (names.has(name)) bad(`${at}.name`, `duplicate pool name ${JSON.stringify(name)}`);
        names.add(name);
      }
      const allow = bool(p, 'allow_unauthenticated', `${at}.allow_unauthenticated`);
      const plain = bool(p, 'plain', `${at}.plain`);
      if (u && j && user)
        pools.push({
          ...(get('name') !== undefined ? { name: get('name') as string } : {}),
          url: u,
          jdsUrl: j,
          user,
          ...(allow !== undefined ? { allowUnauthenticated: allow } : {}),
          ...(plain !== undefined ? { plain } : {}),
        });
    });
  }
  const hasPayout = payoutAddress !== undefined || payoutScript !== undefined;
  if (Array.isArray(rawPools) && rawPools.length === 0 && !hasPayout)
    bad('pool', 'at least one [[job_declaration.pool]] is needed, or a payout_address for solo mining');
  if (onCensorship === 'solo' && !hasPayout) bad('on_censorship', "'solo' needs payout_address or payout_script");
  const cfg: JobDeclarationConfig = {
    templateProvider: tp ?? '',
    mode: mode ?? 'full-template',
    onCensorship: onCensorship ?? 'next-pool',
    network: network ?? 'mainnet',
    pools,
  };
  const tpAllow = bool(raw, 'template_provider_allow_unauthenticated', 'template_provider_allow_unauthenticated');
  const tpPlain = bool(raw, 'template_provider_plain', 'template_provider_plain');
  if (tpAllow !== undefined) cfg.templateProviderAllowUnauthenticated = tpAllow;
  if (tpPlain !== undefined) cfg.templateProviderPlain = tpPlain;
  if (payoutAddress) cfg.payoutAddress = payoutAddress;
  if (payoutScript) cfg.payoutScript = payoutScript;
  const sd = number('solo_share_difficulty', 1e-12, 1e15, false);
  if (sd !== undefined) cfg.soloShareDifficulty = sd;
  const es = number('extranonce_size', 2, 16, true);
  if (es !== undefined) cfg.extranonceSize = es;
  const ta = number('tokens_ahead', 1, 16, true);
  if (ta !== undefined) cfg.tokensAhead = ta;
  const ri = number('retry_interval', 1, 3600, false);
  if (ri !== undefined) cfg.retryInterval = ri;
  const rt = number('request_timeout', 1, 600, false);
  if (rt !== undefined) cfg.requestTimeout = rt;
  const stw = number('stale_tip_wait', 1, 3600, false);
  if (stw !== undefined) cfg.staleTipWait = stw;
  const cr = number('censorship_recheck', 0, 86_400, false);
  if (cr !== undefined) cfg.censorshipRecheck = cr;
  if (problems.length > 0) throw new JobDeclarationConfigError(problems);
  return cfg;
}

/** What the agent passes besides the table. */
export interface JdContext {
  clock: Clock;
  /** H/s announced to pools. */
  nominalHashrate: number;
  /** Pool id for the pool manager (default 'jd'). */
  id?: string;
}

/** The JdUpstream options for a checked table. Throws PayoutScriptError / PoolUrlError for values it cannot use. */
export function jdUpstreamOptions(cfg: JobDeclarationConfig, ctx: JdContext): JdUpstreamOptions {
  let soloPayoutScript: Uint8Array | undefined;
  if (cfg.payoutAddress) soloPayoutScript = addressToScript(cfg.payoutAddress, cfg.network);
  else if (cfg.payoutScript) soloPayoutScript = hexToScript(cfg.payoutScript);
  const tp = {
    url: cfg.templateProvider,
    ...(cfg.templateProviderAllowUnauthenticated !== undefined ? { allowUnauthenticated: cfg.templateProviderAllowUnauthenticated } : {}),
    ...(cfg.templateProviderPlain !== undefined ? { plain: cfg.templateProviderPlain } : {}),
  };
  checkLinkSecurity(parseSv2Url(tp.url), tp, 'template provider');
  const pairs = cfg.pools.map((p) => {
    const sec = {
      ...(p.allowUnauthenticated !== undefined ? { allowUnauthenticated: p.allowUnauthenticated } : {}),
      ...(p.plain !== undefined ? { plain: p.plain } : {}),
    };
    checkLinkSecurity(parseSv2Url(p.url), sec, 'pool');
    checkLinkSecurity(parseSv2Url(p.jdsUrl), sec, 'JDS');
    return { name: p.name ?? p.url, poolUrl: p.url, jdsUrl: p.jdsUrl, user: p.user, ...sec };
  });
  const ms = cfg.requestTimeout !== undefined ? cfg.requestTimeout * 1000 : undefined;
  return {
    id: ctx.id ?? 'jd',
    templateProvider: tp,
    pairs,
    mode: cfg.mode,
    onCensorship: cfg.onCensorship,
    nominalHashrate: ctx.nominalHashrate,
    clock: ctx.clock,
    ...(soloPayoutScript ? { soloPayoutScript } : {}),
    ...(cfg.soloShareDifficulty !== undefined ? { soloShareDifficulty: cfg.soloShareDifficulty } : {}),
    ...(cfg.extranonceSize !== undefined ? { extranonceSize: cfg.extranonceSize } : {}),
    ...(cfg.tokensAhead !== undefined ? { tokensAhead: cfg.tokensAhead } : {}),
    ...(cfg.retryInterval !== undefined ? { retryIntervalMs: cfg.retryInterval * 1000 } : {}),
    ...(cfg.staleTipWait !== undefined ? { staleTipWaitMs: cfg.staleTipWait * 1000 } : {}),
    ...(cfg.censorshipRecheck !== undefined ? { recheckMs: cfg.censorshipRecheck * 1000 } : {}),
    ...(ms !== undefined ? { timeouts: { tokenMs: ms, declareMs: ms, customJobMs: ms, txDataMs: ms } } : {}),
  };
}

/** The agent's entry point: a JdUpstream from a checked `[job_declaration]` table. */
export function createJdUpstream(cfg: JobDeclarationConfig, ctx: JdContext): JdUpstream {
  return new JdUpstream(jdUpstreamOptions(cfg, ctx));
}

export { PayoutScriptError, PoolUrlError };
