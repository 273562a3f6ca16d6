/**
 * Duplicate detection keys for nonce reports: a chip may report the same (nonce, rolled version) twice
 * (a repeated reply, a chain glitch) and the driver must report it once per job.
 */
/** Trailing zero bits of a version mask (0 for an empty mask): the shift of the rolled bits in seenKey. */
export function maskShift(mask: number): number {
  return mask === 0 ? 0 : 31 - Math.clz32(mask & -mask);
}

/**
 * A number naming (nonce, rolled version bits) exactly within one job: the rolled bits (a subset of the
 * job's mask) shifted down by the mask's trailing zeros, times 2^32, plus the nonce, when that stays
 * below 2^53 (any BIP320 mask: 16 bits); otherwise -1 and the caller uses a string key. Numbers rather
 * than strings: this runs for every nonce a chain returns.
 */
export function seenKey(nonce: number, rolledBits: number, shift: number): number {
  const hi = rolledBits >>> shift;
  return hi < 0x200000 ? hi * 4294967296 + nonce : -1;
}
