// Fuzz of the Stratum V1 line parsers (24 000 cases here to keep the suite fast; test/slow/sv1-fuzz runs 1 000 000):
// whatever a line holds, parsing it either gives a checked message or throws Sv1ProtocolError — never
// another exception, never a job whose coinbase does not parse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeSv1Line } from '../../../../src/upstream/sv1/json-rpc.js';
import { byteMutated, interpretLine, randomLines, seedLines, structurallyMutated } from '../../../helpers/sv1-fuzz.js';

const seeds = seedLines();

test('fuzz: structurally mutated Stratum lines give a message or a typed error (12 000)', () => {
  fc.assert(
    fc.property(structurallyMutated(seeds), (l) => interpretLine(l)),
    { numRuns: 12_000 },
  );
});

test('fuzz: byte-mutated Stratum lines (6 000)', () => {
  fc.assert(
    fc.property(byteMutated(seeds), (l) => interpretLine(l)),
    { numRuns: 6_000 },
  );
});

test('fuzz: random lines (6 000)', () => {
  fc.assert(
    fc.property(randomLines(), (l) => interpretLine(l)),
    { numRuns: 6_000 },
  );
});

test('methods named like Object properties are unknown methods, never a lookup on the prototype', () => {
  for (const method of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
    for (const id of ['null', '1']) interpretLine(`{"id":${id},"method":"${method}","params":["1f",true]}`);
  }
});

test('fuzz: the seeds themselves all decode', () => {
  for (const s of seeds) assert.doesNotThrow(() => decodeSv1Line(s), s);
});
