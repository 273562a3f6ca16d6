/**
 * Fuzz material for the Stratum V1 parsers: seed lines for every message both sides send, and
 * fast-check arbitraries that mutate them structurally (replace/delete/resize JSON values) and
 * byte-wise, or make lines from nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { decodeSv1Line, encodeRequest, encodeResult, replyFailure, Sv1ProtocolError } from '../../src/upstream/sv1/json-rpc.js';
import {
  authorizeParams,
  configureParams,
  parseAuthorizeParams,
  parseConfigureParams,
  parseSubmitParams,
  parseSubscribeParams,
  parseSuggestDifficultyParams,
  submitParams,
  subscribeParams,
} from '../../src/upstream/sv1/miner-messages.js';
import { parseConfigureResult, parsePoolMessage, parseSubscribeResult } from '../../src/upstream/sv1/pool-messages.js';
import { jobFromNotify } from '../../src/upstream/sv1/job-from-notify.js';
import { shareHeader } from '../../src/mining/share-header.js';
import { difficultyToTarget } from '../../src/work/target.js';
import { vectorPath } from './vectors.js';
import { testIssuer } from './job-issuer.js';

const hex = (n: number, seed: number): string => Array.from({ length: n }, (_, i) => ((i * 37 + seed) & 0xff).toString(16).padStart(2, '0')).join('');

/** A structurally valid notify coinbase: version 1, one input with a 4+4 byte extranonce gap. */
const coinb1 = `01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff0d03fc7903`;
const coinb2 = `00ffffffff0100f2052a010000000151` + '00000000';

export function ownSeedLines(): string[] {
  const notify = ['1f', hex(32, 1), coinb1, coinb2, [hex(32, 2), hex(32, 3)], '20000000', '1703a30c', '65a0b1c2', true];
  return [
    encodeRequest(null, 'mining.notify', notify),
    encodeRequest(null, 'mining.set_difficulty', [0.5]),
    encodeRequest(null, 'mining.set_version_mask', ['1fffe000']),
    encodeRequest(null, 'mining.set_extranonce', ['a1b2c3d4', 4]),
    encodeRequest(null, 'client.reconnect', ['pool.example', 3333, 5]),
    encodeRequest(null, 'client.show_message', ['hello']),
    encodeRequest(7, 'client.get_version', []),
    encodeRequest(8, 'mining.ping', []),
    encodeResult(2, [[['mining.notify', 'ab']], 'a1b2c3d4', 4]),
    encodeResult(1, { 'version-rolling': true, 'version-rolling.mask': '1fffe000' }),
    encodeResult(4, true),
    encodeResult(5, null, { code: 23, message: 'low difficulty share' }),
    encodeRequest(1, 'mining.configure', configureParams({ extensions: ['version-rolling'], versionRollingMask: 0x1fffe000, versionRollingMinBitCount: 2 })),
    encodeRequest(2, 'mining.subscribe', subscribeParams('asic-agent/0.1.0')),
    encodeRequest(3, 'mining.authorize', authorizeParams('user.worker', 'x')),
    encodeRequest(4, 'mining.suggest_difficulty', [512]),
    encodeRequest(
      9,
      'mining.submit',
      submitParams({ user: 'u', jobId: '1f', extranonce2: '00000001', ntime: 0x65a0b1c2, nonce: 0xdeadbeef, versionBits: 0x00b44000 }),
    ),
  ].map((l) => l.trimEnd());
}

/** Seeds: our own lines plus every vector line when the vectors are present. */
export function seedLines(): string[] {
  const seeds = ownSeedLines();
  const p = vectorPath('real/stratum-v1-lines.jsonl');
  if (existsSync(p)) {
    for (const l of readFileSync(p, 'utf8').split('\n')) if (l.trim()) seeds.push((JSON.parse(l) as { line: string }).line);
  }
  return seeds;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Op {
  path: number[];
  kind: 'replace' | 'delete' | 'truncate' | 'append';
  value: Json;
}

function mutate(v: Json, op: Op, depth = 0): Json {
  const step = op.path[depth];
  const isLeafStep = depth >= op.path.length - 1 || step === undefined;
  if (Array.isArray(v) && v.length > 0 && step !== undefined) {
    const i = step % v.length;
    const out = v.slice();
    if (isLeafStep) {
      if (op.kind === 'delete') out.splice(i, 1);
      else if (op.kind === 'truncate') out.length = i;
      else if (op.kind === 'append') out.push(op.value);
      else out[i] = op.value;
      return out;
    }
    out[i] = mutate(v[i] as Json, op, depth + 1);
    return out;
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    if (keys.length === 0 || step === undefined) return op.value;
    const k = keys[step % keys.length] as string;
    const out: { [k: string]: Json } = { ...v };
    if (isLeafStep) {
      if (op.kind === 'delete') delete out[k];
      else out[k] = op.value;
      return out;
    }
    out[k] = mutate(v[k] as Json, op, depth + 1);
    return out;
  }
  return op.value;
}

const jsonish: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>('', 'zz', '1fffe000', 'ffffffff', '00', -1, 0, 1e308, 5e-324, 2 ** 53, true, null, [], {}, 'deadbeef'.repeat(9)),
  fc.stringMatching(/^[0-9a-fA-F]{0,70}$/),
);

const op: fc.Arbitrary<Op> = fc.record({
  path: fc.array(fc.nat(12), { minLength: 1, maxLength: 4 }),
  kind: fc.constantFrom<Op['kind']>('replace', 'replace', 'delete', 'truncate', 'append'),
  value: jsonish,
});

/** A seed line with 1..3 structural mutations. */
export function structurallyMutated(seeds: string[]): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...seeds), fc.array(op, { minLength: 1, maxLength: 3 })).map(([line, ops]) => {
    let v = JSON.parse(line) as Json;
    for (const o of ops) v = mutate(v, o);
    return JSON.stringify(v);
  });
}

/** A seed line with 1..4 character-level edits. */
export function byteMutated(seeds: string[]): fc.Arbitrary<string> {
  const edit = fc.record({
    at: fc.nat(),
    kind: fc.constantFrom('flip', 'delete', 'insert', 'cut'),
    ch: fc.constantFrom('"', ',', '}', ']', '[', '{', ':', '0', 'f', '\\', ' ', '\u0000', 'é'),
  });
  return fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 4 })).map(([line, edits]) => {
    let s = line;
    for (const e of edits) {
      const i = s.length === 0 ? 0 : e.at % s.length;
      if (e.kind === 'flip') s = s.slice(0, i) + e.ch + s.slice(i + 1);
      else if (e.kind === 'delete') s = s.slice(0, i) + s.slice(i + 1);
      else if (e.kind === 'insert') s = s.slice(0, i) + e.ch + s.slice(i);
      else s = s.slice(0, i);
    }
    return s;
  });
}

/** Lines from nothing: random text, and random JSON objects shaped like Stratum messages. */
export function randomLines(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc
      .record({
        id: fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 6 })),
        method: fc.constantFrom(
          'mining.notify',
          'mining.set_difficulty',
          'mining.set_version_mask',
          'mining.set_extranonce',
          'client.reconnect',
          'client.show_message',
          'client.get_version',
          'mining.ping',
          'mining.submit',
          'mining.configure',
          'mining.subscribe',
          'mining.authorize',
          'x',
        ),
        params: fc.array(jsonish, { maxLength: 10 }),
      })
      .map((o) => JSON.stringify(o)),
  );
}

const session = {
  poolId: 'fuzz',
  upstream: testIssuer('fuzz'),
  extranonce1: Uint8Array.of(1, 2, 3, 4),
  extranonce2Size: 4,
  versionMask: 0x1fffe000,
  target: difficultyToTarget(1),
};

function typed(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof Sv1ProtocolError) return;
    throw err;
  }
}

const MINER_PARSERS: Record<string, (p: unknown[]) => unknown> = {
  'mining.submit': parseSubmitParams,
  'mining.configure': parseConfigureParams,
  'mining.subscribe': parseSubscribeParams,
  'mining.authorize': parseAuthorizeParams,
  'mining.suggest_difficulty': parseSuggestDifficultyParams,
};

/** What the client (pool → miner methods) or the lab pool (miner → pool methods) does with a line before acting on it. */
export function interpretLine(line: string): void {
  typed(() => {
    const decoded = decodeSv1Line(line);
    // Own keys only, as the lab pool's switch: a method named '__proto__' or 'constructor' is unknown.
    if (decoded.type === 'request' && Object.hasOwn(MINER_PARSERS, decoded.method)) {
      MINER_PARSERS[decoded.method]?.(decoded.params);
      return;
    }
    const m = parsePoolMessage(decoded);
    if (m.kind === 'response') {
      replyFailure(m.response);
      typed(() => parseSubscribeResult(m.response.result));
      typed(() => parseConfigureResult(m.response.result));
      return;
    }
    if (m.kind === 'set_difficulty') assert.ok(difficultyToTarget(m.difficulty) >= 0n);
    if (m.kind === 'notify') {
      const job = jobFromNotify(m.notify, session, 0);
      // A job that was emitted can be hashed.
      assert.equal(shareHeader(job, { extranonce: new Uint8Array(4), ntime: job.ntime, version: job.version, nonce: 0 }).length, 80);
    }
  });
}
