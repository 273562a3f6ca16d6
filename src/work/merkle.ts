/**
 * Bitcoin merkle trees over txids in internal byte order: node = SHA-256d(left | right), an odd last
 * node is paired with itself. A "branch" (Stratum V1 merkle_branch, SV2 merkle_path) lists the
 * siblings from the leaf level up, so a root is rebuilt by folding them onto the leaf.
 */
import { concatBytes } from './bytes.js';
import { sha256d } from './sha256d.js';

/** Root from a leaf at `index` (0 = the coinbase) and its branch, deepest sibling first. */
export function merkleRootFromBranch(leaf: Uint8Array, branch: readonly Uint8Array[], index = 0): Uint8Array {
  let node = leaf;
  let i = index;
  const buf = new Uint8Array(64);
  for (const sibling of branch) {
    if (sibling.length !== 32) throw new RangeError(`merkle branch entry must be 32 bytes, got ${sibling.length}`);
    if (i & 1) {
      buf.set(sibling, 0);
      buf.set(node, 32);
    } else {
      buf.set(node, 0);
      buf.set(sibling, 32);
    }
    node = sha256d(buf);
    i >>>= 1;
  }
  return node;
}

/** Merkle root of a full txid list. */
export function merkleRoot(txids: readonly Uint8Array[]): Uint8Array {
  if (txids.length === 0) throw new RangeError('merkle root of an empty list');
  let level = txids.slice();
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const l = level[i] as Uint8Array;
      const r = (level[i + 1] ?? l) as Uint8Array;
      next.push(sha256d(concatBytes(l, r)));
    }
    level = next;
  }
  return level[0] as Uint8Array;
}

/** Branch (siblings, deepest first) for the txid at `index`; index 0 is what a pool sends miners. */
export function merkleBranch(txids: readonly Uint8Array[], index = 0): Uint8Array[] {
  if (index < 0 || index >= txids.length) throw new RangeError(`index ${index} outside ${txids.length} txids`);
  const branch: Uint8Array[] = [];
  let level = txids.slice();
  let i = index;
  while (level.length > 1) {
    const sib = i ^ 1;
    branch.push((level[sib] ?? level[i]) as Uint8Array);
    const next: Uint8Array[] = [];
    for (let k = 0; k < level.length; k += 2) {
      const l = level[k] as Uint8Array;
      next.push(sha256d(concatBytes(l, (level[k + 1] ?? l) as Uint8Array)));
    }
    level = next;
    i >>>= 1;
  }
  return branch;
}
