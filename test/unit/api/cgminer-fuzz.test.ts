// Fuzz of the cgminer API request parser (100 000 cases over three generators) and of the whole
// request → reply path (20 000): whatever arrives, parsing gives a request or a CgminerRequestError,
// never another exception; the framing rule never points past the input; and every reply is strict
// JSON with a STATUS (JSON requests) or a text STATUS section, with no secret in it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { WriteAccess } from '../../../src/api/cgminer-access.js';
import { CgminerDispatcher } from '../../../src/api/cgminer-dispatch.js';
import { CgminerRequestError, parseRequest, requestLength, type CgminerRequest } from '../../../src/api/cgminer-request.js';
import { API_TOKEN, POOL_PASSWORD, RecordingControl, sampleSnapshot } from '../../helpers/api-snapshot.js';

const SEEDS = [
  'summary',
  'pools\n',
  '{"command":"summary"}',
  '{"command":"summary+pools+devs"}',
  'summary+pools+devs+stats',
  '{"command":"switchpool","parameter":"1"}',
  `{"command":"switchpool","parameter":"${API_TOKEN},1"}`,
  `{"command":"addpool","parameter":"stratum+tcp://a:1,u,p","token":"${API_TOKEN}"}`,
  `addpool|${API_TOKEN},stratum+tcp://a:1,u\\,x,${POOL_PASSWORD}`,
  'check|switchpool',
  '{"command":"check","parameter":"summary"}',
  `restart|${API_TOKEN}`,
  '{"command":"enablepool","parameter":0}',
  '{"command":"devdetails","parameter":1.25}',
  'version+devdetails+coin+config',
];

const enc = new TextEncoder();

/** A seed with a few random edits (insert, delete, replace) at random places. */
const mutated = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.constantFrom('ins', 'del', 'rep'),
        fc.constantFrom('{', '}', '"', ',', '|', '+', '\\', ':', '\n', '\u0000', 'x', '1', ' ', '[', 'é', '\ud800'),
      ),
      { maxLength: 6 },
    ),
  )
  .map(([seed, ops]) => {
    let s = seed;
    for (const [at, op, ch] of ops) {
      const i = s.length === 0 ? 0 : at % (s.length + 1);
      if (op === 'ins') s = s.slice(0, i) + ch + s.slice(i);
      else if (op === 'del') s = s.slice(0, i) + s.slice(i + 1);
      else s = s.slice(0, i) + ch + s.slice(i + 1);
    }
    return enc.encode(s);
  });

/** JSON objects with any value as command/parameter/token and extra keys. */
const structured = fc
  .record(
    {
      command: fc.oneof(
        fc.constantFrom('summary', 'pools+devs', 'switchpool', 'addpool', '+', '', 'restart', 'check', '__proto__'),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      parameter: fc.oneof(fc.string(), fc.integer(), fc.double(), fc.jsonValue({ maxDepth: 2 })),
      token: fc.oneof(fc.constant(API_TOKEN), fc.string(), fc.jsonValue({ maxDepth: 2 })),
      extra: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  )
  .map((o) => enc.encode(JSON.stringify(o)));

const randomBytes = fc.uint8Array({ maxLength: 200 });

function checkParse(bytes: Uint8Array): void {
  const n = requestLength(bytes);
  if (n !== undefined) assert.ok(Number.isInteger(n) && n >= 0 && n <= bytes.length);
  let req: CgminerRequest;
  try {
    req = parseRequest(bytes);
  } catch (err) {
    if (err instanceof CgminerRequestError) return;
    throw err;
  }
  assert.ok(req.commands.length >= 1);
  for (const c of req.commands) assert.ok(c.length > 0 && c === c.trim());
  if (req.joined) assert.equal(req.parameter, undefined);
  assert.equal(new Set(req.commands).size, req.commands.length);
}

test('fuzz: mutated requests parse or give a typed error (50 000)', () => {
  fc.assert(fc.property(mutated, checkParse), { numRuns: 50_000 });
});

test('fuzz: structured JSON requests (25 000)', () => {
  fc.assert(fc.property(structured, checkParse), { numRuns: 25_000 });
});

test('fuzz: random bytes (25 000)', () => {
  fc.assert(fc.property(randomBytes, checkParse), { numRuns: 25_000 });
});

test('fuzz: every request gets a well-formed reply without secrets (20 000)', async () => {
  const control = new RecordingControl();
  const d = new CgminerDispatcher({ snapshot: sampleSnapshot, control, access: new WriteAccess({ enabled: true, allow: ['127.0.0.1'], token: API_TOKEN }) });
  await fc.assert(
    fc.asyncProperty(fc.oneof(mutated, structured, randomBytes), async (bytes) => {
      const r = await d.handle(bytes, '127.0.0.1');
      assert.ok(!r.text.includes('\u0000'));
      // A joined reply is keyed by the command names as the client wrote them (api.c head_join), so a
      // client that writes a secret into the command gets its own text back; nothing else may echo one.
      const sent = new TextDecoder().decode(bytes);
      const joinedEcho = (secret: string): boolean =>
        sent.includes(secret) && (r.text.startsWith('{"') ? !r.text.startsWith('{"STATUS"') : r.text.startsWith('CMD='));
      // addpool echoes the URL the client wrote (api.c MSG_INVPDP / MSG_ADDPOOL, src/api/cgminer-codes.ts):
      // a secret the client typed into that URL is its own text (seen: seed 1395519556, a mutated addpool
      // whose URL swallowed the password field through an escaped comma). The password field never is.
      const urlEcho = (secret: string): boolean =>
        sent.includes(secret) && !r.text.replace(/(addpool details '|Added pool \d+: ')[^']*'/g, '').includes(secret);
      if (r.text.includes(POOL_PASSWORD)) assert.ok(joinedEcho(POOL_PASSWORD) || urlEcho(POOL_PASSWORD), 'no pool password');
      if (r.text.includes(API_TOKEN)) assert.ok(joinedEcho(API_TOKEN) || urlEcho(API_TOKEN), 'no token');
      if (r.json) {
        const v = JSON.parse(r.text) as Record<string, unknown>;
        assert.equal(v.id, 1);
        if (!('STATUS' in v)) {
          // joined: every key but id holds a one-reply array
          for (const [k, part] of Object.entries(v)) if (k !== 'id') assert.ok(Array.isArray(part) && part.length === 1, k);
        }
      } else assert.match(r.text, /^(STATUS=[SIWEF],When=\d+,Code=-?\d+,Msg=|CMD=|RESTART$)/);
    }),
    { numRuns: 20_000 },
  );
  assert.equal(d.counters.failures, 0);
});
