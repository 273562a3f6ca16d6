/**
 * Generates src/work/sha256-nonce.generated.ts: the fully unrolled per-nonce SHA-256d of an 80-byte
 * block header, specialised by binding time.
 *
 * Every value in the two compressions (block 2 of the first hash, then the second hash) is classified as
 *   - lit: known when this script runs (FIPS 180-4 §4.2.2 K constants, §5.3.3 IV, §5.1.1 padding words),
 *   - job: known once per header template (midstate, merkle tail, ntime, nbits) -> computed in `prepare`,
 *   - dyn: depends on the nonce -> computed in the hot functions.
 * Lit values are folded here, job values are computed once and stored in the context, and only the dyn
 * remainder is emitted into the hot path. This is the classic "precompute the nonce-independent message
 * schedule and first rounds" optimisation done mechanically, so it cannot be wrong by hand-editing.
 *
 * Run: node --import tsx scripts/gen-sha256-engine.ts [--check]
 * --check exits 1 if the committed file differs from what this script would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** FIPS 180-4 §4.2.2 round constants. */
const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
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

const u32 = (x: number): number => x >>> 0;
const rotr = (x: number, r: number): number => u32((x >>> r) | (x << (32 - r)));

const jobLines: string[] = [];
const dynLines: string[] = [];
const exported = new Map<string, number>();
let jobCount = 0;
let dynCount = 0;
/** First context slot for exported job values; 0..7 midstate, 8..10 block-2 words W0..W2. */
const EXPORT_BASE = 16;

const lit = (n: number): Val => ({ bt: LIT, n: u32(n), name: '' });

/**
 * A literal as a signed 32-bit number: V8 keeps int32 arithmetic in machine words only when constants
 * are small integers too; 0x80000000 and up would be doubles and force float adds.
 */
const litCode = (n: number): string => `${n | 0}`;

function ref(v: Val, forBt: Bt): string {
  if (v.bt === LIT) return litCode(v.n);
  if (v.bt === JOB && forBt === DYN && !exported.has(v.name)) exported.set(v.name, EXPORT_BASE + exported.size);
  return v.name;
}

function define(bt: Bt, code: string): Val {
  if (bt === JOB) {
    const name = `j${jobCount++}`;
    jobLines.push(`  const ${name} = ${code};`);
    return { bt, n: 0, name };
  }
  const name = `d${dynCount++}`;
  dynLines.push(`  const ${name} = ${code};`);
  return { bt: DYN, n: 0, name };
}

function maxBt(...vs: Val[]): Bt {
  let m: Bt = LIT;
  for (const v of vs) if (v.bt > m) m = v.bt;
  return m;
}

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
      const terms = jobs.map((j) => j.name);
      if (litSum !== 0) terms.push(litCode(litSum));
      jobPart = define(JOB, `(${terms.join(' + ')}) | 0`);
    }
    litSum = 0;
  }
  if (dyns.length === 0) return jobPart as Val;
  const terms = dyns.map((d) => d.name);
  if (jobPart) terms.unshift(ref(jobPart, DYN));
  if (litSum !== 0) terms.unshift(litCode(litSum));
  if (terms.length === 1) return dyns[0] as Val;
  return define(DYN, `(${terms.join(' + ')}) | 0`);
}

/** A bitwise function of its inputs: computed here when all are literal, otherwise emitted. */
function fn(compute: (...xs: number[]) => number, code: (...xs: string[]) => string, ...vs: Val[]): Val {
  const bt = maxBt(...vs);
  if (bt === LIT) return lit(compute(...vs.map((v) => v.n)));
  return define(bt, code(...vs.map((v) => ref(v, bt))));
}

const rotrCode = (x: string, r: number): string => `(${x} >>> ${r} | ${x} << ${32 - r})`;

/** An emitted expression of one input whose code needs temporaries (one per step). */
function chain(v: Val, compute: (x: number) => number, steps: ((x: string, prev: string) => string)[]): Val {
  if (v.bt === LIT) return lit(compute(v.n));
  const x = ref(v, v.bt);
  let prev = x;
  let out = v;
  for (const step of steps) {
    out = define(v.bt, step(x, prev));
    prev = out.name;
  }
  return out;
}

// FIPS 180-4 §4.1.2 functions (4.4)..(4.7), written in the nested form
// ROTR6(e ^ ROTR5(e ^ ROTR14(e))) = ROTR6(e) ^ ROTR11(e) ^ ROTR25(e): the same value with fewer register
// copies, because each rotate consumes the previous temporary instead of a fresh copy of the input.
const sig0 = (v: Val): Val =>
  chain(v, (x) => rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3), [
    (x) => `${rotrCode(x, 11)} ^ ${x}`,
    (x, p) => `${rotrCode(p, 7)} ^ (${x} >>> 3)`,
  ]);
const sig1 = (v: Val): Val =>
  chain(v, (x) => rotr(x, 17) ^ rotr(x, 19) ^ (x >>> 10), [
    (x) => `${rotrCode(x, 2)} ^ ${x}`,
    (x, p) => `${rotrCode(p, 17)} ^ (${x} >>> 10)`,
  ]);
const bsig0 = (v: Val): Val =>
  chain(v, (x) => rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22), [
    (x) => `${rotrCode(x, 9)} ^ ${x}`,
    (x, p) => `${rotrCode(p, 11)} ^ ${x}`,
    (_x, p) => rotrCode(p, 2),
  ]);
const bsig1 = (v: Val): Val =>
  chain(v, (x) => rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25), [
    (x) => `${rotrCode(x, 14)} ^ ${x}`,
    (x, p) => `${rotrCode(p, 5)} ^ ${x}`,
    (_x, p) => rotrCode(p, 6),
  ]);
const ch = (e: Val, f: Val, g: Val): Val =>
  fn((x, y, z) => u32((x & y) ^ (~x & z)), (x, y, z) => `(${z} ^ (${x} & (${y} ^ ${z})))`, e, f, g);
const xor = (a: Val, b: Val): Val => fn((x, y) => u32(x ^ y), (x, y) => `${x} ^ ${y}`, a, b);
/** Maj(a,b,c) = b ^ ((a ^ b) & (b ^ c)); b ^ c of this round is a ^ b of the previous one. */
const majFromXors = (b: Val, ab: Val, bc: Val): Val =>
  fn((y, p, q) => u32(y ^ (p & q)), (y, p, q) => `${y} ^ (${p} & ${q})`, b, ab, bc);

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

/**
 * Rounds 0..lastRound of a compression (FIPS 180-4 §6.2.2 step 3). Returns the working variables
 * a..h after the last round emitted.
 */
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

function job(name: string): Val {
  return { bt: JOB, n: 0, name };
}

function generate(): string {
  // Inputs: midstate m0..m7 and block-2 words W0..W2 are job values read from the context.
  const mid = Array.from({ length: 8 }, (_, i) => job(`m${i}`));
  const blk = [job('b0'), job('b1'), job('b2')];
  // W3 is the nonce as SHA-256 reads it: big-endian of the header's little-endian nonce bytes.
  const w3: Val = { bt: DYN, n: 0, name: 'w3' };
  // FIPS 180-4 §5.1.1 padding of the 80-byte message: 0x80 then zeros then the bit length 640.
  const w1 = new Schedule([...blk, w3, lit(0x80000000), ...Array(10).fill(lit(0)), lit(640)]);
  const s1 = rounds(mid, w1, 63);
  const h1 = s1.map((v, i) => add(mid[i] as Val, v));
  const firstLines = dynLines.splice(0);
  const firstOut = h1.map((v) => ref(v, DYN));

  // Second hash: one block of the 32-byte first hash, padding 0x80..., bit length 256. It is a separate
  // function because V8 will not optimise a function over 60 KiB of bytecode (--max-optimized-bytecode-size).
  const x = Array.from({ length: 8 }, (_, i): Val => ({ bt: DYN, n: 0, name: `x${i}` }));
  const w2 = new Schedule([...x, lit(0x80000000), ...Array(6).fill(lit(0)), lit(256)]);
  const iv = IV.map((v) => lit(v));
  const dynStart = dynLines.length;
  const s2 = rounds(iv, w2.fork(), 63);
  const out = s2.map((v, i) => add(iv[i] as Val, v));
  const outRefs = out.map((v) => ref(v, DYN));
  const secondLines = dynLines.slice();

  // Early-reject variant: H7 of the second hash = IV7 + h after round 63 = IV7 + e after round 60.
  dynLines.length = dynStart;
  const s2early = rounds(iv, w2, 60);
  const top = add(lit(IV[7] as number), s2early[4] as Val);
  const earlyLines = dynLines.slice();

  const scratch = EXPORT_BASE + exported.size;
  const loads = [...exported.entries()].map(([n, slot]) => `  const ${n} = ctx[${slot}];`);
  const stores = [...exported.entries()].map(([n, slot]) => `  ctx[${slot}] = ${n};`);
  const loadX = x.map((v, i) => `  const ${v.name} = ctx[${scratch + i}];`);
  const hdr = [
    '// GENERATED by scripts/gen-sha256-engine.ts — do not edit by hand; regenerate and commit.',
    '// Unrolled SHA-256d of an 80-byte header from its midstate, specialised by binding time',
    '// (FIPS 180-4 §6.2.2). See the generator for how literal and job-level terms are folded.',
    '',
    `/** Number of 32-bit words a context needs (inputs, job-level terms, first-hash scratch). */`,
    `export const NONCE_CTX_WORDS = ${scratch + 8};`,
    '',
    '/**',
    ' * Computes every nonce-independent term once per header template.',
    ' * ctx[0..7] = midstate (SHA-256 state after the first 64 header bytes), ctx[8..10] = header bytes',
    ' * 64..75 as big-endian words (merkle tail, ntime, nbits). Fills the job-level slots.',
    ' */',
    'export function prepareNonceContext(ctx: Int32Array): void {',
    ...mid.map((m, i) => `  const ${m.name} = ctx[${i}] as number;`),
    ...blk.map((b, i) => `  const ${b.name} = ctx[${8 + i}] as number;`),
    ...jobLines,
    ...stores,
    '}',
    '',
  ];
  const bswap = '  const w3 = (nonce << 24) | ((nonce & 0xff00) << 8) | ((nonce >>> 8) & 0xff00) | (nonce >>> 24);';
  const body = [
    '/** First SHA-256 of the header with this nonce (block 2 from the midstate) into the context scratch. */',
    'export function hashNonceFirst(ctx: Int32Array, nonce: number): void {',
    ...loads.map((l) => l.replace(/;$/, ' as number;')),
    bswap,
    ...firstLines,
    ...firstOut.map((r, i) => `  ctx[${scratch + i}] = ${r};`),
    '}',
    '',
    '/**',
    ' * Second SHA-256 over the first hash in the context scratch. Writes the 8 state words of the final',
    ' * hash to out[0..7]; the hash bytes in internal order are those words serialised big-endian.',
    ' */',
    'export function hashNonceSecond(ctx: Int32Array, out: Uint32Array): void {',
    ...loadX.map((l) => l.replace(/;$/, ' as number;')),
    ...secondLines,
    ...outRefs.map((r, i) => `  out[${i}] = ${r};`),
    '}',
    '',
    '/**',
    ' * Only the last state word H7 of the final hash (bytes 28..31, the most significant limb of the hash',
    ' * read as a little-endian integer, byte-swapped), stopping after round 60 of the second compression.',
    ' * Used to reject a nonce against a target before paying for the whole hash.',
    ' */',
    'export function hashNonceSecondTopWord(ctx: Int32Array): number {',
    ...loadX.map((l) => l.replace(/;$/, ' as number;')),
    ...earlyLines,
    `  return ${ref(top, DYN)};`,
    '}',
    '',
  ];
  return [...hdr, ...body].join('\n');
}

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, '..', 'src', 'work', 'sha256-nonce.generated.ts');
const text = generate();
if (process.argv.includes('--check')) {
  const current = readFileSync(target, 'utf8');
  if (current !== text) {
    console.error(`${target} is out of date: run node --import tsx scripts/gen-sha256-engine.ts`);
    process.exit(1);
  }
  console.log('sha256-nonce.generated.ts is up to date');
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target} (${text.split('\n').length} lines)`);
}
