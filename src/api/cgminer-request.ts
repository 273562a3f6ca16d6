/**
 * cgminer API requests (api.c api() loop and API-README): a request that starts with `{` is JSON,
 * `{"command":"summary"}` or `{"command":"switchpool","parameter":"1"}` (the parameter may be a string or
 * a number); anything else is plain text, `summary` or `switchpool|1`. A command containing `+` is a
 * joined request (`summary+pools+devs`); its parameter is ignored, empty names are skipped and
 * repeats are answered once.
 *
 * asic-agent additions, both harmless to cgminer clients:
 *   - a `token` string field in a JSON request carries the write-access token (see cgminer-access.ts);
 *   - the request ends at the first NUL or line feed, and surrounding whitespace is ignored, so
 *     `echo summary | nc host 4028` works (api.c would compare "summary\n" and answer Invalid command).
 *
 * Framing: api.c does a single recv() and treats whatever arrived as the request. Over a network a
 * request can arrive in pieces, so `requestLength` tells the server when it has a whole one: a NUL or
 * line feed, or a JSON object that parses. Otherwise the server waits for end of stream or a short
 * quiet time (pyasic and most tools write the JSON without a terminator and wait for the reply).
 */

export interface CgminerRequest {
  json: boolean;
  /** One command, or the commands of a joined request (without empties and repeats). */
  commands: string[];
  joined: boolean;
  parameter?: string;
  /** JSON `token` field. */
  token?: string;
}

export type RequestErrorKind = 'invalid-json' | 'missing-command' | 'invalid-command' | 'empty';

export class CgminerRequestError extends Error {
  override readonly name = 'CgminerRequestError';
  constructor(
    readonly kind: RequestErrorKind,
    /** Whether the reply should be JSON (the request started with `{`). */
    readonly json: boolean,
    message: string,
  ) {
    super(message);
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false });

const NUL = 0x00;
const LF = 0x0a;

/**
 * Bytes of `buf` that form a complete request (the terminator excluded), or undefined while more may
 * come. JSON may span lines, so for JSON only a NUL ends it early; otherwise it is complete once it parses.
 */
export function requestLength(buf: Uint8Array): number | undefined {
  let start = 0;
  while (start < buf.length && isSpace(buf[start] as number)) start++;
  if (buf[start] === 0x7b /* { */) {
    const nul = buf.indexOf(NUL, start);
    if (nul >= 0) return nul;
    try {
      JSON.parse(decoder.decode(buf));
      return buf.length;
    } catch {
      return undefined;
    }
  }
  for (let i = start; i < buf.length; i++) if (buf[i] === NUL || buf[i] === LF) return i;
  return undefined;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;
}

/** The request as text: up to its terminator if it has one, whitespace trimmed. */
export function requestText(buf: Uint8Array): string {
  const n = requestLength(buf);
  return decoder.decode(n === undefined ? buf : buf.subarray(0, n)).trim();
}

/** Parses one request; throws CgminerRequestError for anything that is not one. */
export function parseRequest(input: Uint8Array | string): CgminerRequest {
  const text = typeof input === 'string' ? input.trim() : requestText(input);
  if (text.startsWith('{')) return parseJson(text);
  if (text === '') throw new CgminerRequestError('empty', false, 'empty request');
  const bar = text.indexOf('|');
  const command = (bar < 0 ? text : text.slice(0, bar)).trim();
  const parameter = bar < 0 ? undefined : text.slice(bar + 1);
  return build(command, parameter, undefined, false);
}

function parseJson(text: string): CgminerRequest {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new CgminerRequestError('invalid-json', true, 'request is not valid JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CgminerRequestError('invalid-json', true, 'request is not a JSON object');
  const o = v as Record<string, unknown>;
  if (!Object.hasOwn(o, 'command')) throw new CgminerRequestError('missing-command', true, "missing 'command'");
  const cmd = o.command;
  if (typeof cmd !== 'string') throw new CgminerRequestError('invalid-command', true, "'command' is not a string");
  const p = Object.hasOwn(o, 'parameter') ? o.parameter : undefined;
  let parameter: string | undefined;
  // api.c: a string as is, an integer as %d, a real as %f; anything else is no parameter.
  if (typeof p === 'string') parameter = p;
  else if (typeof p === 'number' && Number.isFinite(p)) parameter = Number.isInteger(p) ? String(p) : p.toFixed(6);
  const t = Object.hasOwn(o, 'token') ? o.token : undefined;
  return build(cmd.trim(), parameter, typeof t === 'string' ? t : undefined, true);
}

function build(command: string, parameter: string | undefined, token: string | undefined, json: boolean): CgminerRequest {
  if (command.includes('+')) {
    const seen = new Set<string>();
    const commands: string[] = [];
    for (const c of command.split('+')) {
      const n = c.trim();
      if (n === '' || seen.has(n)) continue;
      seen.add(n);
      commands.push(n);
    }
    if (commands.length === 0) throw new CgminerRequestError('invalid-command', json, 'joined request names no command');
    return { json, commands, joined: true, ...(token !== undefined ? { token } : {}) };
  }
  if (command === '') throw new CgminerRequestError('invalid-command', json, 'empty command');
  return { json, commands: [command], joined: false, ...(parameter !== undefined ? { parameter } : {}), ...(token !== undefined ? { token } : {}) };
}
