/**
 * Generates the per-nonce SHA-256d of an 80-byte block header, specialised by binding time, in two
 * back ends from one description:
 *   src/work/generated/sha256-nonce.generated.ts  scalar JavaScript (one nonce per call)
 *   src/work/generated/sha256-simd.generated.ts   a WebAssembly module with 128-bit SIMD (four nonces per call)
 *
 * Every value in the two compressions (block 2 of the first hash, then the second hash) is classified as
 *   - lit: known when this script runs (FIPS 180-4 §4.2.2 K constants, §5.3.3 IV, §5.1.1 padding words),
 *   - job: known once per header template (midstate, merkle tail, ntime, nbits) -> computed in `prepare`,
 *   - dyn: depends on the nonce -> computed in the hot functions.
 * Lit values are folded here, job values are computed once per template and stored in a context, and only
 * the dyn remainder is emitted into the hot path. This is the "precompute the nonce-independent message
 * schedule and first rounds" optimisation done mechanically, so it cannot be wrong by hand-editing.
 *
 * Run: node --import tsx scripts/gen-sha256-engine.ts [--check]
 * --check exits 1 if a committed file differs from what this script would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** FIPS 180-4 §4.2.2 round constants. */
const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74,
  0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
  0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
  0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
  0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
/** FIPS 180-4 §5.3.3 initial hash value. */
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const LIT = 0;
const JOB = 1;
const DYN = 2;
type Bt = typeof LIT | typeof JOB | typeof DYN;
interface Val {
  bt: Bt;
  /** For LIT: the uint32 value. */
  n: number;
  /** For JOB/DYN: the name of the local holding it. */
  name: string;
}

/** Expression trees over named values; printed by either back end. */
type Expr =
  | { k: 'ref'; name: string }
  | { k: 'lit'; n: number }
  | { k: 'add' | 'xor' | 'and' | 'or'; a: Expr; b: Expr }
  | { k: 'shr' | 'shl' | 'rotr'; a: Expr; r: number };

interface Def {
  name: string;
  expr: Expr;
}

const u32 = (x: number): number => x >>> 0;
const rotr = (x: number, r: number): number => u32((x >>> r) | (x << (32 - r)));

const jobDefs: Def[] = [];
let dynDefs: Def[] = [];
const exported = new Map<string, number>();
let jobCount = 0;
let dynCount = 0;
/** First context slot for exported job values; 0..7 midstate, 8..10 block-2 words W0..W2. */
const EXPORT_BASE = 16;

const lit = (n: number): Val => ({ bt: LIT, n: u32(n), name: '' });
const R = (name: string): Expr => ({ k: 'ref', name });
const L = (n: number): Expr => ({ k: 'lit', n: u32(n) });
const op2 = (k: 'add' | 'xor' | 'and' | 'or', a: Expr, b: Expr): Expr => ({ k, a, b });
const sh = (k: 'shr' | 'shl' | 'rotr', a: Expr, r: number): Expr => ({ k, a, r });

function ref(v: Val, forBt: Bt): Expr {
  if (v.bt === LIT) return L(v.n);
  if (v.bt === JOB && forBt === DYN && !exported.has(v.name)) exported.set(v.name, EXPORT_BASE + exported.size);
  return R(v.name);
}

function define(bt: Bt, expr: Expr): Val {
  if (bt === JOB) {
    const name = `j${jobCount++}`;
    jobDefs.push({ name, expr });
    return { bt, n: 0, name };
  }
  const name = `d${dynCount++}`;
  dynDefs.push({ name, expr });
  return { bt: DYN, n: 0, name };
}

function maxBt(...vs: Val[]): Bt {
  let m: Bt = LIT;
  for (const v of vs) if (v.bt > m) m = v.bt;
  return m;
}

const sum = (terms: Expr[]): Expr => terms.slice(1).reduce((acc, t) => op2('add', acc, t), terms[0] as Expr);

/** Sum mod 2^32, folding literals and grouping job terms into one job value. */
function add(...vs: Val[]): Val {
  let litSum = 0;
  const jobs: Val[] = [];
  const dyns: Val[] = [];
  for (const v of vs) {
    if (v.bt === LIT) litSum = u32(litSum + v.n);
    else if (v.bt === JOB) jobs.push(v);
    else dyns.push(v);
  }
  if (jobs.length === 0 && dyns.length === 0) return lit(litSum);
  let jobPart: Val | undefined;
  if (jobs.length > 0) {
    if (jobs.length === 1 && litSum === 0) jobPart = jobs[0];
    else {
      const terms = jobs.map((j) => R(j.name));
      if (litSum !== 0) terms.push(L(litSum));
      jobPart = define(JOB, sum(terms));
    }
    litSum = 0;
  }
  if (dyns.length === 0) return jobPart as Val;
  const terms = dyns.map((d) => R(d.name));
  if (jobPart) terms.unshift(ref(jobPart, DYN));
  if (litSum !== 0) terms.unshift(L(litSum));
  if (terms.length === 1) return dyns[0] as Val;
  return define(DYN, sum(terms));
}

/** A bitwise function of its inputs: computed here when all are literal, otherwise emitted. */
function fn(compute: (...xs: number[]) => number, build: (...xs: Expr[]) => Expr, ...vs: Val[]): Val {
  const bt = maxBt(...vs);
  if (bt === LIT) return lit(compute(...vs.map((v) => v.n)));
  return define(bt, build(...vs.map((v) => ref(v, bt))));
}

/** A function of one input emitted as a chain of temporaries (one per step). */
function chain(v: Val, compute: (x: number) => number, steps: ((x: Expr, prev: Expr) => Expr)[]): Val {
  if (v.bt === LIT) return lit(compute(v.n));
  const x = ref(v, v.bt);
  let prev = x;
  let out = v;
  for (const step of steps) {
    out = define(v.bt, step(x, prev));
    prev = R(out.name);
  }
  return out;
}

// FIPS 180-4 §4.1.2 functions (4.4)..(4.7), written in the nested form
// ROTR6(e ^ ROTR5(e ^ ROTR14(e))) = ROTR6(e) ^ ROTR11(e) ^ ROTR25(e): the same value with fewer register
// copies, because each rotate consumes the previous temporary instead of a fresh copy of the input.
const sig0 = (v: Val): Val =>
  chain(v, (x) => rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3), [(x) => op2('xor', sh('rotr', x, 11), x), (x, p) => op2('xor', sh('rotr', p, 7), sh('shr', x, 3))]);
const sig1 = (v: Val): Val =>
  chain(v, (x) => rotr(x, 17) ^ rotr(x, 19) ^ (x >>> 10), [(x) => op2('xor', sh('rotr', x, 2), x), (x, p) => op2('xor', sh('rotr', p, 17), sh('shr', x, 10))]);
const bsig0 = (v: Val): Val =>
  chain(v, (x) => rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22), [
    (x) => op2('xor', sh('rotr', x, 9), x),
    (x, p) => op2('xor', sh('rotr', p, 11), x),
    (_x, p) => sh('rotr', p, 2),
  ]);
const bsig1 = (v: Val): Val =>
  chain(v, (x) => rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25), [
    (x) => op2('xor', sh('rotr', x, 14), x),
    (x, p) => op2('xor', sh('rotr', p, 5), x),
    (_x, p) => sh('rotr', p, 6),
  ]);
/** Ch(e,f,g) = g ^ (e & (f ^ g)) (FIPS 180-4 (4.2), rewritten without NOT). */
const ch = (e: Val, f: Val, g: Val): Val =>
  fn(
    (x, y, z) => u32((x & y) ^ (~x & z)),
    (x, y, z) => op2('xor', z, op2('and', x, op2('xor', y, z))),
    e,
    f,
    g,
  );
const xor = (a: Val, b: Val): Val =>
  fn(
    (x, y) => u32(x ^ y),
    (x, y) => op2('xor', x, y),
    a,
    b,
  );
/** Maj(a,b,c) = b ^ ((a ^ b) & (b ^ c)); b ^ c of this round is a ^ b of the previous one. */
const majFromXors = (b: Val, ab: Val, bc: Val): Val =>
  fn(
    (y, p, q) => u32(y ^ (p & q)),
    (y, p, q) => op2('xor', y, op2('and', p, q)),
    b,
    ab,
    bc,
  );

/**
 * Message schedule (FIPS 180-4 §6.2.2 step 1), computed lazily so that each word is emitted just before
 * the round that first needs it: computing all 48 up front keeps them live at once and the register
 * allocator spills most of them.
 */
class Schedule {
  constructor(private readonly w: Val[]) {}
  at(t: number): Val {
    for (let i = this.w.length; i <= t; i++) {
      this.w.push(add(sig1(this.w[i - 2] as Val), this.w[i - 7] as Val, sig0(this.w[i - 15] as Val), this.w[i - 16] as Val));
    }
    return this.w[t] as Val;
  }
  /** A copy sharing the words computed so far. */
  fork(): Schedule {
    return new Schedule(this.w.slice());
  }
}

/** Rounds 0..lastRound of a compression (FIPS 180-4 §6.2.2 step 3); returns a..h after the last. */
function rounds(init: Val[], w: Schedule, lastRound: number): Val[] {
  let [a, b, c, d, e, f, g, h] = init as [Val, Val, Val, Val, Val, Val, Val, Val];
  let bc = xor(b, c);
  for (let t = 0; t <= lastRound; t++) {
    const t1 = add(h, bsig1(e), ch(e, f, g), lit(K[t] as number), w.at(t));
    const ab = xor(a, b);
    const t2 = add(bsig0(a), majFromXors(b, ab, bc));
    bc = ab;
    h = g;
    g = f;
    f = e;
    e = add(d, t1);
    d = c;
    c = b;
    b = a;
    a = add(t1, t2);
  }
  return [a, b, c, d, e, f, g, h];
}

const job = (name: string): Val => ({ bt: JOB, n: 0, name });
const dyn = (name: string): Val => ({ bt: DYN, n: 0, name });

interface Program {
  mid: Val[];
  blk: Val[];
  /** dyn defs of the first hash (input: w3 = byte-swapped nonce). */
  first: Def[];
  firstOut: Expr[];
  /** dyn defs of the second hash (inputs x0..x7 = first hash words). */
  second: Def[];
  secondOut: Expr[];
  /** dyn defs of the second hash up to round 60 (the early-reject variant). */
  early: Def[];
  earlyOut: Expr;
  x: Val[];
  scratch: number;
}

function build(): Program {
  // Inputs: midstate m0..m7 and block-2 words W0..W2 are job values read from the context.
  const mid = Array.from({ length: 8 }, (_, i) => job(`m${i}`));
  const blk = [job('b0'), job('b1'), job('b2')];
  // W3 is the nonce as SHA-256 reads it: big-endian of the header's little-endian nonce bytes.
  // FIPS 180-4 §5.1.1 padding of the 80-byte message: 0x80 then zeros then the bit length 640.
  const w1 = new Schedule([...blk, dyn('w3'), lit(0x80000000), ...Array(10).fill(lit(0)), lit(640)]);
  const s1 = rounds(mid, w1, 63);
  const h1 = s1.map((v, i) => add(mid[i] as Val, v));
  const first = dynDefs;
  dynDefs = [];
  const firstOut = h1.map((v) => ref(v, DYN));

  // Second hash: one block of the 32-byte first hash, padding 0x80..., bit length 256. A separate
  // function because V8 will not optimise a function over 60 KiB of bytecode (--max-optimized-bytecode-size).
  const x = Array.from({ length: 8 }, (_, i) => dyn(`x${i}`));
  const w2 = new Schedule([...x, lit(0x80000000), ...Array(6).fill(lit(0)), lit(256)]);
  const iv = IV.map((v) => lit(v));
  const s2 = rounds(iv, w2.fork(), 63);
  const secondOut = s2.map((v, i) => ref(add(iv[i] as Val, v), DYN));
  const second = dynDefs;
  dynDefs = [];

  // Early-reject variant: H7 of the second hash = IV7 + h after round 63 = IV7 + e after round 60.
  const s2early = rounds(iv, w2, 60);
  const earlyOut = ref(add(lit(IV[7] as number), s2early[4] as Val), DYN);
  const early = live(dynDefs, [earlyOut]);
  dynDefs = [];
  return {
    mid,
    blk,
    first: live(first, firstOut),
    firstOut,
    second: live(second, secondOut),
    secondOut,
    early,
    earlyOut,
    x,
    scratch: EXPORT_BASE + exported.size,
  };
}

/**
 * SHA-256d of exactly 64 bytes (a merkle node: left | right), in two functions whose output feeds the
 * engine's second hash (hashNonceSecond reads the first hash from the context scratch):
 *   nodeFirstBlock: the 64 input bytes as 16 big-endian words, compressed from the IV;
 *   nodePadBlock:   the padding block of a 64-byte message (0x80, zeros, bit length 512). Its whole
 *                   message schedule is literal, so the generator folds it away.
 */
interface NodeProgram {
  inWords: Val[];
  firstDefs: Def[];
  firstOut: Expr[];
  stateIn: Val[];
  padDefs: Def[];
  padOut: Expr[];
}

/** Context slots of the merkle-node functions: input words, then the state between the two blocks. */
const NODE_IN = 0;
const NODE_STATE = 16;

function buildNode(): NodeProgram {
  const saved = dynDefs;
  dynDefs = [];
  const inWords = Array.from({ length: 16 }, (_, i) => dyn(`n${i}`));
  const iv = IV.map((v) => lit(v));
  const s1 = rounds(iv, new Schedule(inWords.slice()), 63);
  const firstOut = s1.map((v, i) => ref(add(iv[i] as Val, v), DYN));
  const firstDefs = live(dynDefs, firstOut);
  dynDefs = [];
  const stateIn = Array.from({ length: 8 }, (_, i) => dyn(`q${i}`));
  // FIPS 180-4 §5.1.1 padding of a 64-byte message: 0x80 at byte 64, bit length 512 in the last word.
  const s2 = rounds(stateIn, new Schedule([lit(0x80000000), ...Array(14).fill(lit(0)), lit(512)]), 63);
  const padOut = s2.map((v, i) => ref(add(stateIn[i] as Val, v), DYN));
  const padDefs = live(dynDefs, padOut);
  dynDefs = saved;
  return { inWords, firstDefs, firstOut, stateIn, padDefs, padOut };
}

// ---------------------------------------------------------------------------------------------------
// JavaScript back end

/**
 * A literal as a signed 32-bit number: V8 keeps int32 arithmetic in machine words only when constants
 * are small integers too; 0x80000000 and up would be doubles and force float adds.
 */
function js(e: Expr): string {
  switch (e.k) {
    case 'ref':
      return e.name;
    case 'lit':
      return `${e.n | 0}`;
    case 'add': {
      const terms: string[] = [];
      const flat = (x: Expr): void => {
        if (x.k === 'add') {
          flat(x.a);
          flat(x.b);
        } else terms.push(js(x));
      };
      flat(e);
      return `(${terms.join(' + ')}) | 0`;
    }
    case 'xor':
      return `${js(e.a)} ^ ${js(e.b)}`;
    case 'and':
      return `(${js(e.a)} & (${js(e.b)}))`;
    case 'or':
      return `(${js(e.a)} | ${js(e.b)})`;
    case 'shr':
      return `(${js(e.a)} >>> ${e.r})`;
    case 'shl':
      return `(${js(e.a)} << ${e.r})`;
    case 'rotr': {
      const x = js(e.a);
      return `(${x} >>> ${e.r} | ${x} << ${32 - e.r})`;
    }
  }
}

const jsDefs = (defs: Def[]): string[] => defs.map((d) => `  const ${d.name} = ${js(d.expr)};`);

function refsOf(e: Expr, out: Set<string>): void {
  if (e.k === 'ref') out.add(e.name);
  else if (e.k === 'add' || e.k === 'xor' || e.k === 'and' || e.k === 'or') {
    refsOf(e.a, out);
    refsOf(e.b, out);
  } else if (e.k !== 'lit') refsOf(e.a, out);
}

/** Dead-code elimination: only the definitions the outputs need (the early variant skips round 61+). */
function live(defs: Def[], outputs: Expr[]): Def[] {
  const need = new Set<string>();
  for (const o of outputs) refsOf(o, need);
  const kept: Def[] = [];
  for (let i = defs.length - 1; i >= 0; i--) {
    const d = defs[i] as Def;
    if (!need.has(d.name)) continue;
    kept.push(d);
    refsOf(d.expr, need);
  }
  return kept.reverse();
}

function generateJs(p: Program, n: NodeProgram): string {
  const loads = [...exported.entries()].map(([n, slot]) => `  const ${n} = ctx[${slot}] as number;`);
  const stores = [...exported.entries()].map(([n, slot]) => `  ctx[${slot}] = ${n};`);
  const loadX = p.x.map((v, i) => `  const ${v.name} = ctx[${p.scratch + i}] as number;`);
  const bswap = '  const w3 = (nonce << 24) | ((nonce & 0xff00) << 8) | ((nonce >>> 8) & 0xff00) | (nonce >>> 24);';
  return [
    '// GENERATED by scripts/gen-sha256-engine.ts — do not edit by hand; regenerate and commit.',
    '// Unrolled SHA-256d of an 80-byte header from its midstate, specialised by binding time',
    '// (FIPS 180-4 §6.2.2). See the generator for how literal and job-level terms are folded.',
    '',
    `/** Number of 32-bit words a context needs (inputs, job-level terms, first-hash scratch). */`,
    `export const NONCE_CTX_WORDS = ${p.scratch + 8};`,
    '',
    '/**',
    ' * Computes every nonce-independent term once per header template.',
    ' * ctx[0..7] = midstate (SHA-256 state after the first 64 header bytes), ctx[8..10] = header bytes',
    ' * 64..75 as big-endian words (merkle tail, ntime, nbits). Fills the job-level slots.',
    ' */',
    'export function prepareNonceContext(ctx: Int32Array): void {',
    ...p.mid.map((m, i) => `  const ${m.name} = ctx[${i}] as number;`),
    ...p.blk.map((b, i) => `  const ${b.name} = ctx[${8 + i}] as number;`),
    ...jsDefs(jobDefs),
    ...stores,
    '}',
    '',
    '/** First SHA-256 of the header with this nonce (block 2 from the midstate) into the context scratch. */',
    'export function hashNonceFirst(ctx: Int32Array, nonce: number): void {',
    ...loads,
    bswap,
    ...jsDefs(p.first),
    ...p.firstOut.map((r, i) => `  ctx[${p.scratch + i}] = ${js(r)};`),
    '}',
    '',
    '/**',
    ' * Second SHA-256 over the first hash in the context scratch. Writes the 8 state words of the final',
    ' * hash to out[0..7]; the hash bytes in internal order are those words serialised big-endian.',
    ' */',
    'export function hashNonceSecond(ctx: Int32Array, out: Uint32Array): void {',
    ...loadX,
    ...jsDefs(p.second),
    ...p.secondOut.map((r, i) => `  out[${i}] = ${js(r)};`),
    '}',
    '',
    '/**',
    ' * Only the last state word H7 of the final hash (bytes 28..31, the most significant limb of the hash',
    ' * read as a little-endian integer, byte-swapped), stopping after round 60 of the second compression.',
    ' * Used to reject a nonce against a target before paying for the whole hash.',
    ' */',
    'export function hashNonceSecondTopWord(ctx: Int32Array): number {',
    ...loadX,
    ...jsDefs(p.early),
    `  return ${js(p.earlyOut)};`,
    '}',
    '',
    '/** Context slots of the 64-byte SHA-256d: 16 input words (big-endian) at NODE_IN, state at NODE_STATE. */',
    `export const NODE_IN = ${NODE_IN};`,
    `export const NODE_STATE = ${NODE_STATE};`,
    `/** Where nodePadBlock leaves the first hash: the scratch hashNonceSecond reads. */`,
    `export const NODE_FIRST_HASH = ${p.scratch};`,
    '',
    '/** First block of SHA-256 over 64 bytes (a merkle node), from the IV. */',
    'export function nodeFirstBlock(ctx: Int32Array): void {',
    ...n.inWords.map((v, i) => `  const ${v.name} = ctx[${NODE_IN + i}] as number;`),
    ...jsDefs(n.firstDefs),
    ...n.firstOut.map((r, i) => `  ctx[${NODE_STATE + i}] = ${js(r)};`),
    '}',
    '',
    '/** The padding block of a 64-byte message; leaves the first hash where hashNonceSecond reads it. */',
    'export function nodePadBlock(ctx: Int32Array): void {',
    ...n.stateIn.map((v, i) => `  const ${v.name} = ctx[${NODE_STATE + i}] as number;`),
    ...jsDefs(n.padDefs),
    ...n.padOut.map((r, i) => `  ctx[${p.scratch + i}] = ${js(r)};`),
    '}',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------
// WebAssembly back end (binary format, WebAssembly Core Spec §5 and the SIMD proposal's binary opcodes)

/** Memory layout of the SIMD module (one 64 KiB page): context words, then 4 nonces, then output. */
const SIMD_CTX = 0;
const SIMD_NONCES = 1024;
const SIMD_OUT = 1040;

const uleb = (n: number): number[] => {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};
const str = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

// Opcodes: core (§5.4) and SIMD (0xFD prefix, LEB128 sub-opcode).
const I32_CONST = 0x41;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const END = 0x0b;
const V128 = 0x7b;
const I32 = 0x7f;
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const V128_LOAD = 0x00;
const V128_LOAD32_SPLAT = 0x09;
const V128_STORE = 0x0b;
const V128_CONST = 0x0c;
const I8X16_SHUFFLE = 0x0d;
const V128_AND = 0x4e;
const V128_OR = 0x50;
const V128_XOR = 0x51;
const I32X4_SHL = 0xab;
const I32X4_SHR_U = 0xad;
const I32X4_ADD = 0xae;
const memarg = (align: number, offset: number): number[] => [...uleb(align), ...uleb(offset)];

class WasmFn {
  readonly code: number[] = [];
  private readonly locals = new Map<string, number>();
  private nextLocal: number;
  constructor(private readonly params: number) {
    this.nextLocal = params;
  }
  local(name: string): number {
    let i = this.locals.get(name);
    if (i === undefined) {
      i = this.nextLocal++;
      this.locals.set(name, i);
    }
    return i;
  }
  expr(e: Expr): void {
    const c = this.code;
    switch (e.k) {
      case 'ref': {
        const i = this.locals.get(e.name);
        if (i === undefined) throw new Error(`wasm: ${e.name} used before definition`);
        c.push(LOCAL_GET, ...uleb(i));
        return;
      }
      case 'lit': {
        const b = [e.n & 0xff, (e.n >>> 8) & 0xff, (e.n >>> 16) & 0xff, e.n >>> 24];
        c.push(...simd(V128_CONST), ...b, ...b, ...b, ...b);
        return;
      }
      case 'add':
      case 'xor':
      case 'and':
      case 'or':
        this.expr(e.a);
        this.expr(e.b);
        c.push(...simd({ add: I32X4_ADD, xor: V128_XOR, and: V128_AND, or: V128_OR }[e.k]));
        return;
      case 'shr':
      case 'shl':
        this.expr(e.a);
        c.push(I32_CONST, ...sleb(e.r), ...simd(e.k === 'shr' ? I32X4_SHR_U : I32X4_SHL));
        return;
      case 'rotr':
        this.expr(e.a);
        c.push(I32_CONST, ...sleb(e.r), ...simd(I32X4_SHR_U));
        this.expr(e.a);
        c.push(I32_CONST, ...sleb(32 - e.r), ...simd(I32X4_SHL));
        c.push(...simd(V128_OR));
        return;
    }
  }
  def(name: string, e: Expr): void {
    this.expr(e);
    this.code.push(LOCAL_SET, ...uleb(this.local(name)));
  }
  /** Loads a context word into all four lanes. */
  splatCtx(name: string, slot: number): void {
    this.code.push(I32_CONST, ...sleb(SIMD_CTX), ...simd(V128_LOAD32_SPLAT), ...memarg(2, slot * 4));
    this.code.push(LOCAL_SET, ...uleb(this.local(name)));
  }
  storeV(addr: number, e: Expr): void {
    this.code.push(I32_CONST, ...sleb(addr));
    this.expr(e);
    this.code.push(...simd(V128_STORE), ...memarg(4, 0));
  }
  body(): number[] {
    const nLocals = this.nextLocal - this.params;
    const decl = nLocals > 0 ? vec([[...uleb(nLocals), V128]]) : [0];
    const b = [...decl, ...this.code, END];
    return [...uleb(b.length), ...b];
  }
}

function generateWasm(p: Program): Uint8Array {
  // Function 0 `first4`: four nonces at SIMD_NONCES -> first-hash words at SIMD_OUT (8 x v128).
  const f0 = new WasmFn(0);
  for (const [n, slot] of exported) f0.splatCtx(n, slot);
  // w3: byte-swap each 32-bit lane of the nonces (header stores them little-endian, SHA reads big-endian).
  f0.code.push(I32_CONST, ...sleb(SIMD_NONCES), ...simd(V128_LOAD), ...memarg(4, 0));
  f0.code.push(I32_CONST, ...sleb(SIMD_NONCES), ...simd(V128_LOAD), ...memarg(4, 0));
  f0.code.push(...simd(I8X16_SHUFFLE), 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
  f0.code.push(LOCAL_SET, ...uleb(f0.local('w3')));
  for (const d of p.first) f0.def(d.name, d.expr);
  p.firstOut.forEach((e, i) => f0.storeV(SIMD_OUT + 16 * i, e));

  // Function 1 `second4`: first-hash words at SIMD_OUT -> final hash words at SIMD_OUT.
  const f1 = new WasmFn(0);
  p.x.forEach((x, i) => {
    f1.code.push(I32_CONST, ...sleb(SIMD_OUT), ...simd(V128_LOAD), ...memarg(4, 16 * i));
    f1.code.push(LOCAL_SET, ...uleb(f1.local(x.name)));
  });
  for (const d of p.second) f1.def(d.name, d.expr);
  p.secondOut.forEach((e, i) => f1.storeV(SIMD_OUT + 16 * i, e));

  // Function 2 `top4`: like second4 but only H7 of the final hash, into SIMD_OUT.
  const f2 = new WasmFn(0);
  p.x.forEach((x, i) => {
    f2.code.push(I32_CONST, ...sleb(SIMD_OUT), ...simd(V128_LOAD), ...memarg(4, 16 * i));
    f2.code.push(LOCAL_SET, ...uleb(f2.local(x.name)));
  });
  for (const d of p.early) f2.def(d.name, d.expr);
  f2.storeV(SIMD_OUT + 16 * 7, p.earlyOut);

  const type = section(1, vec([[0x60, 0, 0]])); // () -> ()
  const funcs = section(3, vec([[0], [0], [0]]));
  const memory = section(5, vec([[0x00, 1]])); // one page, no maximum
  const exports = section(
    7,
    vec([
      [...str('mem'), 0x02, 0],
      [...str('first4'), 0x00, 0],
      [...str('second4'), 0x00, 1],
      [...str('top4'), 0x00, 2],
    ]),
  );
  const code = section(10, [...uleb(3), ...f0.body(), ...f1.body(), ...f2.body()]);
  void I32;
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...funcs, ...memory, ...exports, ...code]);
}

function generateSimdTs(wasm: Uint8Array): string {
  const b64 = Buffer.from(wasm).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 100) lines.push(`  '${b64.slice(i, i + 100)}'`);
  return [
    '// GENERATED by scripts/gen-sha256-engine.ts — do not edit by hand; regenerate and commit.',
    '// A WebAssembly module (128-bit SIMD) hashing four nonces of one header template per call, from the',
    '// same binding-time-specialised description as sha256-nonce.generated.ts. Exports: mem, first4,',
    '// second4, top4. The context layout is the one prepareNonceContext() fills.',
    '',
    `/** Byte offset of the context words in the module's memory. */`,
    `export const SIMD_CTX_OFFSET = ${SIMD_CTX};`,
    `/** Byte offset of the four little-endian nonces. */`,
    `export const SIMD_NONCES_OFFSET = ${SIMD_NONCES};`,
    `/** Byte offset of the output: 8 x 4 words (word i of lanes 0..3 at +16i). */`,
    `export const SIMD_OUT_OFFSET = ${SIMD_OUT};`,
    '',
    `/** The module (${wasm.length} bytes), base64. */`,
    'export const SHA256_SIMD_WASM_BASE64 =',
    lines.join(' +\n') + ';',
    '',
  ].join('\n');
}

const here = dirname(fileURLToPath(import.meta.url));
const program = build();
const node = buildNode();
const outputs: [string, string][] = [
  [join(here, '..', 'src', 'work', 'generated', 'sha256-nonce.generated.ts'), generateJs(program, node)],
  [join(here, '..', 'src', 'work', 'generated', 'sha256-simd.generated.ts'), generateSimdTs(generateWasm(program))],
];
if (process.argv.includes('--check')) {
  let stale = false;
  for (const [path, text] of outputs) {
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      console.error(`${path} is out of date: run node --import tsx scripts/gen-sha256-engine.ts`);
      stale = true;
    }
  }
  if (stale) process.exit(1);
  console.log('generated engine files are up to date');
} else {
  for (const [path, text] of outputs) {
    writeFileSync(path, text);
    console.log(`wrote ${path} (${text.length} bytes)`);
  }
}
