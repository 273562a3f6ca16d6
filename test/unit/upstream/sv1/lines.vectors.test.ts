// Every line of stratum-v1-lines.jsonl parses as the file says: its `kind` names the message (and
// "-malformed" kinds, or a note saying "must/should be rejected", must be rejected), its `direction`
// says which side's parser takes it.
import assert from 'node:assert/strict';
import { decodeSv1Line, replyFailure, Sv1ProtocolError, type Sv1Message, type Sv1Request, type Sv1Response } from '../../../../src/upstream/sv1/json-rpc.js';
import {
  parseConfigureResult,
  parseNotify,
  parseReconnect,
  parseSetDifficulty,
  parseSetExtranonce,
  parseSetVersionMask,
  parseShowMessage,
  parseSubscribeResult,
} from '../../../../src/upstream/sv1/pool-messages.js';
import {
  parseAuthorizeParams,
  parseConfigureParams,
  parseSubmitParams,
  parseSubscribeParams,
  parseSuggestDifficultyParams,
  submitParams,
} from '../../../../src/upstream/sv1/miner-messages.js';
import { toHex } from '../../../../src/work/bytes.js';
import { readVectorText, vectorTest } from '../../../helpers/vectors.js';

interface VectorLine {
  direction: 'pool->miner' | 'miner->pool';
  kind: string;
  line: string;
  source: string;
  note: string;
}

function lines(): VectorLine[] {
  return readVectorText('real/stratum-v1-lines.jsonl')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as VectorLine);
}

function mustReject(v: VectorLine): boolean {
  return v.kind.endsWith('-malformed') || /\b(must|should) be rejected\b/i.test(v.note);
}

function request(m: Sv1Message, method: string): Sv1Request {
  assert.equal(m.type, 'request');
  const r = m as Sv1Request;
  assert.equal(r.method, method);
  return r;
}

function response(m: Sv1Message): Sv1Response {
  assert.equal(m.type, 'response');
  return m as Sv1Response;
}

const KNOWN_POOL_METHODS = new Set([
  'mining.notify',
  'mining.set_difficulty',
  'mining.set_version_mask',
  'mining.set_extranonce',
  'client.reconnect',
  'client.get_version',
  'client.show_message',
  'mining.ping',
]);

/** Pool → miner: what the client does with the line. Throws Sv1ProtocolError when it rejects it. */
function poolLine(v: VectorLine): void {
  const m = decodeSv1Line(v.line);
  const kind = v.kind.replace(/-malformed$/, '');
  switch (kind) {
    case 'mining.notify': {
      const r = request(m, 'mining.notify');
      const n = parseNotify(r.params);
      assert.equal(n.cleanJobs, r.params[r.params.length - 1]);
      assert.equal(n.jobId, r.params[0]);
      assert.equal(toHex(n.prevHashStratum), r.params[1]);
      return;
    }
    case 'subscribe-result': {
      const s = parseSubscribeResult(response(m).result);
      assert.ok(s.extranonce1.length > 0 && s.extranonce2Size > 0);
      assert.ok(s.subscriptions.some(([method]) => method === 'mining.notify'));
      return;
    }
    case 'configure-result': {
      const r = response(m);
      assert.equal(replyFailure(r), null);
      const c = parseConfigureResult(r.result);
      const granted = (r.result as Record<string, unknown>)['version-rolling'] === true;
      assert.equal(c.versionRollingMask !== null, granted);
      if (granted) assert.equal(c.versionRollingMask?.toString(16).padStart(8, '0'), (r.result as Record<string, string>)['version-rolling.mask']);
      return;
    }
    case 'result':
      assert.equal(replyFailure(response(m)), null);
      return;
    case 'result-error': {
      const f = replyFailure(response(m));
      assert.ok(f, 'an error reply is a failure');
      assert.ok(f.message.length > 0 && !f.message.startsWith('{') && !f.message.startsWith('['), `readable reason: ${f.message}`);
      return;
    }
    case 'mining.set_difficulty': {
      const r = request(m, kind);
      assert.equal(parseSetDifficulty(r.params), r.params[0]);
      return;
    }
    case 'mining.set_version_mask': {
      const r = request(m, kind);
      assert.equal(parseSetVersionMask(r.params), Number.parseInt(r.params[0] as string, 16));
      return;
    }
    case 'mining.set_extranonce': {
      const e = parseSetExtranonce(request(m, kind).params);
      assert.equal(toHex(e.extranonce1), 'deadbeef');
      return;
    }
    case 'client.reconnect':
      parseReconnect(request(m, kind).params);
      return;
    case 'client.show_message':
      assert.ok(parseShowMessage(request(m, kind).params).length > 0);
      return;
    case 'client.get_version':
      // A request the miner must answer: it has an id.
      assert.notEqual(request(m, kind).id, null);
      return;
    case 'mining.ping':
      request(m, kind);
      return;
    case 'unknown-method':
      assert.equal(m.type, 'request');
      assert.ok(!KNOWN_POOL_METHODS.has((m as Sv1Request).method));
      return;
    default:
      assert.fail(`vector kind ${v.kind} has no check: add one`);
  }
}

/** Miner → pool: what the lab pool does with the line. */
function minerLine(v: VectorLine): void {
  const m = decodeSv1Line(v.line);
  const r = request(m, v.kind);
  switch (v.kind) {
    case 'mining.submit': {
      const s = parseSubmitParams(r.params);
      // Our encoder gives back the same parameters (hex case and width included).
      assert.deepEqual(
        submitParams(s),
        r.params.map((x) => (typeof x === 'string' ? x.toLowerCase() : x)),
      );
      assert.equal(s.versionBits !== undefined, r.params.length === 6);
      return;
    }
    case 'mining.configure': {
      const c = parseConfigureParams(r.params);
      assert.ok(c.extensions.includes('version-rolling'));
      assert.notEqual(c.versionRollingMask, undefined);
      return;
    }
    case 'mining.subscribe':
      parseSubscribeParams(r.params);
      return;
    case 'mining.authorize':
      assert.ok(parseAuthorizeParams(r.params).user.length > 0);
      return;
    case 'mining.suggest_difficulty':
      assert.equal(parseSuggestDifficultyParams(r.params), r.params[0]);
      return;
    default:
      assert.fail(`vector kind ${v.kind} has no check: add one`);
  }
}

vectorTest('every Stratum V1 vector line is accepted or rejected as the file says', () => {
  const all = lines();
  assert.equal(all.length, 43);
  let accepted = 0;
  let rejected = 0;
  for (const v of all) {
    const run = (): void => (v.direction === 'pool->miner' ? poolLine(v) : minerLine(v));
    if (mustReject(v)) {
      assert.throws(run, (err: unknown) => err instanceof Sv1ProtocolError && err.kind === 'bad-params', `${v.kind}: ${v.line}`);
      rejected++;
    } else {
      assert.doesNotThrow(run, `${v.kind}: ${v.line}`);
      accepted++;
    }
  }
  assert.equal(rejected, 2);
  assert.equal(accepted, 41);
});

vectorTest('the four error-reply shapes give the pool reason and code', () => {
  const errs = lines()
    .filter((v) => v.kind === 'result-error')
    .map((v) => replyFailure(decodeSv1Line(v.line) as Sv1Response));
  assert.deepEqual(errs, [
    { code: 21, message: 'Job not found' },
    { code: null, message: 'Above target 2' },
    { code: null, message: 'Stale' },
    { code: null, message: 'Stale' },
    { code: 22, message: 'duplicate share' },
    { code: 20, message: 'Suggest difficulty validation error' },
  ]);
});
