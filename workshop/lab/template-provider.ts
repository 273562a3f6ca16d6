/**
 * The lab Template Provider: what sv2-tp does next to a miner's Bitcoin node, on 127.0.0.1, from real
 * block data (template-data.ts). Template Distribution protocol (spec 07): after SetupConnection and
 * CoinbaseOutputConstraints a client gets the current future template and the SetNewPrevHash that
 * activates it, then a non-future template whenever the template grows (every `templateIntervalSeconds`)
 * and a new future template + SetNewPrevHash every `prevHashIntervalSeconds`. RequestTransactionData
 * returns a template's transactions. SubmitSolution is checked by rebuilding the block
 * (solution-check.ts); an accepted block becomes the new chain tip, as a node would make it.
 */
import { TypedEmitter } from '../../src/typed-emitter.js';
import { systemClock, type Clock, type TimerHandle } from '../../src/clock.js';
import { logger, type Logger } from '../../src/log.js';
import { toHex } from '../../src/work/bytes.js';
import { bigIntToU256Le, difficultyToTarget, nbitsToTarget, targetToNbits } from '../../src/work/target.js';
import { serializeOutputs } from '../../src/work/tx-outputs.js';
import type { Sv2Message, Sv2MessageOf } from '../../src/upstream/sv2/messages/registry.js';
import { Sv2SubProtocol, SV2_PROTOCOL_VERSION } from '../../src/upstream/sv2/messages/common.js';
import { loadLabBlocks, variedPrevHash, type LabBlocks } from './block-data.js';
import { buildLabTemplate, templateBlocks, type LabTemplate, type TemplateBlock } from './template-data.js';
import { checkSolution } from './solution-check.js';
import { LabSv2Listener, type LabConnection } from './lab-sv2-listener.js';

export interface TemplateProviderOptions {
  port?: number;
  host?: string;
  plain?: boolean;
  authoritySecret?: Uint8Array;
  /** Seconds between new prev hashes (default 60; 0 = only when a block is found or on demand). */
  prevHashIntervalSeconds?: number;
  /** Seconds between template updates on the same prev hash (default 10; 0 = never). */
  templateIntervalSeconds?: number;
  /** Block target override as a difficulty (the lab "tiny network difficulty"); default: each block's nbits. */
  networkDifficulty?: number;
  /** Explicit nbits override (wins over networkDifficulty). */
  nbits?: number;
  /** An accepted block becomes the chain tip (default true). */
  advanceOnBlock?: boolean;
  blocks?: LabBlocks;
  clock?: Clock;
}

interface Round {
  n: number;
  block: TemplateBlock;
  height: number;
  prevHash: Uint8Array;
  nbits: number;
  headerTimestamp: number;
  /** Templates of this round, oldest first (the first is the future template). */
  templates: LabTemplate[];
}

export interface AcceptedBlock {
  templateId: string;
  height: number;
  /** Display order. */
  hash: string;
  /** Hex. */
  header: string;
  coinbase: string;
  transactions: number;
  block: string;
}

export interface TemplateProviderStats {
  connections: number;
  rounds: number;
  templatesSent: number;
  txDataServed: number;
  solutionsReceived: number;
  blocksAccepted: number;
  solutionsRejected: Record<string, number>;
  protocolErrors: number;
}

export type TemplateProviderEvents = {
  block: [b: AcceptedBlock];
  /** A new chain tip: the block now built is at `height` on `prevHash` (lab JDS nodes follow it). */
  tip: [t: { prevHash: Uint8Array; height: number }];
  rejected: [e: { templateId: string; reason: string }];
};

interface TpClient {
  c: LabConnection;
  ready: boolean;
  constraints?: { size: number; sigops: number };
}

/** Templates kept for RequestTransactionData / SubmitSolution on older rounds (stale-template-id). */
const MAX_OLD_TEMPLATES = 256;

export class TemplateProvider extends TypedEmitter<TemplateProviderEvents> {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly listener: LabSv2Listener;
  readonly source: TemplateBlock[];
  readonly blocks: LabBlocks;
  private readonly clients = new Map<number, TpClient>();
  private round: Round;
  private nextTemplateId = 1n;
  private readonly old = new Map<bigint, LabTemplate>();
  private roundTimer: TimerHandle | undefined;
  private templateTimer: TimerHandle | undefined;
  private readonly s = {
    rounds: 0,
    templatesSent: 0,
    txDataServed: 0,
    solutionsReceived: 0,
    blocksAccepted: 0,
    solutionsRejected: {} as Record<string, number>,
  };
  readonly accepted: AcceptedBlock[] = [];

  constructor(private readonly o: TemplateProviderOptions = {}) {
    super();
    this.clock = o.clock ?? systemClock;
    this.log = logger('lab.template-provider');
    this.blocks = o.blocks ?? loadLabBlocks();
    this.source = templateBlocks(this.blocks);
    if (this.source.length === 0) throw new Error('the template provider needs at least one block');
    this.listener = new LabSv2Listener({
      protocol: Sv2SubProtocol.TemplateDistribution,
      clock: this.clock,
      log: this.log,
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.host !== undefined ? { host: o.host } : {}),
      ...(o.plain !== undefined ? { plain: o.plain } : {}),
      ...(o.authoritySecret ? { authoritySecret: o.authoritySecret } : {}),
    });
    this.listener.on('setup', (c, m) => this.onSetup(c, m));
    this.listener.on('message', (c, m) => this.onMessage(c, m));
    this.listener.on('close', (c) => this.clients.delete(c.id));
    this.round = this.makeRound(0, this.source[0] as TemplateBlock, (this.source[0] as TemplateBlock).height, (this.source[0] as TemplateBlock).prevHash);
  }

  get url(): string {
    return this.listener.url;
  }

  get authorityKey(): string {
    return this.listener.authorityKey;
  }

  /** The block being worked on (for tests: its nbits, height, templates). */
  get currentRound(): Readonly<Round> {
    return this.round;
  }

  async start(): Promise<{ url: string; port: number }> {
    await this.listener.start();
    const prevEvery = this.o.prevHashIntervalSeconds ?? 60;
    if (prevEvery > 0) this.roundTimer = this.clock.setInterval(() => this.newPrevHash(), prevEvery * 1000);
    const tplEvery = this.o.templateIntervalSeconds ?? 10;
    if (tplEvery > 0) this.templateTimer = this.clock.setInterval(() => this.updateTemplate(), tplEvery * 1000);
    this.log.info({ url: this.url, blocks: this.source.map((b) => b.height), nbits: this.round.nbits.toString(16) }, 'lab template provider listening');
    return { url: this.url, port: this.listener.port };
  }

  async stop(): Promise<void> {
    this.clock.clearInterval(this.roundTimer);
    this.clock.clearInterval(this.templateTimer);
    await this.listener.stop();
  }

  stats(): TemplateProviderStats {
    return {
      connections: this.listener.connectionCount,
      ...this.s,
      solutionsRejected: { ...this.s.solutionsRejected },
      protocolErrors: this.listener.protocolErrors,
    };
  }

  /** Drops every client (tests). */
  dropConnections(): void {
    this.listener.dropAll();
  }

  /**
   * A new chain tip (the next lab block, a varied prev hash), with a future template for it. The chain
   * grows by one block each time, so a coinbase's BIP34 height tells which tip it was built on (what a
   * pool's node checks: SRI's JDS answers `stale-chain-tip` for another height).
   */
  newPrevHash(): void {
    const n = this.round.n + 1;
    const block = this.source[n % this.source.length] as TemplateBlock;
    this.startRound(this.makeRound(n, block, this.round.height + 1, variedPrevHash(block, n)));
  }

  /** A bigger template on the same prev hash (when there are transactions left to add). */
  updateTemplate(): void {
    const r = this.round;
    const last = r.templates[r.templates.length - 1] as LabTemplate;
    const total = r.block.transactions.length;
    if (last.count >= total) return;
    const t = buildLabTemplate(this.nextTemplateId++, r.block, last.count + Math.max(1, Math.ceil(total / 8)), r.height);
    r.templates.push(t);
    for (const cl of this.clients.values()) if (cl.ready) this.sendTemplate(cl, t, false);
  }

  private makeRound(n: number, block: TemplateBlock, height: number, prevHash: Uint8Array): Round {
    let nbits = block.nbits;
    if (this.o.networkDifficulty !== undefined) nbits = targetToNbits(difficultyToTarget(this.o.networkDifficulty));
    if (this.o.nbits !== undefined) nbits = this.o.nbits >>> 0;
    const first = buildLabTemplate(this.nextTemplateId++, block, Math.ceil(block.transactions.length / 2), height);
    return { n, block, height, prevHash, nbits, headerTimestamp: this.clock.wallSeconds(), templates: [first] };
  }

  private startRound(r: Round): void {
    for (const t of this.round.templates) this.remember(t);
    this.round = r;
    this.s.rounds++;
    this.log.info(
      { height: r.height, prevHash: toHex(r.prevHash.slice().reverse()), templateId: String((r.templates[0] as LabTemplate).templateId) },
      'new prev hash',
    );
    for (const cl of this.clients.values()) if (cl.ready) this.sendRoundStart(cl);
    this.emit('tip', { prevHash: r.prevHash, height: r.height });
  }

  private remember(t: LabTemplate): void {
    this.old.set(t.templateId, t);
    if (this.old.size > MAX_OLD_TEMPLATES) this.old.delete(this.old.keys().next().value as bigint);
  }

  private sendTemplate(cl: TpClient, t: LabTemplate, future: boolean): void {
    cl.c.send({
      type: 'NewTemplate',
      templateId: t.templateId,
      futureTemplate: future,
      version: t.version,
      coinbaseTxVersion: t.coinbaseTxVersion,
      coinbasePrefix: t.coinbasePrefix,
      coinbaseTxInputSequence: t.sequence,
      coinbaseTxValueRemaining: t.valueRemaining,
      coinbaseTxOutputsCount: t.outputs.length,
      coinbaseTxOutputs: serializeOutputs(t.outputs),
      coinbaseTxLocktime: t.locktime,
      merklePath: t.merklePath,
    });
    this.s.templatesSent++;
  }

  /** The round's future template, the SetNewPrevHash naming it, then its latest update. */
  private sendRoundStart(cl: TpClient): void {
    const r = this.round;
    const first = r.templates[0] as LabTemplate;
    this.sendTemplate(cl, first, true);
    cl.c.send({
      type: 'SetNewPrevHashTdp',
      templateId: first.templateId,
      prevHash: r.prevHash,
      headerTimestamp: r.headerTimestamp,
      nbits: r.nbits,
      target: bigIntToU256Le(nbitsToTarget(r.nbits)),
    });
    const last = r.templates[r.templates.length - 1] as LabTemplate;
    if (last !== first) this.sendTemplate(cl, last, false);
  }

  private onSetup(c: LabConnection, m: Sv2MessageOf<'SetupConnection'>): void {
    // Template Distribution defines no flags (spec 7.3).
    c.send({ type: 'SetupConnectionSuccess', usedVersion: SV2_PROTOCOL_VERSION, flags: 0 });
    this.clients.set(c.id, { c, ready: false });
    this.log.info({ conn: c.id, vendor: m.vendor, firmware: m.firmware }, 'client set up');
  }

  private template(id: bigint): { t: LabTemplate; current: boolean } | undefined {
    const t = this.round.templates.find((x) => x.templateId === id);
    if (t) return { t, current: true };
    const o = this.old.get(id);
    return o ? { t: o, current: false } : undefined;
  }

  private onMessage(c: LabConnection, m: Sv2Message): void {
    const cl = this.clients.get(c.id);
    if (!cl) return;
    switch (m.type) {
      case 'CoinbaseOutputConstraints': {
        const first = !cl.ready;
        cl.constraints = { size: m.coinbaseOutputMaxAdditionalSize, sigops: m.coinbaseOutputMaxAdditionalSigops };
        cl.ready = true;
        this.log.info(
          { conn: c.id, maxAdditionalSize: m.coinbaseOutputMaxAdditionalSize, maxAdditionalSigops: m.coinbaseOutputMaxAdditionalSigops },
          'coinbase output constraints',
        );
        // Spec 7.3.1: the TP answers with its current best template.
        if (first) this.sendRoundStart(cl);
        return;
      }
      case 'RequestTransactionData': {
        const found = this.template(m.templateId);
        if (!found) {
          c.send({ type: 'RequestTransactionDataError', templateId: m.templateId, errorCode: 'template-id-not-found' });
          return;
        }
        if (!found.current) {
          c.send({ type: 'RequestTransactionDataError', templateId: m.templateId, errorCode: 'stale-template-id' });
          return;
        }
        this.s.txDataServed++;
        c.send({ type: 'RequestTransactionDataSuccess', templateId: m.templateId, excessData: new Uint8Array(0), transactionList: found.t.transactions });
        return;
      }
      case 'SubmitSolution':
        return this.onSolution(m);
      default:
        this.log.warn({ conn: c.id, type: m.type }, 'unexpected message from client ignored');
    }
  }

  private reject(templateId: bigint, reason: string): void {
    const code = reason.split(':')[0] as string;
    this.s.solutionsRejected[code] = (this.s.solutionsRejected[code] ?? 0) + 1;
    this.log.warn({ templateId: String(templateId), reason }, 'block solution rejected');
    this.emit('rejected', { templateId: String(templateId), reason });
  }

  private onSolution(m: Sv2MessageOf<'SubmitSolution'>): void {
    this.s.solutionsReceived++;
    const found = this.template(m.templateId);
    if (!found) return this.reject(m.templateId, 'unknown-template: no such template');
    if (!found.current) return this.reject(m.templateId, 'stale-template: the chain tip moved');
    const r = this.round;
    const v = checkSolution(
      {
        version: found.t.version,
        coinbaseTxVersion: found.t.coinbaseTxVersion,
        coinbasePrefix: found.t.coinbasePrefix,
        sequence: found.t.sequence,
        locktime: found.t.locktime,
        valueRemaining: found.t.valueRemaining,
        outputs: found.t.outputs,
        txids: found.t.txids,
        wtxids: found.t.wtxids,
        transactions: found.t.transactions,
      },
      { prevHash: r.prevHash, nbits: r.nbits },
      m,
    );
    if (!v.ok) return this.reject(m.templateId, v.reason);
    this.s.blocksAccepted++;
    const hashDisplay = toHex(v.hash.slice().reverse());
    const b: AcceptedBlock = {
      templateId: String(m.templateId),
      height: r.height,
      hash: hashDisplay,
      header: toHex(v.header),
      coinbase: toHex(m.coinbaseTx),
      transactions: 1 + found.t.transactions.length,
      block: toHex(v.block),
    };
    this.accepted.push(b);
    this.log.warn(
      { height: r.height, hash: hashDisplay, templateId: String(m.templateId), transactions: b.transactions },
      'BLOCK ACCEPTED (lab network target)',
    );
    this.emit('block', b);
    if (this.o.advanceOnBlock ?? true) {
      // The node extends its chain with the block: the next work builds on it.
      const n = r.n + 1;
      const next = this.source[n % this.source.length] as TemplateBlock;
      this.startRound(this.makeRound(n, next, r.height + 1, v.hash));
    }
  }
}
