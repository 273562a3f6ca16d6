/**
 * Stratum V1 framing above the line: each line is one JSON object, loosely JSON-RPC 1.0
 * (slush's "Stratum mining protocol", 2012). A line is either
 *   - a request or notification: `{"id": <id|null>, "method": "...", "params": [...]}`, or
 *   - a reply: `{"id": <id|null>, "result": ..., "error": ...}`.
 *
 * Real pools bend this in several ways, all seen in ../shared/vectors/real/stratum-v1-lines.jsonl:
 *   - notifications with a non-null id (`mining.set_version_mask` with id 1);
 *   - key order varies (`params` first);
 *   - four error shapes: `[code, message, data]` (slush), a bare string (`"Stale"`), a ckpool-style
 *     `"reject-reason"` next to `result: false`, and a JSON-RPC 2.0 object `{code, message, data}`;
 *   - replies with id null (an error that cannot be matched to a request).
 * This module only decodes the envelope and normalises the error; method parameters are checked in
 * pool-messages.ts (pool → miner) and miner-messages.ts (miner → pool).
 */

export type Sv1Id = number | string | null;

/** Typed error for a line that is not a Stratum V1 message (or a message with bad parameters). */
export class Sv1ProtocolError extends Error {
  override readonly name = 'Sv1ProtocolError';
  constructor(
    /** Short machine-readable category, used as a counter key. */
    readonly kind: 'invalid-json' | 'not-an-object' | 'bad-id' | 'bad-method' | 'bad-params' | 'unrecognized' | 'line-too-long',
    message: string,
  ) {
    super(message);
  }
}

/** A request (non-null id, a reply is expected) or a notification (id null) from the peer. */
export interface Sv1Request {
  type: 'request';
  id: Sv1Id;
  method: string;
  params: unknown[];
}

/** An error a pool gave, whatever shape it came in. */
export interface Sv1ReplyError {
  /** Numeric code when the pool gave one (slush's table: 20 other, 21 job not found, 22 duplicate, 23 low difficulty, 24 unauthorized, 25 not subscribed). */
  code: number | null;
  message: string;
}

export interface Sv1Response {
  type: 'response';
  id: Sv1Id;
  result: unknown;
  /** Normalised error, or null when the reply carries none (a `result: false` with no reason still counts as a failure; see `replyFailure`). */
  error: Sv1ReplyError | null;
}

export type Sv1Message = Sv1Request | Sv1Response;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function decodeId(v: unknown): Sv1Id {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.length <= 64) return v;
  throw new Sv1ProtocolError('bad-id', `id must be a number, a short string or null, got ${typeof v}`);
}

/** Longest error text we keep (pools have sent whole HTML pages as error strings). */
const MAX_ERROR_TEXT = 200;

function clip(s: string): string {
  return s.length > MAX_ERROR_TEXT ? `${s.slice(0, MAX_ERROR_TEXT)}…` : s;
}

/** Normalises every error shape a pool uses; null when there is no error. */
export function normaliseError(error: unknown, rejectReason?: unknown): Sv1ReplyError | null {
  if (error === null || error === undefined || error === false) {
    if (typeof rejectReason === 'string' && rejectReason.length > 0) return { code: null, message: clip(rejectReason) };
    return null;
  }
  if (Array.isArray(error)) {
    // slush: [code, message, traceback]
    const [code, message] = error;
    return {
      code: typeof code === 'number' && Number.isFinite(code) ? code : null,
      message: clip(typeof message === 'string' ? message : JSON.stringify(error)),
    };
  }
  if (typeof error === 'string') return { code: null, message: clip(error) };
  if (isPlainObject(error)) {
    // JSON-RPC 2.0 §5.1: {code, message, data}
    const code = error.code;
    const message = error.message;
    return {
      code: typeof code === 'number' && Number.isFinite(code) ? code : null,
      message: clip(typeof message === 'string' ? message : JSON.stringify(error)),
    };
  }
  return { code: null, message: clip(JSON.stringify(error)) };
}

/**
 * Why a reply is a failure, or null when it succeeded. A reply succeeds when it has no error and
 * its result is not false/null: `result: true` for submit and authorize, an array or object for
 * subscribe and configure.
 */
export function replyFailure(r: Sv1Response): Sv1ReplyError | null {
  if (r.error) return r.error;
  if (r.result === false || r.result === null || r.result === undefined) return { code: null, message: r.result === false ? 'rejected' : 'no result' };
  return null;
}

/** Decodes one line (without its newline). Throws Sv1ProtocolError. */
export function decodeSv1Line(line: string): Sv1Message {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    throw new Sv1ProtocolError('invalid-json', `invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isPlainObject(v)) throw new Sv1ProtocolError('not-an-object', 'a Stratum message must be a JSON object');
  const id = decodeId(v.id);
  if ('method' in v && v.method !== undefined && v.method !== null) {
    if (typeof v.method !== 'string' || v.method.length === 0 || v.method.length > 64) {
      throw new Sv1ProtocolError('bad-method', 'method must be a non-empty string');
    }
    let params: unknown[];
    if (v.params === undefined || v.params === null) params = [];
    else if (Array.isArray(v.params)) params = v.params;
    else throw new Sv1ProtocolError('bad-params', `${v.method}: params must be an array`);
    return { type: 'request', id, method: v.method, params };
  }
  if ('result' in v || 'error' in v) {
    return { type: 'response', id, result: v.result, error: normaliseError(v.error, v['reject-reason']) };
  }
  throw new Sv1ProtocolError('unrecognized', 'neither a request (method) nor a reply (result/error)');
}

/** One request line (newline included). Key order follows slush's examples: id, method, params. */
export function encodeRequest(id: Sv1Id, method: string, params: unknown[]): string {
  return `${JSON.stringify({ id, method, params })}\n`;
}

/** One reply line (newline included), error in slush's `[code, message, null]` form. */
export function encodeResult(id: Sv1Id, result: unknown, error: Sv1ReplyError | null = null): string {
  return `${JSON.stringify({ id, result, error: error ? [error.code ?? 20, error.message, null] : null })}\n`;
}
