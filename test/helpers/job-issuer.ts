/**
 * A JobIssuer for tests that build Jobs by hand (every Job names the upstream that issued it, and the
 * pool manager routes shares by it). It records what is submitted and answers `accepted` unless told.
 */
import type { JobIssuer, Share, ShareOutcome } from '../../src/upstream/job.js';

export interface TestIssuer extends JobIssuer {
  readonly submitted: Share[];
  answer: ShareOutcome;
}

export function testIssuer(id = 'test'): TestIssuer {
  const t: TestIssuer = {
    id,
    submitted: [],
    answer: { status: 'accepted' },
    submit: (s: Share): Promise<ShareOutcome> => {
      t.submitted.push(s);
      return Promise.resolve(t.answer);
    },
  };
  return t;
}
