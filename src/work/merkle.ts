/**
 * Bitcoin merkle trees over txids in internal byte order: node = SHA-256d(left | right), an odd last
 * node is paired with itself. A "branch" (Stratum V1 merkle_branch, SV2 merkle_path) lists the
 * siblings from the leaf level up, so a root is rebuilt by folding them onto the leaf.
 */
import { readU32BE, writeU32BE } from './bytes.js';
import { hashNonceSecond, NODE_IN, NONCE_CTX_WORDS, nodeFirstBlock, nodePadBlock } from './generated/sha256-nonce.generated.js';

/**
 * SHA-256d of two 32-byte nodes, on the generated code (the padding block of a 64-byte message is
 * constant, so its schedule is folded away): about five times faster than a general-purpose SHA-256d,
 * which matters because every work unit rebuilds a merkle root. Checked against @noble/hashes in tests.
 */
const nodeCtx = new Int32Array(NONCE_CTX_WORDS);
const nodeOut = new Uint32Array(8);

function hashNodeWords(left: Uint32Array, right: Uint32Array, out: Uint32Array): void {
  for (let i = 0; i < 8; i++) {
    nodeCtx[NODE_IN + i] = left[i] as number;
    nodeCtx[NODE_IN + 8 + i] = right[i] as number;
  }
  nodeFirstBlock(nodeCtx);
  nodePadBlock(nodeCtx);
  hashNonceSecond(nodeCtx, out);
}

const wordsOf = (b: Uint8Array, out: Uint32Array): Uint32Array => {
  for (let i = 0; i < 8; i++) out[i] = readU32BE(b, i * 4);
  return out;
};

/** SHA-256d(left | right) for two 32-byte hashes in internal order. */
export function merkleNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  hashNodeWords(wordsOf(left, new Uint32Array(8)), wordsOf(right, new Uint32Array(8)), nodeOut);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) writeU32BE(out, i * 4, nodeOut[i] as number);
  return out;
}

/** Root from a leaf at `index` (0 = the coinbase) and its branch, deepest sibling first. */
export function merkleRootFromBranch(leaf: Uint8Array, branch: readonly Uint8Array[], index = 0): Uint8Array {
  if (leaf.length !== 32) throw new RangeError(`merkle leaf must be 32 bytes, got ${leaf.length}`);
  const node = wordsOf(leaf, new Uint32Array(8));
  const sib = new Uint32Array(8);
  let i = index;
  for (const sibling of branch) {
    if (sibling.length !== 32) throw new RangeError(`merkle branch entry must be 32 bytes, got ${sibling.length}`);
    wordsOf(sibling, sib);
    if (i & 1) hashNodeWords(sib, node, node);
    else hashNodeWords(node, sib, node);
    i >>>= 1;
  }
  const out = new Uint8Array(32);
  for (let k = 0; k < 8; k++) writeU32BE(out, k * 4, node[k] as number);
  return out;
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
      next.push(merkleNode(l, r));
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
      next.push(merkleNode(l, (level[k + 1] ?? l) as Uint8Array));
    }
    level = next;
    i >>>= 1;
  }
  return branch;
}
