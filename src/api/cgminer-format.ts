/**
 * cgminer API reply encoding, JSON and plain text, as api.c writes them (print_data, message, head_join,
 * tail_join, send_result):
 *
 *   JSON   {"STATUS":[{"STATUS":"S","When":N,"Code":N,"Msg":"..","Description":".."}],"SUMMARY":[{..}],"id":1}
 *   text   STATUS=S,When=N,Code=N,Msg=..,Description=..|SUMMARY,Elapsed=..,MHS av=..|
 *   joined {"summary":[{..one reply..}],"pools":[{..}],"id":1}   and   CMD=summary|STATUS=..|..|CMD=pools|..
 *   action {"STATUS":"RESTART","id":1}   and   RESTART
 *
 * Numbers keep api.c's printf formats (MHS %.2f, Diff %.8f, percent %.4f of ×100, Elapsed %.0f, ...), so a
 * tool that reads the text form sees the same digits. Unlike api.c, JSON strings are escaped completely
 * (control characters too) and every number is finite: the reply is always strict JSON (pyasic carries
 * repairs for firmwares that are not).
 */
import type { StatusMessage } from './cgminer-codes.js';

/** api.c's api_add_* kinds that change how a value prints. */
export type FieldKind =
  | 'int' // %d / %u / PRIu64
  | 'time' // %lu (epoch seconds)
  | 'bool' // true / false
  | 'string' // escaped (api_add_escape); constant strings need no escaping so all strings are treated this way
  | 'mhs' // %.2f
  | 'utility' // %.2f
  | 'freq' // %.2f
  | 'temp' // %.2f
  | 'volts' // %.3f
  | 'mhtotal' // %.4f
  | 'percent' // %.4f of value × 100
  | 'diff' // %.8f
  | 'double' // %f
  | 'elapsed'; // %.0f

export type Field = readonly [name: string, kind: FieldKind, value: number | string | boolean];
export type Item = readonly Field[];

/**
 * A data section after STATUS. `labelled` sections print their name before the data in text form
 * ("SUMMARY,Elapsed=..|"); lists whose items carry their own index field ("POOL=0,..|") do not.
 */
export interface Section {
  name: string;
  items: readonly Item[];
  labelled: boolean;
}

export type CommandReply =
  | { kind: 'report'; status: StatusMessage; sections: readonly Section[] }
  /** restart/quit: api.c JSON_ACTION, a bare word instead of a STATUS list. */
  | { kind: 'action'; word: string };

export interface ReplyContext {
  /** Epoch seconds of the request (STATUS "When"). */
  when: number;
  /** STATUS "Description" (cgminer: "cgminer <version>" unless --api-description). */
  description: string;
}

const DECIMALS: Partial<Record<FieldKind, number>> = { mhs: 2, utility: 2, freq: 2, temp: 2, volts: 3, mhtotal: 4, percent: 4, diff: 8, double: 6, elapsed: 0 };

function finite(n: number): number {
  return Number.isFinite(n) ? n : 0;
}

/** The value as api.c prints it, before JSON quoting. */
export function formatNumber(kind: FieldKind, n: number): string {
  const v = finite(n);
  if (kind === 'int' || kind === 'time') {
    const t = Math.trunc(v);
    return Object.is(t, -0) ? '0' : t.toFixed(0);
  }
  const d = DECIMALS[kind] ?? 6;
  return (kind === 'percent' ? v * 100 : v).toFixed(d);
}

/** api.c escape_string for the text form: `| , = \` get a backslash. */
export function escapeText(s: string): string {
  return s.replace(/[\\|,=]/g, (c) => `\\${c}`);
}

function jsonValue(kind: FieldKind, v: number | string | boolean): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (kind === 'string') return JSON.stringify(String(v));
  if (kind === 'bool') return v !== 0 ? 'true' : 'false';
  return formatNumber(kind, v);
}

function textValue(kind: FieldKind, v: number | string | boolean): string {
  if (typeof v === 'string') return escapeText(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (kind === 'string') return escapeText(String(v));
  if (kind === 'bool') return v !== 0 ? 'true' : 'false';
  return formatNumber(kind, v);
}

function jsonItem(item: Item): string {
  return `{${item.map(([name, kind, v]) => `${JSON.stringify(name)}:${jsonValue(kind, v)}`).join(',')}}`;
}

function textItem(item: Item): string {
  return `${item.map(([name, kind, v]) => `${escapeText(name)}=${textValue(kind, v)}`).join(',')}|`;
}

function statusItem(s: StatusMessage, ctx: ReplyContext): Item {
  const f: Field[] = [
    ['STATUS', 'string', s.severity],
    ['When', 'time', ctx.when],
    ['Code', 'int', s.code],
    ['Msg', 'string', s.msg],
  ];
  // api.c message(): no Description for MSG_INVCMD, so a port scan learns nothing about the miner.
  if (s.code !== 14) f.push(['Description', 'string', ctx.description]);
  return f;
}

/** One command's reply, JSON, without the trailing NUL. */
export function encodeJson(r: CommandReply, ctx: ReplyContext): string {
  if (r.kind === 'action') return `{"STATUS":${JSON.stringify(r.word)},"id":1}`;
  let out = `{"STATUS":[${jsonItem(statusItem(r.status, ctx))}]`;
  for (const s of r.sections) out += `,${JSON.stringify(s.name)}:[${s.items.map(jsonItem).join(',')}]`;
  return `${out},"id":1}`;
}

/** One command's reply, plain text, without the trailing NUL. */
export function encodeText(r: CommandReply, ctx: ReplyContext): string {
  if (r.kind === 'action') return r.word;
  let out = textItem(statusItem(r.status, ctx));
  for (const s of r.sections) {
    if (s.labelled) {
      // api.c: io_add(SECTION ",") then print_data of one item.
      for (const it of s.items) out += `${escapeText(s.name)},${textItem(it)}`;
    } else for (const it of s.items) out += textItem(it);
  }
  return out;
}

/** A joined request's replies ("summary+pools"), keyed by the command as the client wrote it. */
export function encodeJoined(parts: readonly { command: string; reply: CommandReply }[], json: boolean, ctx: ReplyContext): string {
  if (json && parts.length === 0) return '{"id":1}';
  if (json) return `{${parts.map((p) => `${JSON.stringify(p.command)}:[${encodeJson(p.reply, ctx)}]`).join(',')},"id":1}`;
  return parts.map((p) => `CMD=${escapeText(p.command)}|${encodeText(p.reply, ctx)}`).join('');
}
