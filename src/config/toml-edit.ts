/**
 * Edits a TOML document in place, the way a person would with a text editor: a changed value is
 * replaced where it stands (the comment after it stays, aligned), a new key goes at the end of its
 * table, a removed pool takes its own lines with it and nothing else, and every comment, blank line and
 * table order the user chose is kept. smol-toml only parses (a parse/stringify round trip would drop
 * every comment), so the edits work on the text, located by the line map of toml-lines.ts.
 *
 * Every edit is checked after the fact: the new text is parsed again and must give exactly the data the
 * same edits give on the parsed old document. A layout the editor does not handle (an inline table, a
 * value split over lines, a table defined by dotted keys) therefore never yields a wrong file: the edit
 * is refused with TomlEditError, and the user is told to make that change by hand.
 *
 * Edits:
 *   { op: 'set', key: 'fans.mode', value: 'manual' }      a scalar (string, number, boolean) or a flat array
 *   { op: 'delete', key: 'board.voltage' }
 *   { op: 'tables', key: 'pool', items: [...] }            an array of tables ([[pool]], [[group]] with
 *                                                          [[group.pool]]) given as its new list: each item
 *                                                          says which old element it was (`from`), its keys
 *                                                          (undefined = remove the key) and nested arrays.
 */
import { parse } from 'smol-toml';
import { indexPath, keyPath, tomlStructure, type KeyLines, type TomlHeader } from './toml-lines.js';

export type TomlScalar = string | number | boolean | string[] | number[];

export interface TableItem {
  /** Index of the element this item was in the old array; absent for a new element. */
  from?: number;
  /** The element's keys; undefined removes a key. A kept element keeps keys not named here. */
  set: Record<string, TomlScalar | undefined>;
  /** Nested arrays of tables of this element (`pool` inside `[[group]]`). */
  arrays?: Record<string, TableItem[]>;
}

export type TomlEdit = { op: 'set'; key: string; value: TomlScalar } | { op: 'delete'; key: string } | { op: 'tables'; key: string; items: TableItem[] };

export class TomlEditError extends Error {
  override readonly name = 'TomlEditError';
}

// ---- values --------------------------------------------------------------------------------------------

/** A TOML basic string: JSON's escapes are TOML's, except DEL, which TOML wants escaped. */
function tomlString(s: string): string {
  return JSON.stringify(s).replace(/\x7f/g, '\\u007f');
}

export function formatTomlValue(v: TomlScalar): string {
  if (typeof v === 'string') return tomlString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TomlEditError(`cannot write the number ${v}`);
    // Beyond 2^53 an integer literal would not read back exactly: write it as the float it is.
    if (Number.isInteger(v) && !Number.isSafeInteger(v)) return v.toExponential();
    return String(v);
  }
  return `[${(v as (string | number)[]).map((x) => formatTomlValue(x)).join(', ')}]`;
}

const BARE = /^[A-Za-z0-9_-]+$/;
const keyText = (k: string): string => (BARE.test(k) ? k : tomlString(k));

/** Splits a dotted path into its segments (`pool[1].url` → ['pool[1]', 'url']; quoted segments kept). */
function splitPath(path: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string;
    if (c === '"') {
      let j = i + 1;
      while (j < path.length && path[j] !== '"') j += path[j] === '\\' ? 2 : 1;
      cur += path.slice(i, j + 1);
      i = j;
    } else if (c === '.') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}
const unquote = (seg: string): string => (seg.startsWith('"') ? (JSON.parse(seg) as string) : seg);

// ---- one line: `key = value   # comment` ----------------------------------------------------------------

interface ValueSpan {
  start: number;
  end: number;
}

/** Where the value of a `key = value` line is, when it is a single-line value the editor can replace. */
function valueSpan(line: string): ValueSpan | undefined {
  // The `=` that ends the key (keys may be quoted).
  let i = 0;
  let eq = -1;
  while (i < line.length) {
    const c = line[i];
    if (c === '"' || c === "'") {
      const q = c;
      i++;
      while (i < line.length && line[i] !== q) i += q === '"' && line[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '=') {
      eq = i;
      break;
    }
    if (c === '#') return undefined;
    i++;
  }
  if (eq < 0) return undefined;
  let s = eq + 1;
  while (line[s] === ' ' || line[s] === '\t') s++;
  const c = line[s];
  let e: number;
  if (line.startsWith('"""', s) || line.startsWith("'''", s)) {
    const q = line.slice(s, s + 3);
    const close = line.indexOf(q, s + 3);
    if (close < 0) return undefined;
    e = close + 3;
    while (line[e] === q[0]) e++;
  } else if (c === '"') {
    e = s + 1;
    while (e < line.length && line[e] !== '"') e += line[e] === '\\' ? 2 : 1;
    if (e >= line.length) return undefined;
    e++;
  } else if (c === "'") {
    const close = line.indexOf("'", s + 1);
    if (close < 0) return undefined;
    e = close + 1;
  } else if (c === '[') {
    let depth = 0;
    e = s;
    for (; e < line.length; e++) {
      const ch = line[e];
      if (ch === '"' || ch === "'") {
        const q = ch;
        e++;
        while (e < line.length && line[e] !== q) e += q === '"' && line[e] === '\\' ? 2 : 1;
        continue;
      }
      if (ch === '#') return undefined;
      if (ch === '[') depth++;
      if (ch === ']' && --depth === 0) break;
    }
    if (depth !== 0 || e >= line.length) return undefined;
    e++;
  } else if (c === '{' || c === undefined) {
    return undefined;
  } else {
    e = s;
    while (e < line.length && line[e] !== '#' && line[e] !== '\r') e++;
    while (e > s && (line[e - 1] === ' ' || line[e - 1] === '\t')) e--;
  }
  return { start: s, end: e };
}

/** Replaces the value on a line, keeping the comment after it at its column when there is room. */
function replaceValue(line: string, span: ValueSpan, text: string): string {
  const rest = line.slice(span.end);
  const m = /^([ \t]*)(#.*)$/s.exec(rest);
  if (!m) return line.slice(0, span.start) + text + rest;
  const col = span.end + (m[1] as string).length;
  const head = line.slice(0, span.start) + text;
  return head + ' '.repeat(Math.max(1, col - head.length)) + (m[2] as string);
}

// ---- the document as lines ------------------------------------------------------------------------------

const isBlank = (l: string): boolean => /^\s*$/.test(l);
const isContent = (l: string): boolean => !/^\s*(#.*)?$/.test(l);

interface Op {
  /** 0-based line range [start, end) of the original text, replaced by `lines`. */
  start: number;
  end: number;
  lines: string[];
}

function applyOps(lines: string[], ops: Op[], offset = 0): string[] {
  const out = lines.slice();
  const sorted = [...ops].sort((a, b) => b.start - a.start || b.end - a.end);
  for (const op of sorted) out.splice(op.start - offset, op.end - op.start, ...op.lines);
  return out;
}

class Doc {
  readonly lines: string[];
  readonly keyLines: KeyLines;
  readonly headers: TomlHeader[];

  constructor(readonly source: string) {
    this.lines = source.split('\n');
    const s = tomlStructure(source);
    this.keyLines = s.lines;
    this.headers = s.headers;
  }

  header(path: string): TomlHeader | undefined {
    return this.headers.find((h) => h.path === path);
  }

  /** 0-based line after the last header-less region line: the next header's line, or the end. */
  private nextHeaderLine(afterLine1: number): number {
    const h = this.headers.find((x) => x.line > afterLine1);
    return h ? h.line - 1 : this.lines.length;
  }

  /** The lines a header owns itself: [header line, last content line before the next header] (0-based, end exclusive). */
  ownSpan(h: TomlHeader): { start: number; end: number } {
    const start = h.line - 1;
    let end = this.nextHeaderLine(h.line);
    while (end > start + 1 && !isContent(this.lines[end - 1] as string)) end--;
    return { start, end };
  }

  /** A header's lines plus those of every header below it (`[[group]]` with its `[[group.pool]]`). */
  treeSpan(h: TomlHeader): { start: number; end: number } {
    const idx = this.headers.indexOf(h);
    let last = h;
    for (const x of this.headers.slice(idx + 1)) {
      if (x.path.startsWith(`${h.path}.`)) last = x;
      else break;
    }
    return { start: h.line - 1, end: this.ownSpan(last).end };
  }

  /** Elements of the array of tables at `path`, in order. */
  elements(path: string): TomlHeader[] {
    const out: TomlHeader[] = [];
    for (let n = 0; ; n++) {
      const h = this.header(indexPath(path, n));
      if (!h || !h.array) return out;
      out.push(h);
    }
  }

  /** 0-based line of a commented-out `# key = ...` in the lines a header owns, if any. */
  private commentedExample(h: TomlHeader, key: string): number | undefined {
    const re = new RegExp(`^\\s*#\\s*${key.replace(/[^A-Za-z0-9_]/g, (c) => `\\${c}`)}\\s*=`);
    for (let i = h.line; i < this.nextHeaderLine(h.line); i++) if (re.test(this.lines[i] as string)) return i;
    return undefined;
  }

  /** Line ops that set or delete the direct keys of the table at `table` (a header path). */
  keyOps(table: string, keys: Record<string, TomlScalar | undefined>): Op[] {
    const ops: Op[] = [];
    const h = this.header(table);
    const inserts: string[] = [];
    for (const [k, v] of Object.entries(keys)) {
      const path = keyPath(table, k);
      const l1 = this.keyLines.get(path);
      if (l1 === undefined) {
        if (v === undefined) continue;
        const line = `${keyText(k)} = ${formatTomlValue(v)}`;
        // A commented-out example of the key (`# voltage = 1.12  # ...`): the value goes right below it.
        const example = h ? this.commentedExample(h, k) : undefined;
        if (example !== undefined) ops.push({ start: example + 1, end: example + 1, lines: [line] });
        else inserts.push(line);
        continue;
      }
      const i = l1 - 1;
      const line = this.lines[i] as string;
      const span = valueSpan(line);
      if (!span || (h && i < h.line - 1)) throw new TomlEditError(`${path} (line ${l1}) is not written as a one-line \`key = value\` in its table`);
      if (v === undefined) ops.push({ start: i, end: i + 1, lines: [] });
      else ops.push({ start: i, end: i + 1, lines: [replaceValue(line, span, formatTomlValue(v))] });
    }
    if (inserts.length > 0) {
      if (h) {
        const { end } = this.ownSpan(h);
        ops.push({ start: end, end, lines: inserts });
      } else if (table !== '' && !table.includes('[')) {
        // A table the file does not have yet: a new header at the end.
        const tail = this.lines.length > 0 && this.lines[this.lines.length - 1] === '' ? this.lines.length - 1 : this.lines.length;
        const blank = tail > 0 && !isBlank(this.lines[tail - 1] as string) ? [''] : [];
        ops.push({ start: tail, end: tail, lines: [...blank, `[${table}]`, ...inserts] });
      } else {
        throw new TomlEditError(`[${table}] is not written as a table header; add ${Object.keys(keys).join(', ')} by hand`);
      }
    }
    return ops;
  }

  /** Lines of a brand-new element (and its nested arrays). */
  freshElement(path: string, item: TableItem): string[] {
    const header = splitPath(path.replace(/\[\d+\]/g, ''))
      .map(unquote)
      .map(keyText)
      .join('.');
    const out = [`[[${header}]]`];
    for (const [k, v] of Object.entries(item.set)) if (v !== undefined) out.push(`${keyText(k)} = ${formatTomlValue(v)}`);
    for (const [k, items] of Object.entries(item.arrays ?? {})) {
      for (const it of items) out.push('', ...this.freshElement(keyPath(path, k), { ...it, from: undefined } as TableItem));
    }
    return out;
  }

  /**
   * Line ops that turn the array of tables at `path` into `items`. Element i of the new list takes the
   * place (the lines) where element i stood; the lines around and between elements, comments included,
   * stay where they are; extra elements go after the last one.
   */
  arrayOps(path: string, items: TableItem[], parentEnd?: number): Op[] {
    const old = this.elements(path);
    const bodies: string[][] = items.map((it) => {
      if (it.from === undefined) return this.freshElement(indexPath(path, 0), it);
      const h = old[it.from];
      if (!h) throw new TomlEditError(`${path}: there is no element ${it.from} to keep`);
      const span = this.treeSpan(h);
      const inner = [...this.keyOps(h.path, it.set)];
      for (const [k, sub] of Object.entries(it.arrays ?? {})) inner.push(...this.arrayOps(keyPath(h.path, k), sub, this.ownSpan(h).end));
      for (const op of inner) if (op.start < span.start || op.end > span.end) throw new TomlEditError(`${h.path}: an edit falls outside its lines`);
      return applyOps(this.lines.slice(span.start, span.end), inner, span.start);
    });
    const ops: Op[] = [];
    old.forEach((h, i) => {
      const span = this.treeSpan(h);
      const body = bodies[i];
      if (body) ops.push({ start: span.start, end: span.end, lines: body });
      else {
        // Removed: its lines go, and one blank line with them so that no gap grows.
        let end = span.end;
        if (end < this.lines.length && isBlank(this.lines[end] as string) && (span.start === 0 || isBlank(this.lines[span.start - 1] as string))) end++;
        ops.push({ start: span.start, end, lines: [] });
      }
    });
    if (items.length > old.length) {
      const extra = bodies.slice(old.length).flatMap((b) => ['', ...b]);
      let at: number;
      const last = old[old.length - 1];
      if (last) at = this.treeSpan(last).end;
      else if (parentEnd !== undefined) at = parentEnd;
      else {
        at = this.lines.length > 0 && this.lines[this.lines.length - 1] === '' ? this.lines.length - 1 : this.lines.length;
        if (at === 0 || isBlank(this.lines[at - 1] as string)) extra.shift();
      }
      ops.push({ start: at, end: at, lines: extra });
    }
    return ops;
  }
}

// ---- the same edits on data, for the check ------------------------------------------------------------

type Data = Record<string, unknown>;

function setIn(data: Data, key: string, value: unknown): void {
  const segs = splitPath(key).map(unquote);
  let t = data;
  for (const s of segs.slice(0, -1)) {
    const next = t[s];
    if (next === undefined) t = t[s] = {} as Data;
    else if (typeof next === 'object' && next !== null && !Array.isArray(next)) t = next as Data;
    else throw new TomlEditError(`${key}: ${s} is not a table`);
  }
  const last = segs[segs.length - 1] as string;
  if (value === undefined) delete t[last];
  else t[last] = value;
}

function getIn(data: Data, key: string): unknown {
  let t: unknown = data;
  for (const s of splitPath(key).map(unquote)) t = t && typeof t === 'object' ? (t as Data)[s] : undefined;
  return t;
}

function itemsData(old: unknown, items: TableItem[]): Data[] {
  const arr = Array.isArray(old) ? (old as Data[]) : [];
  return items.map((it) => {
    const base: Data = it.from !== undefined ? structuredClone(arr[it.from] ?? {}) : {};
    for (const [k, v] of Object.entries(it.set)) {
      if (v === undefined) delete base[k];
      else base[k] = v;
    }
    for (const [k, sub] of Object.entries(it.arrays ?? {})) {
      const next = itemsData(base[k], sub);
      if (next.length === 0) delete base[k];
      else base[k] = next;
    }
    return base;
  });
}

export function applyToData(data: Data, edits: TomlEdit[]): Data {
  const out = structuredClone(data);
  for (const e of edits) {
    if (e.op === 'set') setIn(out, e.key, e.value);
    else if (e.op === 'delete') setIn(out, e.key, undefined);
    else {
      const next = itemsData(getIn(out, e.key), e.items);
      setIn(out, e.key, next.length === 0 ? undefined : next);
    }
  }
  return out;
}

/** Deep equality of parsed TOML data, key order ignored. */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => sameData(x, bb[i]));
  }
  if (a instanceof Date || b instanceof Date) return String(a) === String(b);
  const ka = Object.keys(a as Data).filter((k) => (a as Data)[k] !== undefined);
  const kb = Object.keys(b as Data).filter((k) => (b as Data)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameData((a as Data)[k], (b as Data)[k]));
}

// ---- entry point ----------------------------------------------------------------------------------------

/**
 * The source with the edits made in place. Throws TomlEditError when the file's layout does not allow
 * an in-place edit, or when the result would not parse to exactly the edited data.
 */
export function editToml(source: string, edits: TomlEdit[]): string {
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const src = eol === '\r\n' ? source.replace(/\r\n/g, '\n') : source;
  const before = parse(src) as Data;
  const doc = new Doc(src);
  const ops: Op[] = [];
  const byTable = new Map<string, Record<string, TomlScalar | undefined>>();
  for (const e of edits) {
    if (e.op === 'tables') {
      ops.push(...doc.arrayOps(e.key, e.items));
      continue;
    }
    const segs = splitPath(e.key);
    const table = segs.slice(0, -1).join('.');
    const k = unquote(segs[segs.length - 1] as string);
    const t = byTable.get(table) ?? {};
    t[k] = e.op === 'set' ? e.value : undefined;
    byTable.set(table, t);
  }
  for (const [table, keys] of byTable) ops.push(...doc.keyOps(table, keys));
  // Insertions (empty ranges) sort before a range that starts at the same line: they do not overlap it.
  const spans = [...ops].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < spans.length; i++) {
    const p = spans[i - 1] as Op;
    const c = spans[i] as Op;
    if (c.start < p.end) throw new TomlEditError('two edits touch the same lines; make this change in two steps or by hand');
  }
  let text = applyOps(doc.lines, ops).join('\n');
  if (src.endsWith('\n') && !text.endsWith('\n')) text += '\n';
  let after: unknown;
  try {
    after = parse(text);
  } catch (err) {
    throw new TomlEditError(
      `the edited file would not parse (${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)}); make this change by hand`,
    );
  }
  if (!sameData(after, applyToData(before, edits)))
    throw new TomlEditError('this file is laid out in a way the editor cannot change in place (inline tables or dotted keys); make this change by hand');
  return eol === '\r\n' ? text.replace(/\n/g, '\r\n') : text;
}
