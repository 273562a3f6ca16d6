// Slow fuzz runs of the Job Declaration parsers: a million random inputs each for the outputs parser
// and the declared-coinbase parser (a JDS reading DeclareMiningJob), and coinbases built from random
// specs read back exactly. The normal suite runs 50 000 of each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TxParseError } from '../../src/work/transaction.js';
import { parseOutputList, parseOutputs } from '../../src/work/tx-outputs.js';
import { DeclaredCoinbaseError, parseDeclaredCoinbase } from '../../workshop/lab/declared-coinbase.js';
import { buildCoinbaseParts } from '../../src/upstream/jd/jd-coinbase.js';
import { toHex } from '../../src/work/bytes.js';

test('outputs parser: 1 000 000 random inputs, a result or a TxParseError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(8), (b, n) => {
      for (const f of [() => parseOutputList(b), () => parseOutputs(b, n)]) {
        try {
          f();
        } catch (err) {
          assert.ok(err instanceof TxParseError, String(err));
        }
      }
    }),
    { numRuns: 1_000_000 },
  );
});

test('declared coinbase parser: 1 000 000 random prefix/suffix pairs, a coinbase or a DeclaredCoinbaseError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), fc.uint8Array({ maxLength: 200 }), (p, s) => {
      try {
        parseDeclaredCoinbase(p, s);
      } catch (err) {
        assert.ok(err instanceof DeclaredCoinbaseError, String(err));
      }
    }),
    { numRuns: 1_000_000 },
  );
});

test('coinbases built from 200 000 random specs are read back exactly as declared', () => {
  const out = fc.record({ value: fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n / 8n }), scriptPubKey: fc.uint8Array({ maxLength: 80 }) });
  fc.assert(
    fc.property(
      fc.record({
        version: fc.nat(0xffffffff),
        scriptSigPrefix: fc.uint8Array({ minLength: 2, maxLength: 8 }),
        sequence: fc.nat(0xffffffff),
        outputs: fc.array(out, { minLength: 1, maxLength: 4 }),
        locktime: fc.nat(0xffffffff),
        witnessReservedValue: fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: null }),
      }),
      fc.integer({ min: 0, max: 32 }),
      (spec, en) => {
        const parts = buildCoinbaseParts(spec, en);
        const d = parseDeclaredCoinbase(parts.declarePrefix, parts.declareSuffix);
        assert.equal(d.fullExtranonceSize, en);
        assert.equal(toHex(d.scriptSigPrefix), toHex(spec.scriptSigPrefix));
        assert.equal(d.version, spec.version);
        assert.equal(d.sequence, spec.sequence);
        assert.equal(d.locktime, spec.locktime);
        assert.equal(d.segwit, spec.witnessReservedValue !== null);
        assert.deepEqual(
          d.outputs.map((o) => o.value),
          spec.outputs.map((o) => o.value),
        );
      },
    ),
    { numRuns: 200_000 },
  );
});
