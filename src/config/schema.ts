/**
 * A small strict schema layer for TOML config files. A schema checks a parsed value, fills defaults, and
 * reports every problem it finds, each naming the dotted key, its line in the file, and what is allowed:
 *
 *   config.toml:14: fans.min_duty: 120 is out of range; expected an integer from 0 to 100
 *   config.toml:9: fans.mni_duty: unknown key; [fans] allows mode, duty, min_duty, …
 *
 * Unknown keys, wrong types, out-of-range values and missing required keys are all errors (the Braiins
 * model, docs/agent.md "Config"): a typo must never silently fall back to a default on a machine that can
 * overheat. Types are inferred from the schema, so a section is declared once.
 */
import { indexPath, keyPath, lineOf, type KeyLines } from './toml-lines.js';
import { redactUrlCredentials } from '../url-credentials.js';

export interface ConfigIssue {
  /** Dotted key, `fans.min_duty`, `chain[1].reset.line`; '' for the document itself. */
  key: string;
  line: number | undefined;
  message: string;
}

/** Collects issues while a document is checked. */
export class CheckContext {
  readonly issues: ConfigIssue[] = [];
  constructor(readonly lines: KeyLines = new Map()) {}
  report(key: string, message: string): void {
    this.issues.push({ key, line: lineOf(this.lines, key), message });
  }
}

const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;
export { INVALID };

export interface Schema<T> {
  /** What is allowed, as a phrase: "an integer from 0 to 100". */
  readonly describe: string;
  /** False when the key may be left out (optional, or defaulted). */
  readonly required: boolean;
  /** The value used when the key is absent. */
  readonly fallback?: () => T;
  check(value: unknown, key: string, ctx: CheckContext): T | Invalid;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (v instanceof Date || (typeof v === 'object' && v !== null && v.constructor?.name === 'TomlDate')) return 'a date';
  if (typeof v === 'object') return 'a table';
  if (typeof v === 'number') return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'boolean') return `the boolean ${v}`;
  return typeof v;
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && v.constructor?.name !== 'TomlDate';
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(12)));
}

export interface NumberOptions {
  /** Unit for messages: "°C", "%", "ms". */
  unit?: string;
}

function numberSchema(min: number, max: number, integer: boolean, opts: NumberOptions = {}): Schema<number> {
  const unit = opts.unit ? ` ${opts.unit}` : '';
  const describe = `${integer ? 'an integer' : 'a number'} from ${fmt(min)} to ${fmt(max)}${unit}`;
  return {
    describe,
    required: true,
    check(v, key, ctx) {
      if (typeof v !== 'number' || Number.isNaN(v)) {
        ctx.report(key, `expected ${describe}, got ${typeName(v)}`);
        return INVALID;
      }
      if (integer && !Number.isInteger(v)) {
        ctx.report(key, `${fmt(v)} is not an integer; expected ${describe}`);
        return INVALID;
      }
      if (v < min || v > max) {
        ctx.report(key, `${fmt(v)}${unit} is out of range; expected ${describe}`);
        return INVALID;
      }
      return v;
    },
  };
}

export function int(min: number, max: number, opts?: NumberOptions): Schema<number> {
  return numberSchema(min, max, true, opts);
}

export function num(min: number, max: number, opts?: NumberOptions): Schema<number> {
  return numberSchema(min, max, false, opts);
}

export function bool(): Schema<boolean> {
  const describe = 'true or false';
  return {
    describe,
    required: true,
    check(v, key, ctx) {
      if (typeof v !== 'boolean') {
        ctx.report(key, `expected ${describe}, got ${typeName(v)}`);
        return INVALID;
      }
      return v;
    },
  };
}

export interface StringOptions {
  pattern?: RegExp;
  /** Says what the pattern means: "a path starting with /dev/". */
  patternHint?: string;
  maxLength?: number;
}

export function str(opts: StringOptions = {}): Schema<string> {
  const describe = opts.patternHint ?? 'a string';
  return {
    describe,
    required: true,
    check(v, key, ctx) {
      if (typeof v !== 'string') {
        ctx.report(key, `expected ${describe}, got ${typeName(v)}`);
        return INVALID;
      }
      if (v.length === 0 || (opts.maxLength !== undefined && v.length > opts.maxLength)) {
        ctx.report(
          key,
          `expected ${describe}${opts.maxLength ? ` of at most ${opts.maxLength} characters` : ''}, got ${v.length === 0 ? 'an empty string' : 'a longer string'}`,
        );
        return INVALID;
      }
      if (opts.pattern && !opts.pattern.test(v)) {
        // The value is echoed without URL credentials (a pool URL may carry a password).
        ctx.report(key, `${JSON.stringify(redactUrlCredentials(v))} is not ${describe}`);
        return INVALID;
      }
      return v;
    },
  };
}

export function oneOf<const T extends readonly string[]>(values: T): Schema<T[number]> {
  const describe = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return {
    describe,
    required: true,
    check(v, key, ctx) {
      if (typeof v !== 'string') {
        ctx.report(key, `expected ${describe}, got ${typeName(v)}`);
        return INVALID;
      }
      if (!values.includes(v)) {
        ctx.report(key, `${JSON.stringify(v)} is not allowed; expected ${describe}`);
        return INVALID;
      }
      return v as T[number];
    },
  };
}

/** An exact integer, for `version`: a mismatch says which versions this build reads. */
export function version(supported: number): Schema<number> {
  const describe = `${supported} (the config format version this asic-agent reads)`;
  return {
    describe,
    required: true,
    check(v, key, ctx) {
      if (v !== supported) {
        ctx.report(key, `${typeof v === 'number' ? `version ${fmt(v)} is not supported` : `expected an integer, got ${typeName(v)}`}; expected ${describe}`);
        return INVALID;
      }
      return supported;
    },
  };
}

export function optional<T>(s: Schema<T>): Schema<T | undefined> {
  return { describe: s.describe, required: false, check: (v, k, c) => s.check(v, k, c) };
}

export function withDefault<T>(s: Schema<T>, value: T | (() => T)): Schema<T> {
  const fallback = typeof value === 'function' ? (value as () => T) : () => value;
  return { describe: s.describe, required: false, fallback, check: (v, k, c) => s.check(v, k, c) };
}

export interface ListOptions {
  min?: number;
  max?: number;
}

export function list<T>(item: Schema<T>, opts: ListOptions = {}): Schema<T[]> {
  const bounds =
    opts.min !== undefined && opts.max !== undefined
      ? ` with ${opts.min} to ${opts.max} entries`
      : opts.min !== undefined
        ? ` with at least ${opts.min} entr${opts.min === 1 ? 'y' : 'ies'}`
        : opts.max !== undefined
          ? ` with at most ${opts.max} entries`
          : '';
  const describe = `an array${bounds} of ${item.describe}`;
  return {
    describe,
    required: true,
    check(v, key, ctx) {
      if (!Array.isArray(v)) {
        ctx.report(key, `expected ${describe}, got ${typeName(v)}`);
        return INVALID;
      }
      let bad = false;
      if ((opts.min !== undefined && v.length < opts.min) || (opts.max !== undefined && v.length > opts.max)) {
        ctx.report(key, `has ${v.length} entr${v.length === 1 ? 'y' : 'ies'}; expected ${describe}`);
        bad = true;
      }
      const out: T[] = [];
      v.forEach((el: unknown, n) => {
        const r = item.check(el, indexPath(key, n), ctx);
        if (r === INVALID) bad = true;
        else out.push(r);
      });
      return bad ? INVALID : out;
    },
  };
}

export type Fields = Record<string, Schema<unknown>>;
export type TableOf<F extends Fields> = { [K in keyof F]: Infer<F[K]> };

/** Reports a problem on a field (a dotted path relative to the table) of the table being refined. */
export type RefineReport = (field: string, message: string) => void;

export interface TableOptions<T> {
  /** Name for messages: "[fans]". Defaults to the key. */
  title?: string;
  /** Cross-field checks, run only when every field was valid. */
  refine?: (value: T, report: RefineReport) => void;
}

export function table<F extends Fields>(fields: F, opts: TableOptions<TableOf<F>> = {}): Schema<TableOf<F>> {
  const names = Object.keys(fields);
  const required = names.some((n) => fields[n]?.required === true);
  return {
    describe: `a table with keys ${names.join(', ')}`,
    required,
    check(v, key, ctx) {
      const title = opts.title ?? (key === '' ? 'the top level' : `[${key}]`);
      if (!isTable(v)) {
        ctx.report(key, `expected a table (${title}), got ${typeName(v)}`);
        return INVALID;
      }
      let bad = false;
      for (const k of Object.keys(v)) {
        if (!Object.hasOwn(fields, k)) {
          ctx.report(keyPath(key, k), `unknown key; ${title} allows ${names.join(', ')}`);
          bad = true;
        }
      }
      const out: Record<string, unknown> = {};
      for (const name of names) {
        const s = fields[name] as Schema<unknown>;
        const k = keyPath(key, name);
        if (!Object.hasOwn(v, name)) {
          if (s.fallback) out[name] = s.fallback();
          else if (s.required) {
            ctx.report(k, `missing; expected ${s.describe}`);
            bad = true;
          } else out[name] = undefined;
          continue;
        }
        const r = s.check(v[name], k, ctx);
        if (r === INVALID) bad = true;
        else out[name] = r;
      }
      if (bad) return INVALID;
      const value = out as TableOf<F>;
      if (opts.refine) {
        const before = ctx.issues.length;
        opts.refine(value, (field, message) => ctx.report(field === '' ? key : key === '' ? field : `${key}.${field}`, message));
        if (ctx.issues.length > before) return INVALID;
      }
      return value;
    },
  };
}

export interface RecordOptions {
  keyPattern?: RegExp;
  keyHint?: string;
  min?: number;
  max?: number;
}

/** A table whose keys are names chosen by the user (`[i2c.devices]`), each value checked by `value`. */
export function record<T>(value: Schema<T>, opts: RecordOptions = {}): Schema<Record<string, T>> {
  const describe = `a table of named entries, each ${value.describe}`;
  return {
    describe,
    required: true,
    check(v, key, ctx) {
      if (!isTable(v)) {
        ctx.report(key, `expected ${describe}, got ${typeName(v)}`);
        return INVALID;
      }
      let bad = false;
      const names = Object.keys(v);
      if ((opts.min !== undefined && names.length < opts.min) || (opts.max !== undefined && names.length > opts.max)) {
        ctx.report(key, `has ${names.length} entries; expected ${opts.min ?? 0} to ${opts.max ?? 'any number of'}`);
        bad = true;
      }
      const out: Record<string, T> = {};
      for (const name of names) {
        const k = keyPath(key, name);
        if (opts.keyPattern && !opts.keyPattern.test(name)) {
          ctx.report(k, `the name ${JSON.stringify(name)} is not ${opts.keyHint ?? `matching ${String(opts.keyPattern)}`}`);
          bad = true;
          continue;
        }
        const r = value.check(v[name], k, ctx);
        if (r === INVALID) bad = true;
        else out[name] = r;
      }
      return bad ? INVALID : out;
    },
  };
}

/** Runs a schema over a parsed document; returns the value and the issues (value undefined if any). */
export function checkDocument<T>(schema: Schema<T>, data: unknown, lines: KeyLines): { value: T | undefined; issues: ConfigIssue[] } {
  const ctx = new CheckContext(lines);
  const r = schema.check(data, '', ctx);
  return { value: r === INVALID || ctx.issues.length > 0 ? undefined : r, issues: ctx.issues };
}

/**
 * A config section that may be left out entirely: absent, it takes every field's default. The table's
 * fields must all be optional or defaulted.
 */
export function section<T>(s: Schema<T>): Schema<T> {
  const fallback = (): T => {
    const ctx = new CheckContext();
    const v = s.check({}, '', ctx);
    if (v === INVALID || ctx.issues.length > 0)
      throw new Error(`section() needs a table whose fields all have defaults: ${ctx.issues.map((i) => i.key).join(', ')}`);
    return v;
  };
  return { describe: s.describe, required: false, fallback, check: (v, k, c) => s.check(v, k, c) };
}

/** The value a defaulted schema takes when its key is absent. */
export function defaultsOf<T>(s: Schema<T>): T {
  if (!s.fallback) throw new Error('this schema has no default');
  return s.fallback();
}
