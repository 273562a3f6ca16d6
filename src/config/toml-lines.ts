/**
 * Where each key of a TOML document sits: dotted key → 1-based line. smol-toml gives values but no
 * positions, so config errors would otherwise say "fans.min_duty" without saying where; this scanner
 * walks the source once and records the line of every table header, key, array element and inline-table
 * key, under the same dotted names the schema layer reports (`keyPath`, `indexPath`).
 *
 * It runs only on documents smol-toml has already accepted, so it follows the TOML 1.0 grammar only as
 * far as needed to track structure: strings (four kinds, so brackets and '#' inside them are skipped),
 * comments, headers, dotted and quoted keys, arrays and inline tables, and array-of-tables indices.
 */

const BARE = /^[A-Za-z0-9_-]+$/;

/** Appends one key segment to a dotted path, quoting segments that are not bare keys. */
export function keyPath(parent: string, segment: string): string {
  const seg = BARE.test(segment) ? segment : JSON.stringify(segment);
  return parent === '' ? seg : `${parent}.${seg}`;
}

/** Appends an array index: `pool[2]`. */
export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export type KeyLines = Map<string, number>;

/** A table header as written: `[fans]` or `[[pool]]`, with its resolved path (`fans`, `pool[1]`). */
export interface TomlHeader {
  /** 1-based line. */
  line: number;
  path: string;
  array: boolean;
}

class Scanner {
  private i = 0;
  private line = 1;
  readonly lines: KeyLines = new Map();
  readonly headers: TomlHeader[] = [];
  /** Resolved path of each array of tables → number of elements so far. */
  private readonly arrays = new Map<string, number>();

  constructor(private readonly src: string) {}

  private ch(k = 0): string {
    return this.src[this.i + k] ?? '';
  }
  private startsWith(s: string): boolean {
    return this.src.startsWith(s, this.i);
  }
  private bump(n = 1): void {
    for (let k = 0; k < n && this.i < this.src.length; k++) {
      if (this.src[this.i] === '\n') this.line++;
      this.i++;
    }
  }
  private set(path: string, line: number): void {
    if (!this.lines.has(path)) this.lines.set(path, line);
  }
  private skipSpaces(): void {
    while (this.ch() === ' ' || this.ch() === '\t') this.bump();
  }
  private skipComment(): void {
    if (this.ch() === '#') while (this.i < this.src.length && this.ch() !== '\n') this.bump();
  }
  /** Spaces, newlines and comments (inside arrays, and between statements). */
  private skipBlank(): void {
    for (;;) {
      const c = this.ch();
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.bump();
      else if (c === '#') this.skipComment();
      else return;
    }
  }

  private basicString(): string {
    this.bump(); // "
    let out = '';
    while (this.i < this.src.length && this.ch() !== '"') {
      if (this.ch() === '\\') {
        const e = this.ch(1);
        const simple: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\', e: '\x1b' };
        if (e === 'u' || e === 'U') {
          const len = e === 'u' ? 4 : 8;
          out += String.fromCodePoint(Number.parseInt(this.src.slice(this.i + 2, this.i + 2 + len), 16));
          this.bump(2 + len);
          continue;
        }
        if (e === 'x') {
          out += String.fromCodePoint(Number.parseInt(this.src.slice(this.i + 2, this.i + 4), 16));
          this.bump(4);
          continue;
        }
        out += simple[e] ?? e;
        this.bump(2);
        continue;
      }
      out += this.ch();
      this.bump();
    }
    this.bump(); // "
    return out;
  }
  private literalString(): string {
    this.bump();
    const start = this.i;
    while (this.i < this.src.length && this.ch() !== "'") this.bump();
    const s = this.src.slice(start, this.i);
    this.bump();
    return s;
  }
  private skipMultiline(quote: '"""' | "'''"): void {
    this.bump(3);
    while (this.i < this.src.length) {
      if (quote === '"""' && this.ch() === '\\') {
        this.bump(2);
        continue;
      }
      if (this.startsWith(quote)) {
        // Up to two extra quotes may close the string ("""a""""" is legal).
        let n = 3;
        while (this.ch(n) === quote[0] && n < 5) n++;
        this.bump(n);
        return;
      }
      this.bump();
    }
  }

  private key(): string[] {
    const segs: string[] = [];
    for (;;) {
      this.skipSpaces();
      const c = this.ch();
      if (c === '"') segs.push(this.basicString());
      else if (c === "'") segs.push(this.literalString());
      else {
        const start = this.i;
        while (/[A-Za-z0-9_-]/.test(this.ch())) this.bump();
        segs.push(this.src.slice(start, this.i));
      }
      this.skipSpaces();
      if (this.ch() === '.') {
        this.bump();
        continue;
      }
      return segs;
    }
  }

  /**
   * Resolves header segments, stepping into the last element of any array of tables on the way, and
   * records the implicit parent tables at this line when they were not seen before.
   */
  private resolve(segs: string[], line: number): string {
    let path = '';
    for (const s of segs) {
      path = keyPath(path, s);
      this.set(path, line);
      const n = this.arrays.get(path);
      if (n !== undefined) path = indexPath(path, n - 1);
    }
    return path;
  }

  private header(): string {
    const line = this.line;
    const isArray = this.ch(1) === '[';
    this.bump(isArray ? 2 : 1);
    const segs = this.key();
    this.bump(isArray ? 2 : 1);
    let path: string;
    if (isArray) {
      const prefix = this.resolve(segs.slice(0, -1), line);
      const base = keyPath(prefix, segs[segs.length - 1] ?? '');
      const n = this.arrays.get(base) ?? 0;
      this.arrays.set(base, n + 1);
      this.set(base, line);
      path = indexPath(base, n);
    } else {
      path = this.resolve(segs, line);
    }
    this.set(path, line);
    this.headers.push({ line, path, array: isArray });
    this.skipSpaces();
    this.skipComment();
    return path;
  }

  private keyValue(table: string): void {
    const line = this.line;
    const segs = this.key();
    let path = table;
    for (const s of segs) {
      path = keyPath(path, s);
      this.set(path, line);
    }
    this.skipSpaces();
    this.bump(); // =
    this.skipSpaces();
    this.value(path);
  }

  private value(path: string): void {
    const c = this.ch();
    if (this.startsWith('"""')) return this.skipMultiline('"""');
    if (this.startsWith("'''")) return this.skipMultiline("'''");
    if (c === '"') {
      this.basicString();
      return;
    }
    if (c === "'") {
      this.literalString();
      return;
    }
    if (c === '[') {
      this.bump();
      for (let n = 0; ; n++) {
        this.skipBlank();
        if (this.ch() === ']' || this.i >= this.src.length) break;
        const el = indexPath(path, n);
        this.set(el, this.line);
        this.value(el);
        this.skipBlank();
        if (this.ch() === ',') this.bump();
      }
      this.bump(); // ]
      return;
    }
    if (c === '{') {
      this.bump();
      for (;;) {
        this.skipBlank();
        if (this.ch() === '}' || this.i >= this.src.length) break;
        this.keyValue(path);
        this.skipBlank();
        if (this.ch() === ',') this.bump();
      }
      this.bump(); // }
      return;
    }
    // A scalar (number, bool, date-time; a date-time may contain one space): up to a delimiter.
    while (this.i < this.src.length && !/[,\]}#\n\r]/.test(this.ch())) this.bump();
  }

  scan(): KeyLines {
    let table = '';
    for (;;) {
      this.skipBlank();
      if (this.i >= this.src.length) break;
      if (this.ch() === '[') table = this.header();
      else this.keyValue(table);
    }
    return this.lines;
  }
}

/** Line of every key in a (valid) TOML document. */
export function tomlKeyLines(source: string): KeyLines {
  return new Scanner(source).scan();
}

/** Lines of every key and every table header of a (valid) TOML document (the config editor's map). */
export function tomlStructure(source: string): { lines: KeyLines; headers: TomlHeader[] } {
  const s = new Scanner(source);
  const lines = s.scan();
  return { lines, headers: s.headers };
}

/** The line of `key`, or of its nearest recorded ancestor (for a missing key: its table). */
export function lineOf(lines: KeyLines, key: string): number | undefined {
  let k = key;
  for (;;) {
    const l = lines.get(k);
    if (l !== undefined) return l;
    const cut = Math.max(k.lastIndexOf('.'), k.lastIndexOf('['));
    if (cut <= 0) return undefined;
    k = k.slice(0, cut);
  }
}
