import { test } from 'node:test';
import fc from 'fast-check';
import { checkKeyLines, doc } from '../helpers/toml-docs.js';

test('slow property: key lines for 50 000 random documents written by smol-toml', () => {
  fc.assert(fc.property(doc, checkKeyLines), { numRuns: 50_000 });
});
