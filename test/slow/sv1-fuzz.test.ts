// The big Stratum V1 parser fuzz run (npm run test:slow): 1 000 000 cases, same property as the unit fuzz.
import { test } from 'node:test';
import fc from 'fast-check';
import { byteMutated, interpretLine, randomLines, seedLines, structurallyMutated } from '../helpers/sv1-fuzz.js';

const seeds = seedLines();

test('slow fuzz: 500 000 structurally mutated lines', () => {
  fc.assert(
    fc.property(structurallyMutated(seeds), (l) => interpretLine(l)),
    { numRuns: 500_000 },
  );
});

test('slow fuzz: 250 000 byte-mutated lines', () => {
  fc.assert(
    fc.property(byteMutated(seeds), (l) => interpretLine(l)),
    { numRuns: 250_000 },
  );
});

test('slow fuzz: 250 000 random lines', () => {
  fc.assert(
    fc.property(randomLines(), (l) => interpretLine(l)),
    { numRuns: 250_000 },
  );
});
