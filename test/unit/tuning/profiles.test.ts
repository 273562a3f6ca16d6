// Tuning profiles on disk (src/tuning/profile-store.ts) and which one a board uses (profile.ts).
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { profileFor, type BoardIdentity, type TuningProfile } from '../../../src/tuning/profile.js';
import { defaultProfileDir, ProfileStore } from '../../../src/tuning/profile-store.js';

const id: BoardIdentity = {
  board: 'sim-bm1366',
  family: 'bm1366',
  chains: [
    { chips: 4, missing: [] },
    { chips: 4, missing: [2] },
  ],
};

function profile(over: Partial<TuningProfile> = {}): TuningProfile {
  return {
    identity: id,
    mode: 'power',
    target: 60,
    volts: 1.085,
    mhz: [
      [400, 410, 405, 399],
      [402, 401, 200, 398],
    ],
    watts: 59.8,
    hashrateHs: 3e5,
    tempC: 60,
    savedAt: 1_700_000_000,
    ...over,
  };
}

test('a saved profile comes back; one per target, the newest kept', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'prof-')), 'profiles');
  try {
    const s = new ProfileStore(dir);
    assert.deepEqual(s.load('sim-bm1366'), { profiles: [] });
    assert.equal(s.save(profile()), undefined);
    assert.equal(s.save(profile({ target: 50, volts: 1.07, savedAt: 1_700_000_100 })), undefined);
    assert.equal(s.save(profile({ volts: 1.09, savedAt: 1_700_000_200 })), undefined);
    const { profiles } = s.load('sim-bm1366');
    assert.equal(profiles.length, 2);
    assert.equal(profileFor(profiles, id, { mode: 'power', watts: 60 })?.volts, 1.09);
    assert.equal(profileFor(profiles, id, { mode: 'power', watts: 50 })?.volts, 1.07);
    assert.equal(profileFor(profiles, id, { mode: 'power', watts: 55 }), undefined, 'another target: none');
    assert.equal(profileFor(profiles, id, { mode: 'efficiency' }), undefined, 'another mode: none');
    // Another board by what its chains report: a chip that now answers changes the board.
    const other: BoardIdentity = {
      ...id,
      chains: [
        { chips: 4, missing: [] },
        { chips: 4, missing: [] },
      ],
    };
    assert.equal(profileFor(profiles, other, { mode: 'power', watts: 60 }), undefined);
    assert.match(readFileSync(s.fileOf('sim-bm1366'), 'utf8'), /"version": 1/);
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});

test('a damaged file or a folder it cannot write costs the profiles, with a reason, never an exception', () => {
  const root = mkdtempSync(join(tmpdir(), 'prof-'));
  try {
    const s = new ProfileStore(root);
    writeFileSync(s.fileOf('sim-bm1366'), '{ not json');
    const got = s.load('sim-bm1366');
    assert.deepEqual(got.profiles, []);
    assert.match(got.error ?? '', /not valid JSON/);
    writeFileSync(s.fileOf('sim-bm1366'), JSON.stringify({ profiles: [{ mode: 'power' }, profile()] }));
    assert.equal(s.load('sim-bm1366').profiles.length, 1, 'entries without the shape of a profile are skipped');
    if (process.getuid?.() !== 0) {
      const ro = join(root, 'ro');
      mkdirSync(ro);
      chmodSync(ro, 0o500);
      const err = new ProfileStore(join(ro, 'profiles')).save(profile());
      assert.match(err ?? '', /cannot save the tuning profile/);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('profiles live in the service state folder by default', () => {
  assert.equal(defaultProfileDir({ STATE_DIRECTORY: '/var/lib/asic-agent' }), '/var/lib/asic-agent/profiles');
  assert.equal(defaultProfileDir({}), '/var/lib/asic-agent/profiles');
  assert.equal(defaultProfileDir({ STATE_DIRECTORY: '/srv/state:/other' }), '/srv/state/profiles');
});
