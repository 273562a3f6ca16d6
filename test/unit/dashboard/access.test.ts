// The dashboard's access pieces: scrypt password hashes, the login limiter, sessions and CSRF tokens.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../src/clock.js';
import { hashPassword, parseHash, PasswordHashError, verifyPassword } from '../../../src/dashboard/password.js';
import { LoginLimiter } from '../../../src/dashboard/login-limiter.js';
import { cookieValue, sameSecret, SessionStore } from '../../../src/dashboard/sessions.js';
import { HASHED_PASSWORD } from '../../../src/config/dashboard-section.js';

test('password hashes: scrypt with a random salt, verified in constant time, parameters kept in the hash', async () => {
  const h = await hashPassword('correct horse battery');
  assert.match(h, HASHED_PASSWORD, 'the config schema accepts what the command writes');
  assert.match(h, /^scrypt\$16384\$8\$1\$/);
  assert.notEqual(await hashPassword('correct horse battery'), h, 'a fresh salt every time');
  assert.equal(await verifyPassword('correct horse battery', h), true);
  assert.equal(await verifyPassword('correct horse batterY', h), false);
  assert.equal(await verifyPassword('', h), false);
  const light = await hashPassword('another password', { n: 1024 });
  assert.equal(await verifyPassword('another password', light), true);
  await assert.rejects(hashPassword('short'), PasswordHashError);
  assert.throws(() => parseHash('scrypt$1000$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA=='), PasswordHashError, 'N must be a power of two');
  assert.throws(() => parseHash('scrypt$1048576$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA=='), PasswordHashError, 'a hash may not ask for 1 GiB');
  assert.throws(() => parseHash('plain'), PasswordHashError);
});

test('login limiter: a burst per client, a burst for everyone, one attempt back per interval, success resets the client', () => {
  const clock = new ManualClock();
  const l = new LoginLimiter({ clock, perClient: 3, global: 5, refillMs: 10_000 });
  for (let i = 0; i < 3; i++) assert.equal(l.take('a').ok, true);
  const out = l.take('a');
  assert.equal(out.ok, false);
  assert.ok(!out.ok && out.retryAfterS === 10);
  assert.equal(l.take('b').ok, true);
  assert.equal(l.take('b').ok, true);
  assert.equal(l.take('c').ok, false, 'everyone together is out of attempts');
  clock.advance(10_000);
  assert.equal(l.take('a').ok, true, 'one attempt came back');
  assert.equal(l.take('a').ok, false);
  l.succeeded('a');
  clock.advance(50_000);
  for (let i = 0; i < 3; i++) assert.equal(l.take('a').ok, true);
});

test('sessions: random ids, idle expiry, a bounded number; cookies parsed; secrets compared without leaking', () => {
  const clock = new ManualClock();
  const s = new SessionStore(clock, 60_000, 3);
  const a = s.create('::1');
  assert.match(a.id, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a.csrf, a.id);
  assert.equal(s.get(a.id), a);
  clock.advance(59_000);
  assert.equal(s.get(a.id), a, 'use keeps it alive');
  clock.advance(59_000);
  assert.equal(s.get(a.id), a);
  clock.advance(61_000);
  assert.equal(s.get(a.id), undefined, 'idle too long');
  const ids = [s.create('x'), s.create('x'), s.create('x'), s.create('x')].map((x) => x.id);
  assert.equal(s.size, 3);
  assert.equal(s.get(ids[0]), undefined, 'the oldest went first');
  assert.equal(s.get(undefined), undefined);
  assert.equal(cookieValue('a=1; asic_session=abc; b=2', 'asic_session'), 'abc');
  assert.equal(cookieValue('asic_sessionx=abc', 'asic_session'), undefined);
  assert.equal(sameSecret('abc', 'abc'), true);
  assert.equal(sameSecret('abc', 'abcd'), false);
});
