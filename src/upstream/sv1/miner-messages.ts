/**
 * Messages a Stratum V1 miner sends a pool: builders for the client, parsers for the lab pool (and
 * for checking captured miner lines). Parsers throw Sv1ProtocolError('bad-params').
 *
 *   mining.configure           [[extensions...], {params}]    (BIP310)
 *   mining.subscribe           [user_agent?, session_id?]
 *   mining.authorize           [user, password]
 *   mining.suggest_difficulty  [difficulty]
 *   mining.extranonce.subscribe []                           (NiceHash extension)
 *   mining.submit              [user, job_id, extranonce2, ntime, nonce, version_bits?]  (BIP310 adds the 6th)
 */
import { isHex, parseU32Hex, u32Hex } from '../../work/bytes.js';
import { Sv1ProtocolError } from './json-rpc.js';

function bad(method: string, what: string): never {
  throw new Sv1ProtocolError('bad-params', `${method}: ${what}`);
}

export interface ConfigureRequest {
  extensions: string[];
  /** Requested version-rolling mask (BIP310 default when absent: ffffffff). */
  versionRollingMask?: number;
  versionRollingMinBitCount?: number;
  minimumDifficulty?: number;
}

export function configureParams(req: ConfigureRequest): unknown[] {
  const p: Record<string, unknown> = {};
  if (req.versionRollingMask !== undefined) p['version-rolling.mask'] = u32Hex(req.versionRollingMask);
  // BIP310 calls this a TMask in one place and a count in the example; pools (and p2pool's parser, see
  // docs/stratum-v1-and-pools.md "Handshake") expect the integer form of the example.
  if (req.versionRollingMinBitCount !== undefined) p['version-rolling.min-bit-count'] = req.versionRollingMinBitCount;
  if (req.minimumDifficulty !== undefined) p['minimum-difficulty.value'] = req.minimumDifficulty;
  return [req.extensions, p];
}

export function parseConfigureParams(params: unknown[]): ConfigureRequest {
  const m = 'mining.configure';
  const [exts, map] = params;
  if (!Array.isArray(exts) || !exts.every((e) => typeof e === 'string' && e.length > 0)) bad(m, 'extensions must be a list of strings');
  if (typeof map !== 'object' || map === null || Array.isArray(map)) bad(m, 'extension parameters must be a map');
  const r = map as Record<string, unknown>;
  const out: ConfigureRequest = { extensions: exts as string[] };
  const mask = r['version-rolling.mask'];
  if (mask !== undefined) {
    if (typeof mask !== 'string' || !isHex(mask, 4)) bad(m, 'version-rolling.mask must be 8 hex digits');
    out.versionRollingMask = parseU32Hex(mask);
  }
  const mbc = r['version-rolling.min-bit-count'];
  if (mbc !== undefined) {
    // Accept the integer form and the hex-string (TMask) reading of BIP310.
    const n = typeof mbc === 'string' && isHex(mbc.padStart(8, '0'), 4) ? Number.parseInt(mbc, 16) : mbc;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 32) bad(m, 'version-rolling.min-bit-count must be 0..32');
    out.versionRollingMinBitCount = n;
  }
  const md = r['minimum-difficulty.value'];
  if (md !== undefined) {
    if (typeof md !== 'number' || !Number.isFinite(md) || md < 0) bad(m, 'minimum-difficulty.value must be a number >= 0');
    out.minimumDifficulty = md;
  }
  return out;
}

export function subscribeParams(userAgent: string): unknown[] {
  return [userAgent];
}

export function parseSubscribeParams(params: unknown[]): { userAgent?: string; sessionId?: string } {
  const [ua, session] = params;
  const out: { userAgent?: string; sessionId?: string } = {};
  if (ua !== undefined && ua !== null) {
    if (typeof ua !== 'string') bad('mining.subscribe', 'user agent must be a string');
    out.userAgent = ua.slice(0, 200);
  }
  if (typeof session === 'string') out.sessionId = session.slice(0, 64);
  return out;
}

export function authorizeParams(user: string, password: string): unknown[] {
  return [user, password];
}

export function parseAuthorizeParams(params: unknown[]): { user: string; password: string } {
  const [user, password] = params;
  if (typeof user !== 'string' || user.length === 0 || user.length > 256) bad('mining.authorize', 'user must be a non-empty string');
  if (password !== undefined && password !== null && typeof password !== 'string') bad('mining.authorize', 'password must be a string');
  return { user, password: typeof password === 'string' ? password : '' };
}

export function parseSuggestDifficultyParams(params: unknown[]): number {
  const [d] = params;
  if (typeof d !== 'number' || !Number.isFinite(d) || d <= 0) bad('mining.suggest_difficulty', 'difficulty must be a positive number');
  return d;
}

export interface SubmitParams {
  user: string;
  jobId: string;
  /** Hex, exactly extranonce2_size bytes (checked by the pool against the session). */
  extranonce2: string;
  ntime: number;
  nonce: number;
  /** BIP310 version_bits, present only when version rolling was negotiated. */
  versionBits?: number;
}

export function submitParams(s: SubmitParams): unknown[] {
  const p: unknown[] = [s.user, s.jobId, s.extranonce2, u32Hex(s.ntime), u32Hex(s.nonce)];
  if (s.versionBits !== undefined) p.push(u32Hex(s.versionBits));
  return p;
}

export function parseSubmitParams(params: unknown[]): SubmitParams {
  const m = 'mining.submit';
  if (params.length < 5 || params.length > 6) bad(m, `expected 5 or 6 parameters, got ${params.length}`);
  const [user, jobId, en2, ntime, nonce, vb] = params;
  if (typeof user !== 'string') bad(m, 'user must be a string');
  if (typeof jobId !== 'string' || jobId.length === 0 || jobId.length > 128) bad(m, 'job_id must be a non-empty string');
  if (typeof en2 !== 'string' || !isHex(en2) || en2.length === 0) bad(m, 'extranonce2 must be hex');
  if (typeof ntime !== 'string' || !isHex(ntime, 4)) bad(m, 'ntime must be 8 hex digits');
  if (typeof nonce !== 'string' || !isHex(nonce, 4)) bad(m, 'nonce must be 8 hex digits');
  const out: SubmitParams = { user, jobId, extranonce2: en2.toLowerCase(), ntime: parseU32Hex(ntime), nonce: parseU32Hex(nonce) };
  if (vb !== undefined) {
    if (typeof vb !== 'string' || !isHex(vb, 4)) bad(m, 'version_bits must be 8 hex digits');
    out.versionBits = parseU32Hex(vb);
  }
  return out;
}
