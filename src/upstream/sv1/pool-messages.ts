/**
 * Messages a Stratum V1 pool sends a miner, with their parameters checked. Every parser throws
 * Sv1ProtocolError('bad-params') naming what is wrong; nothing here trusts the pool.
 *
 * Methods (slush's protocol description unless noted):
 *   mining.notify            [job_id, prevhash, coinb1, coinb2, merkle_branch[], version, nbits, ntime, clean_jobs]
 *   mining.set_difficulty    [difficulty]   (any positive number; fractional difficulties are common)
 *   mining.set_version_mask  [mask]         (BIP310: TMask, 8 hex digits)
 *   mining.set_extranonce    [extranonce1, extranonce2_size]  (NiceHash's extranonce.subscribe extension)
 *   client.reconnect         [host?, port?, wait_seconds?]
 *   client.show_message      [text]
 *   client.get_version, mining.ping: no parameters, a reply is expected when the id is not null.
 * Replies: subscribe → [subscriptions, extranonce1, extranonce2_size]; configure → BIP310 result map.
 */
import { fromHex, isHex, parseU32Hex } from '../../work/bytes.js';
import { Sv1ProtocolError, type Sv1Id, type Sv1Message, type Sv1Response } from './json-rpc.js';

/** Longest job id we accept (pools use short hex counters; ckpool ~16 chars). */
const MAX_JOB_ID = 128;
/** Deepest merkle branch we accept: 2^32 transactions would need 32 levels. */
const MAX_BRANCH = 32;
/**
 * extranonce2 size limits. cgminer handles up to 8; the SV2 translator allows up to 16
 * (docs/stratum-v1-and-pools.md "What the pool sends").
 */
export const MAX_EXTRANONCE2_SIZE = 16;
/** extranonce1 longer than this would leave a coinbase scriptSig (max 100 bytes) little room. */
const MAX_EXTRANONCE1_BYTES = 32;

function bad(method: string, what: string): never {
  throw new Sv1ProtocolError('bad-params', `${method}: ${what}`);
}

function hexParam(method: string, name: string, v: unknown, bytes?: number): Uint8Array {
  if (typeof v !== 'string' || !isHex(v, bytes)) bad(method, `${name} must be ${bytes === undefined ? 'hex' : `${bytes * 2} hex digits`}`);
  return fromHex(v);
}

function u32Param(method: string, name: string, v: unknown): number {
  if (typeof v !== 'string' || !isHex(v, 4)) bad(method, `${name} must be 8 hex digits`);
  return parseU32Hex(v);
}

export interface NotifyParams {
  jobId: string;
  /** As sent: internal order with each 4-byte word byte-reversed (see work/byte-order.ts). */
  prevHashStratum: Uint8Array;
  coinb1: Uint8Array;
  coinb2: Uint8Array;
  /** Internal byte order, deepest first. */
  merkleBranch: Uint8Array[];
  version: number;
  nbits: number;
  ntime: number;
  cleanJobs: boolean;
}

/**
 * mining.notify. Nine parameters; some pools add fields before clean_jobs (ESP-Miner accepts a 10-param
 * variant), so clean_jobs is read from the last element.
 */
export function parseNotify(params: unknown[]): NotifyParams {
  const m = 'mining.notify';
  if (params.length < 9) bad(m, `expected 9 parameters, got ${params.length}`);
  const [jobId, prev, coinb1, coinb2, branch, version, nbits, ntime] = params;
  const clean = params[params.length - 1];
  if (typeof jobId !== 'string' || jobId.length === 0 || jobId.length > MAX_JOB_ID) bad(m, 'job_id must be a non-empty string');
  if (!Array.isArray(branch)) bad(m, 'merkle_branch must be an array');
  if (branch.length > MAX_BRANCH) bad(m, `merkle_branch has ${branch.length} entries (max ${MAX_BRANCH})`);
  if (typeof clean !== 'boolean') bad(m, 'clean_jobs must be a boolean');
  return {
    jobId,
    prevHashStratum: hexParam(m, 'prevhash', prev, 32),
    coinb1: hexParam(m, 'coinb1', coinb1),
    coinb2: hexParam(m, 'coinb2', coinb2),
    merkleBranch: branch.map((h, i) => hexParam(m, `merkle_branch[${i}]`, h, 32)),
    version: u32Param(m, 'version', version),
    nbits: u32Param(m, 'nbits', nbits),
    ntime: u32Param(m, 'ntime', ntime),
    cleanJobs: clean,
  };
}

/** mining.set_difficulty: a positive finite number (integer or fractional). Some pools send it as a string. */
export function parseSetDifficulty(params: unknown[]): number {
  const m = 'mining.set_difficulty';
  const [d] = params;
  const v = typeof d === 'string' && d.trim() !== '' ? Number(d) : d;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) bad(m, 'difficulty must be a positive number');
  return v;
}

/** mining.set_version_mask (BIP310): the new mask, valid immediately. */
export function parseSetVersionMask(params: unknown[]): number {
  return u32Param('mining.set_version_mask', 'mask', params[0]);
}

export interface ExtranonceParams {
  extranonce1: Uint8Array;
  extranonce2Size: number;
}

function extranonce2Size(method: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_EXTRANONCE2_SIZE) {
    bad(method, `extranonce2_size must be an integer 1..${MAX_EXTRANONCE2_SIZE}`);
  }
  return v;
}

function extranonce1(method: string, v: unknown): Uint8Array {
  const b = hexParam(method, 'extranonce1', v);
  if (b.length > MAX_EXTRANONCE1_BYTES) bad(method, `extranonce1 is ${b.length} bytes (max ${MAX_EXTRANONCE1_BYTES})`);
  return b;
}

/** mining.set_extranonce: [extranonce1, extranonce2_size]. */
export function parseSetExtranonce(params: unknown[]): ExtranonceParams {
  const m = 'mining.set_extranonce';
  return { extranonce1: extranonce1(m, params[0]), extranonce2Size: extranonce2Size(m, params[1]) };
}

export interface SubscribeResult extends ExtranonceParams {
  /** [method, subscription id] pairs; informational. */
  subscriptions: [string, string][];
}

/** Reply to mining.subscribe: [[[method, id], ...] | [method, id], extranonce1, extranonce2_size]. */
export function parseSubscribeResult(result: unknown): SubscribeResult {
  const m = 'mining.subscribe result';
  if (!Array.isArray(result) || result.length < 3) bad(m, 'expected [subscriptions, extranonce1, extranonce2_size]');
  const [subs, en1, en2] = result;
  const subscriptions: [string, string][] = [];
  if (Array.isArray(subs)) {
    // Either one pair ["mining.notify", "id"] or a list of pairs.
    const pairs = subs.length === 2 && typeof subs[0] === 'string' ? [subs] : subs;
    for (const p of pairs) {
      if (Array.isArray(p) && typeof p[0] === 'string') subscriptions.push([p[0], typeof p[1] === 'string' ? p[1] : String(p[1])]);
    }
  }
  return { subscriptions, extranonce1: extranonce1(m, en1), extranonce2Size: extranonce2Size(m, en2) };
}

export interface ConfigureResult {
  /** Granted mask when version rolling was accepted, else null. */
  versionRollingMask: number | null;
  /** The pool's reason when it refused version rolling with a string (BIP310 TExtensionResult). */
  versionRollingError?: string;
  minimumDifficulty?: boolean;
}

/** Reply to mining.configure (BIP310): a map of extension results. */
export function parseConfigureResult(result: unknown): ConfigureResult {
  const m = 'mining.configure result';
  if (typeof result !== 'object' || result === null || Array.isArray(result)) bad(m, 'expected a map of extension results');
  const r = result as Record<string, unknown>;
  const vr = r['version-rolling'];
  const out: ConfigureResult = { versionRollingMask: null };
  if (vr === true) {
    out.versionRollingMask = u32Param(m, 'version-rolling.mask', r['version-rolling.mask']);
  } else if (typeof vr === 'string') {
    out.versionRollingError = vr.slice(0, 200);
  }
  if (typeof r['minimum-difficulty'] === 'boolean') out.minimumDifficulty = r['minimum-difficulty'];
  return out;
}

export interface ReconnectParams {
  host?: string;
  port?: number;
  waitSeconds: number;
}

/** client.reconnect: [] or [host, port] or [host, port, wait]. Port may come as a string. */
export function parseReconnect(params: unknown[]): ReconnectParams {
  const m = 'client.reconnect';
  const [host, port, wait] = params;
  const out: ReconnectParams = { waitSeconds: 0 };
  if (host !== undefined && host !== null && host !== '') {
    if (typeof host !== 'string' || host.length > 255 || !/^[A-Za-z0-9.\-:[\]]+$/.test(host)) bad(m, 'host must be a hostname');
    out.host = host;
  }
  if (port !== undefined && port !== null && port !== '') {
    const p = typeof port === 'string' ? Number(port) : port;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) bad(m, 'port must be 1..65535');
    out.port = p;
  }
  if (wait !== undefined && wait !== null) {
    const w = typeof wait === 'string' ? Number(wait) : wait;
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) bad(m, 'wait must be a non-negative number of seconds');
    out.waitSeconds = w;
  }
  return out;
}

/** client.show_message: [text]. Control characters are removed before the text reaches a log. */
export function parseShowMessage(params: unknown[]): string {
  const [text] = params;
  if (typeof text !== 'string') bad('client.show_message', 'text must be a string');
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 500);
}

/** A pool line, decoded and checked: what the client acts on. */
export type PoolMessage =
  | { kind: 'notify'; notify: NotifyParams }
  | { kind: 'set_difficulty'; difficulty: number }
  | { kind: 'set_version_mask'; mask: number }
  | { kind: 'set_extranonce'; extranonce: ExtranonceParams }
  | { kind: 'reconnect'; reconnect: ReconnectParams }
  | { kind: 'show_message'; text: string }
  /** Requests the miner answers when `id` is not null. */
  | { kind: 'get_version'; id: Sv1Id }
  | { kind: 'ping'; id: Sv1Id }
  | { kind: 'unknown'; id: Sv1Id; method: string }
  | { kind: 'response'; response: Sv1Response };

/** Checks the parameters of a decoded pool message. Throws Sv1ProtocolError('bad-params'). */
export function parsePoolMessage(m: Sv1Message): PoolMessage {
  if (m.type === 'response') return { kind: 'response', response: m };
  switch (m.method) {
    case 'mining.notify':
      return { kind: 'notify', notify: parseNotify(m.params) };
    case 'mining.set_difficulty':
      return { kind: 'set_difficulty', difficulty: parseSetDifficulty(m.params) };
    case 'mining.set_version_mask':
      return { kind: 'set_version_mask', mask: parseSetVersionMask(m.params) };
    case 'mining.set_extranonce':
      return { kind: 'set_extranonce', extranonce: parseSetExtranonce(m.params) };
    case 'client.reconnect':
      return { kind: 'reconnect', reconnect: parseReconnect(m.params) };
    case 'client.show_message':
      return { kind: 'show_message', text: parseShowMessage(m.params) };
    case 'client.get_version':
      return { kind: 'get_version', id: m.id };
    case 'mining.ping':
      return { kind: 'ping', id: m.id };
    default:
      return { kind: 'unknown', id: m.id, method: m.method };
  }
}
