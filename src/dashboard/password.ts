/**
 * The settings password, stored only as a scrypt hash (node:crypto; RFC 7914) in the config:
 * `scrypt$N$r$p$salt$hash` with a 16-byte random salt and a 32-byte key, base64. N = 2^14, r = 8
 * (16 MiB, tens of ms on a Raspberry Pi 4) keeps a login cheap for the board while making every guess
 * cost that much; the login limiter caps the guesses. The parameters travel with the hash, so they can
 * be raised later without breaking stored hashes.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export const SCRYPT_N = 16_384;
export const SCRYPT_R = 8;
export const SCRYPT_P = 1;
const KEY_BYTES = 32;
/** Upper bound on what a stored hash may ask for (N × r × 128 bytes). */
const MAX_MEMORY = 64 * 1024 * 1024;

export class PasswordHashError extends Error {
  override readonly name = 'PasswordHashError';
}

function derive(password: string, salt: Buffer, n: number, r: number, p: number, len: number): Promise<Buffer> {
  const opts: ScryptOptions = { N: n, r, p, maxmem: MAX_MEMORY + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, len, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string, opts: { n?: number; r?: number; p?: number } = {}): Promise<string> {
  if (password.length < 8) throw new PasswordHashError('the password must have at least 8 characters');
  const n = opts.n ?? SCRYPT_N;
  const r = opts.r ?? SCRYPT_R;
  const p = opts.p ?? SCRYPT_P;
  const salt = randomBytes(16);
  const key = await derive(password, salt, n, r, p, KEY_BYTES);
  return `scrypt$${n}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface Parsed {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

export function parseHash(hash: string): Parsed {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$/.exec(hash);
  if (!m) throw new PasswordHashError('not a scrypt$N$r$p$salt$hash string');
  const [n, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (n < 2 || (n & (n - 1)) !== 0 || r < 1 || p < 1 || 128 * n * r * p > MAX_MEMORY) throw new PasswordHashError('scrypt parameters out of range');
  const salt = Buffer.from(m[4] as string, 'base64');
  const key = Buffer.from(m[5] as string, 'base64');
  if (salt.length < 8 || key.length < 16) throw new PasswordHashError('salt or key too short');
  return { n, r, p, salt, key };
}

/** True when `password` matches `hash`; compared in constant time. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const h = parseHash(hash);
  if (password.length > 1024) return false;
  const key = await derive(password, h.salt, h.n, h.r, h.p, h.key.length);
  return timingSafeEqual(key, h.key);
}
