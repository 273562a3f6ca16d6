/**
 * The lab Job Declarator Server's brain, independent of sockets (spec 06-Job-Declaration-Protocol),
 * and the authority its paired lab pool asks about custom jobs (spec 5.3.18).
 *
 * - Tokens: AllocateMiningJobToken gives 8 random bytes and the pool's coinbase outputs (the pool
 *   payout output first, value 0, spec 6.4.3). A token allocated on a full-template connection
 *   (DECLARE_TX_DATA) must be declared; one allocated on a coinbase-only connection goes straight to
 *   SetCustomMiningJob. Every token is single-use.
 * - DeclareMiningJob: the coinbase must parse and pay the pool payout output; transactions the
 *   mempool lacks are asked for with ProvideMissingTransactions and checked against their wtxids; the
 *   witness commitment must match. Success returns a new token bound to the declared job.
 * - Custom jobs: the pool checks token, version, nbits, min_ntime, scriptSig size and outputs; for a
 *   declared job also that outputs, coinbase_prefix and merkle path are the declared ones.
 * - Censorship (`censorTxids`): a declared job containing one of them gets DeclareMiningJob.Error; in
 *   coinbase-only mode the pool still recognises templates built from transactions it knows by their
 *   merkle path (the branch of the coinbase is a fingerprint of the transaction list) and refuses the
 *   custom job. That is the lab's stand-in for a pool that does not like a transaction.
 * - Chain tip (with a `node`, lab-node.ts, that can lag the miner's node): a declaration whose coinbase
 *   commits to another height than the node builds (BIP34), and a custom job on another prev hash, are
 *   refused with `stale-chain-tip`, as SRI's JDS and pool do when their node is not on the miner's tip.
 * What a real JDS also does and this one cannot: check transactions against a UTXO set and fees.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../src/clock.js';
import type { Logger } from '../../src/log.js';
import { equalBytes, toHex } from '../../src/work/bytes.js';
import { merkleBranch } from '../../src/work/merkle.js';
import { nbitsToTarget } from '../../src/work/target.js';
import { parseTxLayout, txid, wtxid } from '../../src/work/transaction.js';
import { parseOutputList, serializeOutputList, type TxOutput } from '../../src/work/tx-outputs.js';
import { commitmentOf, findWitnessCommitment, witnessCommitment, witnessMerkleRoot } from '../../src/work/witness-commitment.js';
import type { Sv2MessageOf } from '../../src/upstream/sv2/messages/registry.js';
import { parseDeclaredCoinbase, type DeclaredCoinbase } from './declared-coinbase.js';
import { bip34Height } from './block-data.js';
import type { ChainTip } from './lab-node.js';
import type { TemplateBlock } from './template-data.js';
import { MAX_FUTURE_NTIME_SECONDS } from './sv2-share-validation.js';

export interface JdsCoreOptions {
  clock: Clock;
  log: Logger;
  /** The pool payout output's script (value 0 in the token). */
  payoutScript: Uint8Array;
  /** More 0-value outputs the pool imposes (spec 6.4.3 example A). */
  extraOutputs?: Uint8Array[];
  /** Transactions the pool's node knows (their wtxids make up the mempool). */
  blocks: TemplateBlock[];
  /** Fraction of those in the mempool at start (default 0.5): the rest are asked for. */
  mempoolKnown?: number;
  /** Transactions (txid, internal byte order) the pool refuses. */
  censorTxids?: Uint8Array[];
  /** Unused tokens expire after this (default 10 min). */
  tokenLifetimeMs?: number;
  /** The pool's own node (its chain tip): without one, no tip is checked. */
  node?: { tip(): ChainTip | undefined };
  /** Lab misbehaviour: refuse the first `count` declarations with `code` (a JDS with transient trouble). */
  refuseFirst?: { code: string; count: number };
}

interface DeclaredJob {
  version: number;
  coinbase: DeclaredCoinbase;
  outputList: Uint8Array;
  txids: Uint8Array[];
  merklePath: Uint8Array[];
  at: number;
}

interface Token {
  connectionId: number;
  fullTemplate: boolean;
  at: number;
  /** Set once declared (the token SetCustomMiningJob must use). */
  declared?: DeclaredJob;
}

interface PendingDeclaration {
  msg: Sv2MessageOf<'DeclareMiningJob'>;
  positions: number[];
  at: number;
}

export type DeclareOutcome =
  | { kind: 'success'; newToken: Uint8Array }
  | { kind: 'error'; code: string; details: string }
  | { kind: 'missing'; positions: number[] };

export type CustomJobVerdict = { ok: true; declared: boolean } | { ok: false; code: string; detail: string };

export interface JdsCounters {
  tokens: number;
  declared: number;
  declareRefused: Record<string, number>;
  missingRequested: number;
  customJobsAccepted: number;
  customJobsRefused: Record<string, number>;
  censored: number;
  solutionsPushed: number;
}

const MAX_PENDING = 64;
const MAX_TOKENS = 4096;

export class JobDeclaratorCore {
  readonly counters: JdsCounters = {
    tokens: 0,
    declared: 0,
    declareRefused: {},
    missingRequested: 0,
    customJobsAccepted: 0,
    customJobsRefused: {},
    censored: 0,
    solutionsPushed: 0,
  };
  private readonly mempool = new Map<string, Uint8Array>();
  private readonly tokens = new Map<string, Token>();
  private readonly pending = new Map<string, PendingDeclaration>();
  private censor: Set<string>;
  private refusedFirst = 0;
  /** merkle path (hex, concatenated) -> txids of the template it belongs to (coinbase-only censorship). */
  private readonly fingerprints = new Map<string, Uint8Array[]>();
  private readonly poolOutputs: TxOutput[];
  private lastDeclared: DeclaredJob | undefined;

  constructor(private readonly o: JdsCoreOptions) {
    this.poolOutputs = [{ value: 0n, scriptPubKey: o.payoutScript }, ...(o.extraOutputs ?? []).map((s) => ({ value: 0n, scriptPubKey: s }))];
    const f = Math.max(0, Math.min(1, o.mempoolKnown ?? 0.5));
    for (const b of o.blocks) {
      b.transactions.forEach((tx, i) => {
        // Spread the known ones evenly over the block: floor((i+1)f) > floor(if) holds for f of the indexes.
        if (Math.floor((i + 1) * f) > Math.floor(i * f)) this.mempool.set(toHex(b.wtxids[i] as Uint8Array), tx);
      });
    }
    this.censor = new Set((o.censorTxids ?? []).map(toHex));
    if (this.censor.size > 0) {
      for (const b of o.blocks) {
        for (let n = 0; n <= b.txids.length; n++) {
          const ids = b.txids.slice(0, n);
          this.fingerprints.set(merklePathKey(merkleBranch([new Uint8Array(32), ...ids], 0)), ids);
        }
      }
    }
  }

  get mempoolSize(): number {
    return this.mempool.size;
  }

  /** The pool's coinbase outputs as a token carries them. */
  get coinbaseOutputs(): Uint8Array {
    return serializeOutputList(this.poolOutputs);
  }

  /** AllocateMiningJobToken. */
  allocate(connectionId: number, fullTemplate: boolean): { token: Uint8Array; coinbaseOutputs: Uint8Array } {
    this.expire();
    const token = new Uint8Array(randomBytes(8));
    this.tokens.set(toHex(token), { connectionId, fullTemplate, at: this.o.clock.now() });
    this.counters.tokens++;
    return { token, coinbaseOutputs: this.coinbaseOutputs };
  }

  /** The lab stops refusing the transactions it was censoring (a pool that changed its mind). */
  stopCensoring(): void {
    this.censor = new Set();
  }

  /** DeclareMiningJob (full-template mode). */
  declare(connectionId: number, m: Sv2MessageOf<'DeclareMiningJob'>): DeclareOutcome {
    const key = toHex(m.miningJobToken);
    const tok = this.tokens.get(key);
    if (!tok || tok.connectionId !== connectionId || tok.declared || !tok.fullTemplate)
      return this.refuse('invalid-mining-job-token', 'token unknown, used, or not allocated for full-template declarations on this connection');
    const rf = this.o.refuseFirst;
    if (rf && this.refusedFirst < rf.count) {
      this.refusedFirst++;
      this.tokens.delete(key);
      return this.refuse(rf.code, `lab: refusing the first ${rf.count} declarations`);
    }
    const positions: number[] = [];
    m.wtxidList.forEach((w, i) => {
      if (!this.mempool.has(toHex(w))) positions.push(i);
    });
    if (positions.length > 0) {
      if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string);
      this.pending.set(`${connectionId}:${m.requestId}`, { msg: m, positions, at: this.o.clock.now() });
      this.counters.missingRequested += positions.length;
      return { kind: 'missing', positions };
    }
    return this.validate(key, tok, m);
  }

  /** ProvideMissingTransactions.Success. */
  provideMissing(connectionId: number, m: Sv2MessageOf<'ProvideMissingTransactionsSuccess'>): DeclareOutcome | undefined {
    const p = this.pending.get(`${connectionId}:${m.requestId}`);
    if (!p) return undefined;
    this.pending.delete(`${connectionId}:${m.requestId}`);
    if (m.transactionList.length !== p.positions.length)
      return this.refuse('invalid-job', `asked for ${p.positions.length} transactions, got ${m.transactionList.length}`);
    for (const [k, tx] of m.transactionList.entries()) {
      const pos = p.positions[k] as number;
      try {
        parseTxLayout(tx);
      } catch {
        return this.refuse('invalid-job', `transaction at position ${pos} does not parse`);
      }
      if (!equalBytes(wtxid(tx), p.msg.wtxidList[pos] as Uint8Array))
        return this.refuse('invalid-job', `transaction at position ${pos} does not match its declared wtxid`);
      this.mempool.set(toHex(p.msg.wtxidList[pos] as Uint8Array), tx);
    }
    const key = toHex(p.msg.miningJobToken);
    const tok = this.tokens.get(key);
    if (!tok || tok.connectionId !== connectionId || tok.declared) return this.refuse('invalid-mining-job-token', 'token no longer valid');
    return this.validate(key, tok, p.msg);
  }

  private refuse(code: string, details: string): DeclareOutcome {
    this.counters.declareRefused[code] = (this.counters.declareRefused[code] ?? 0) + 1;
    return { kind: 'error', code, details };
  }

  private validate(key: string, tok: Token, m: Sv2MessageOf<'DeclareMiningJob'>): DeclareOutcome {
    // A refused declaration uses up its token (as SRI's JDS deallocates it).
    const fail = (code: string, details: string): DeclareOutcome => {
      this.tokens.delete(key);
      return this.refuse(code, details);
    };
    let cb: DeclaredCoinbase;
    try {
      cb = parseDeclaredCoinbase(m.coinbaseTxPrefix, m.coinbaseTxSuffix);
    } catch (err) {
      return fail('invalid-coinbase-tx', err instanceof Error ? err.message : String(err));
    }
    const payout = this.checkPayout(cb.outputs);
    if (payout) return fail('invalid-coinbase-tx', payout);
    // The node validates the block on its own tip: a coinbase for another height is stale (SRI's JDS:
    // Bitcoin Core's bad-cb-height becomes `stale-chain-tip`).
    const tip = this.o.node?.tip();
    const height = bip34Height(cb.scriptSigPrefix);
    if (tip && height !== tip.height)
      return fail('stale-chain-tip', `the coinbase commits to height ${height ?? '?'}, this pool's node builds height ${tip.height}`);
    const txs = m.wtxidList.map((w) => this.mempool.get(toHex(w)) as Uint8Array);
    const txids = txs.map((t) => txid(t));
    for (const id of txids) {
      if (this.censor.has(toHex(id))) {
        this.counters.censored++;
        this.o.log.warn({ txid: toHex(id.slice().reverse()) }, 'declared job refused: it contains a censored transaction (lab --censor-txid)');
        return fail('invalid-job', `transaction ${toHex(id.slice().reverse())} is not acceptable to this pool`);
      }
    }
    const ci = findWitnessCommitment(cb.outputs);
    const anyWitness = txids.some((id, i) => !equalBytes(m.wtxidList[i] as Uint8Array, id));
    if (ci >= 0) {
      const reserved = cb.witness.length === 1 && cb.witness[0]?.length === 32 ? cb.witness[0] : null;
      if (!reserved) return fail('invalid-coinbase-tx', 'the coinbase witness must be one 32-byte reserved value');
      const expected = witnessCommitment(witnessMerkleRoot(m.wtxidList), reserved);
      if (!equalBytes(commitmentOf((cb.outputs[ci] as TxOutput).scriptPubKey), expected))
        return fail('invalid-coinbase-tx', 'the witness commitment does not match the declared transactions');
    } else if (anyWitness) {
      return fail('invalid-coinbase-tx', 'transactions with witnesses but no witness commitment');
    }
    const job: DeclaredJob = {
      version: m.version,
      coinbase: cb,
      outputList: serializeOutputList(cb.outputs),
      txids,
      merklePath: merkleBranch([new Uint8Array(32), ...txids], 0),
      at: this.o.clock.now(),
    };
    this.tokens.delete(key);
    const newToken = new Uint8Array(randomBytes(8));
    this.tokens.set(toHex(newToken), { connectionId: tok.connectionId, fullTemplate: true, at: this.o.clock.now(), declared: job });
    this.counters.declared++;
    this.lastDeclared = job;
    return { kind: 'success', newToken };
  }

  /** Null when the outputs pay the pool (payout output with value, every pool output present). */
  private checkPayout(outputs: readonly TxOutput[]): string | null {
    const [payout, ...extra] = this.poolOutputs as [TxOutput, ...TxOutput[]];
    const paid = outputs.find((o) => equalBytes(o.scriptPubKey, payout.scriptPubKey));
    if (!paid) return 'the pool payout output is missing';
    if (paid.value === 0n) return 'the pool payout output carries no value';
    for (const e of extra) if (!outputs.some((o) => equalBytes(o.scriptPubKey, e.scriptPubKey))) return 'an output the pool requires is missing';
    return null;
  }

  /** PushSolution: the lab only records it (it has no node to propagate to). */
  pushSolution(m: Sv2MessageOf<'PushSolution'>): void {
    this.counters.solutionsPushed++;
    this.o.log.warn(
      { nonce: m.nonce, ntime: m.ntime, declared: this.lastDeclared !== undefined },
      'PushSolution received (the lab JDS has no node to propagate it to)',
    );
  }

  /** The pool asks: may this channel mine this custom job? (spec 5.3.18) */
  checkCustomJob(m: Sv2MessageOf<'SetCustomMiningJob'>, ch: { extranoncePrefix: Uint8Array; extranonceSize: number }, nowSeconds: number): CustomJobVerdict {
    const v = this.customJobVerdict(m, ch, nowSeconds);
    if (v.ok) {
      this.tokens.delete(toHex(m.miningJobToken));
      this.counters.customJobsAccepted++;
    } else this.counters.customJobsRefused[v.code] = (this.counters.customJobsRefused[v.code] ?? 0) + 1;
    return v;
  }

  private customJobVerdict(
    m: Sv2MessageOf<'SetCustomMiningJob'>,
    ch: { extranoncePrefix: Uint8Array; extranonceSize: number },
    nowSeconds: number,
  ): CustomJobVerdict {
    const bad = (code: string, detail: string): CustomJobVerdict => ({ ok: false, code, detail });
    const tok = this.tokens.get(toHex(m.miningJobToken));
    if (!tok) return bad('invalid-mining-job-token', 'token unknown or already used');
    if (tok.fullTemplate && !tok.declared) return bad('job-not-yet-validated', 'this token must be declared to the JDS first');
    const tip = this.o.node?.tip();
    if (tip && !equalBytes(m.prevHash, tip.prevHash)) return bad('stale-chain-tip', `prev_hash ${toHex(m.prevHash.slice().reverse())} is not this pool's tip`);
    // BIP9 top bits, or a plain version >= 4 (BIP65): anything else is not a valid block today.
    if (!((m.version & 0xe0000000) === 0x20000000 || m.version >>> 0 >= 4)) return bad('invalid-version', `version 0x${(m.version >>> 0).toString(16)}`);
    try {
      if (nbitsToTarget(m.nbits) === 0n) return bad('invalid-nbits', 'nbits encodes a zero target');
    } catch {
      return bad('invalid-nbits', `nbits 0x${m.nbits.toString(16)} is not a valid target`);
    }
    if (m.minNtime > nowSeconds + MAX_FUTURE_NTIME_SECONDS) return bad('invalid-min-ntime', `min_ntime ${m.minNtime} is more than 2 hours ahead`);
    const scriptLen = m.coinbasePrefix.length + ch.extranoncePrefix.length + ch.extranonceSize;
    if (scriptLen < 2 || scriptLen > 100) return bad('invalid-coinbase-prefix', `the coinbase scriptSig would be ${scriptLen} bytes`);
    let outputs: TxOutput[];
    try {
      outputs = parseOutputList(m.coinbaseTxOutputs);
    } catch (err) {
      return bad('invalid-coinbase-tx-outputs', err instanceof Error ? err.message : String(err));
    }
    const payout = this.checkPayout(outputs);
    if (payout) return bad('invalid-coinbase-tx-outputs', payout);
    const d = tok.declared;
    if (d) {
      if (m.version !== d.version) return bad('invalid-version', 'not the declared version');
      if (!equalBytes(m.coinbaseTxOutputs, d.outputList))
        return bad('invalid-coinbase-tx-outputs', 'not the declared outputs (spec 6.4.3: same order as declared)');
      if (!equalBytes(m.coinbasePrefix, d.coinbase.scriptSigPrefix)) return bad('invalid-coinbase-prefix', 'not the declared coinbase prefix');
      if (d.coinbase.fullExtranonceSize !== ch.extranoncePrefix.length + ch.extranonceSize)
        return bad(
          'invalid-coinbase-prefix',
          `declared with ${d.coinbase.fullExtranonceSize} bytes of extranonce, this channel has ${ch.extranoncePrefix.length + ch.extranonceSize}`,
        );
      if (m.coinbaseTxVersion !== d.coinbase.version || m.coinbaseTxInputNSequence !== d.coinbase.sequence || m.coinbaseTxLocktime !== d.coinbase.locktime)
        return bad('invalid-coinbase-tx', 'coinbase version, sequence or locktime differ from the declaration');
      if (m.merklePath.length !== d.merklePath.length || m.merklePath.some((p, i) => !equalBytes(p, d.merklePath[i] as Uint8Array)))
        return bad('invalid-merkle-path', 'not the merkle path of the declared transactions');
    } else if (this.censor.size > 0) {
      const ids = this.fingerprints.get(merklePathKey(m.merklePath));
      const hit = ids?.find((id) => this.censor.has(toHex(id)));
      if (hit) {
        this.counters.censored++;
        this.o.log.warn(
          { txid: toHex(hit.slice().reverse()) },
          'custom job refused: its merkle path matches a template with a censored transaction (lab --censor-txid)',
        );
        return bad('invalid-job', `template contains transaction ${toHex(hit.slice().reverse())}`);
      }
    }
    return { ok: true, declared: d !== undefined };
  }

  private expire(): void {
    const cutoff = this.o.clock.now() - (this.o.tokenLifetimeMs ?? 600_000);
    for (const [k, t] of this.tokens) if (t.at < cutoff) this.tokens.delete(k);
    while (this.tokens.size >= MAX_TOKENS) this.tokens.delete(this.tokens.keys().next().value as string);
  }
}

function merklePathKey(path: readonly Uint8Array[]): string {
  return path.map(toHex).join('');
}
