/**
 * Fault injection for the simulated chain, by configuration. Every fault is reproducible from the
 * simulator's seed.
 *
 * CLI form (asic-agent sim --faults ...), comma-separated:
 *   corrupt=0.01        flip one bit in 1 % of response frames (the host sees a CRC error)
 *   drop=0.001          drop 0.1 % of response bytes
 *   silent=3            chip 3 never answers (no register replies, no nonces) but still relays
 *   die=5@10000         chip 5 stops at 10 s after start (no answers, no hashing)
 *   break=5@10000       as die, and it stops relaying: every chip after it is cut off too
 *   wrong=2@0.5         half of chip 2's nonces are wrong (hardware errors)
 *   dup=0.1             10 % of nonce replies are sent twice (BM1397 does this)
 *   delay=5             every reply leaves 5 ms late
 */
export interface ChipDeath {
  chip: number;
  atMs: number;
  /** Stops relaying too (a broken chain), not just answering. */
  breaksChain: boolean;
}

export interface FaultConfig {
  /** Fraction of response frames with one bit flipped. */
  corruptFraction?: number;
  /** Fraction of response bytes dropped. */
  dropByteFraction?: number;
  /** Chips (by index) that never answer. */
  silentChips?: number[];
  deaths?: ChipDeath[];
  /** chip index -> fraction of its nonces made wrong. */
  wrongNonces?: { chip: number; fraction: number }[];
  /** Fraction of nonce replies sent twice. */
  duplicateFraction?: number;
  /** Delay added to every reply, ms. */
  replyDelayMs?: number;
  /**
   * Every chip answers a read of the ticket mask (0x14) with this value, whatever was written: nobody
   * knows what silicon returns there (no working firmware reads it back).
   */
  ticketMaskReadsAs?: number;
}

export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
}

function num(v: string, what: string): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x < 0) throw new FaultSpecError(`${what}: '${v}' is not a non-negative number`);
  return x;
}

function fraction(v: string, what: string): number {
  const x = num(v, what);
  if (x > 1) throw new FaultSpecError(`${what}: ${x} is not a fraction in 0..1`);
  return x;
}

function chipIndex(v: string, what: string): number {
  const x = num(v, what);
  if (!Number.isInteger(x)) throw new FaultSpecError(`${what}: chip index must be an integer`);
  return x;
}

/** Parses the CLI form above. Throws FaultSpecError naming the bad item. */
export function parseFaults(spec: string): FaultConfig {
  const f: FaultConfig = {};
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    const eq = item.indexOf('=');
    if (eq < 0) throw new FaultSpecError(`fault '${item}' needs name=value`);
    const name = item.slice(0, eq);
    const value = item.slice(eq + 1);
    const at = (): [string, string] => {
      const k = value.indexOf('@');
      if (k < 0) throw new FaultSpecError(`${name} needs chip@value`);
      return [value.slice(0, k), value.slice(k + 1)];
    };
    switch (name) {
      case 'corrupt':
        f.corruptFraction = fraction(value, name);
        break;
      case 'drop':
        f.dropByteFraction = fraction(value, name);
        break;
      case 'silent':
        (f.silentChips ??= []).push(chipIndex(value, name));
        break;
      case 'die':
      case 'break': {
        const [c, t] = at();
        (f.deaths ??= []).push({ chip: chipIndex(c, name), atMs: num(t, name), breaksChain: name === 'break' });
        break;
      }
      case 'wrong': {
        const [c, p] = at();
        (f.wrongNonces ??= []).push({ chip: chipIndex(c, name), fraction: fraction(p, name) });
        break;
      }
      case 'dup':
        f.duplicateFraction = fraction(value, name);
        break;
      case 'delay':
        f.replyDelayMs = num(value, name);
        break;
      default:
        throw new FaultSpecError(`unknown fault '${name}' (corrupt, drop, silent, die, break, wrong, dup, delay)`);
    }
  }
  return f;
}
