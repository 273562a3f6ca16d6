/**
 * The lab Job Declarator Server and its pool, one operator's pair on 127.0.0.1: a JDS speaking the Job
 * Declaration protocol (jds-core.ts does the checking) and an SV2 pool (sv2-pool.ts) that accepts
 * SetCustomMiningJob for the tokens that JDS issued and validates shares on custom jobs by SHA-256.
 * Both present certificates signed by the same authority key. With `censorTxids` the pair refuses any
 * template carrying one of those transactions: the lab's censoring pool.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { TypedEmitter } from '../../src/typed-emitter.js';
import { systemClock, type Clock } from '../../src/clock.js';
import { logger, type Logger } from '../../src/log.js';
import { sha256 } from '../../src/work/sha256d.js';
import type { Sv2Message } from '../../src/upstream/sv2/messages/registry.js';
import { JobDeclarationSetupFlags, Sv2SubProtocol, SV2_PROTOCOL_VERSION } from '../../src/upstream/sv2/messages/common.js';
import { loadLabBlocks, type LabBlocks } from './block-data.js';
import { templateBlocks } from './template-data.js';
import { JobDeclaratorCore, type JdsCounters } from './jds-core.js';
import { LabSv2Listener, type LabConnection } from './lab-sv2-listener.js';
import { Sv2Pool, type Sv2PoolStats } from './sv2-pool.js';
import { CONTROL_MAX_INBOUND } from '../../src/upstream/sv2/session-supervisor.js';
import { LaggingNode } from './lab-node.js';
import type { TemplateProvider } from './template-provider.js';

export interface LabJdsOptions {
  /** JDS port (0 = ephemeral). */
  port?: number;
  /** Pool port (0 = ephemeral). */
  poolPort?: number;
  host?: string;
  plain?: boolean;
  authoritySecret?: Uint8Array;
  /** Share difficulty of the pool. */
  difficulty?: number;
  /** The pool payout output's script (default: a lab P2WPKH). */
  payoutScript?: Uint8Array;
  /** Transactions to refuse (txid, display order hex as explorers show it, or internal bytes). */
  censorTxids?: Uint8Array[];
  mempoolKnown?: number;
  shareBatchSize?: number;
  ackFlushMs?: number;
  /** The pool answers SetCustomMiningJob this much later (lab: optimistic mining, timeouts). */
  customJobDelayMs?: number;
  /** The pool answers each SetCustomMiningJob once this resolves (tests: wait for an event, not a delay). */
  customJobGate?: () => Promise<void>;
  /** The pool acknowledges custom jobs, then rejects every share on them. */
  rejectCustomShares?: boolean;
  /** The JDS refuses the first `count` declarations with `code` (transient trouble, or an unknown code). */
  refuseFirst?: { code: string; count: number };
  /**
   * The pool's own node: it follows the miner's chain (a lab Template Provider in this process, or a
   * Template Provider URL) `lagMs` behind (default 0). Without it no chain tip is checked.
   */
  node?: { lagMs?: number } & ({ follow: TemplateProvider } | { url: string; allowUnauthenticated?: boolean; plain?: boolean });
  blocks?: LabBlocks;
  clock?: Clock;
}

export interface LabJdsStats {
  jds: JdsCounters & { connections: number; mempool: number; protocolErrors: number };
  pool: Sv2PoolStats;
}

export type LabJdsEvents = {
  declared: [e: { connection: number; ok: boolean; code?: string; details?: string }];
};

/** A lab payout script: P2WPKH of hash160-sized SHA-256 of a label (nobody holds its key). */
export function labPayoutScript(label = 'asic-agent lab pool'): Uint8Array {
  const h = sha256(new TextEncoder().encode(label)).slice(0, 20);
  return Uint8Array.of(0x00, 0x14, ...h);
}

export class LabJdsPool extends TypedEmitter<LabJdsEvents> {
  readonly core: JobDeclaratorCore;
  readonly pool: Sv2Pool;
  private readonly listener: LabSv2Listener;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly fullTemplate = new Map<number, boolean>();
  /** The pool's own node, when it has one. */
  readonly node: LaggingNode | undefined;

  constructor(o: LabJdsOptions = {}) {
    super();
    this.clock = o.clock ?? systemClock;
    this.log = logger('lab.jds');
    const blocks = o.blocks ?? loadLabBlocks();
    if (o.node) {
      const node = new LaggingNode({ clock: this.clock, lagMs: o.node.lagMs ?? 0 });
      if ('follow' in o.node) node.followTemplateProvider(o.node.follow);
      else node.followTemplateDistribution(o.node);
      this.node = node;
    }
    // One operator, one authority key for both servers.
    const authoritySecret = o.authoritySecret ?? secp256k1.utils.randomSecretKey();
    this.core = new JobDeclaratorCore({
      clock: this.clock,
      log: this.log,
      payoutScript: o.payoutScript ?? labPayoutScript(),
      blocks: templateBlocks(blocks),
      ...(o.mempoolKnown !== undefined ? { mempoolKnown: o.mempoolKnown } : {}),
      ...(o.censorTxids ? { censorTxids: o.censorTxids } : {}),
      ...(this.node ? { node: this.node } : {}),
      ...(o.refuseFirst ? { refuseFirst: o.refuseFirst } : {}),
    });
    this.listener = new LabSv2Listener({
      protocol: Sv2SubProtocol.JobDeclaration,
      clock: this.clock,
      log: this.log,
      maxInboundPayload: CONTROL_MAX_INBOUND,
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.host !== undefined ? { host: o.host } : {}),
      ...(o.plain !== undefined ? { plain: o.plain } : {}),
      authoritySecret,
    });
    this.pool = new Sv2Pool({
      port: o.poolPort ?? 0,
      difficulty: o.difficulty ?? 1,
      prevHashIntervalSeconds: 0,
      shareBatchSize: o.shareBatchSize ?? 10,
      ackFlushMs: o.ackFlushMs ?? 1000,
      blocks,
      clock: this.clock,
      customJobs: this.core,
      authoritySecret,
      ...(o.customJobDelayMs !== undefined ? { customJobDelayMs: o.customJobDelayMs } : {}),
      ...(o.customJobGate !== undefined ? { customJobGate: o.customJobGate } : {}),
      ...(o.rejectCustomShares !== undefined ? { rejectCustomShares: o.rejectCustomShares } : {}),
      ...(o.host !== undefined ? { host: o.host } : {}),
      ...(o.plain !== undefined ? { plain: o.plain } : {}),
    });
    this.listener.on('setup', (c, m) => {
      const full = (m.flags & JobDeclarationSetupFlags.DECLARE_TX_DATA) !== 0;
      this.fullTemplate.set(c.id, full);
      c.send({ type: 'SetupConnectionSuccess', usedVersion: SV2_PROTOCOL_VERSION, flags: 0 });
      this.log.info({ conn: c.id, mode: full ? 'full-template' : 'coinbase-only', vendor: m.vendor }, 'job declarator client set up');
    });
    this.listener.on('message', (c, m) => this.onMessage(c, m));
    this.listener.on('close', (c) => this.fullTemplate.delete(c.id));
  }

  get jdsUrl(): string {
    return this.listener.url;
  }

  get poolUrl(): string {
    return this.pool.url;
  }

  get authorityKey(): string {
    return this.listener.authorityKey;
  }

  async start(): Promise<{ jdsUrl: string; poolUrl: string }> {
    await this.listener.start();
    await this.pool.start();
    this.log.info({ jds: this.jdsUrl, pool: this.poolUrl, mempool: this.core.mempoolSize }, 'lab JDS + pool listening');
    return { jdsUrl: this.jdsUrl, poolUrl: this.poolUrl };
  }

  async stop(): Promise<void> {
    this.node?.stop();
    await this.listener.stop();
    await this.pool.stop();
  }

  stats(): LabJdsStats {
    return {
      jds: { ...this.core.counters, connections: this.listener.connectionCount, mempool: this.core.mempoolSize, protocolErrors: this.listener.protocolErrors },
      pool: this.pool.stats(),
    };
  }

  /** Drops every JDS client (tests). */
  dropConnections(): void {
    this.listener.dropAll();
  }

  private answer(c: LabConnection, requestId: number, r: ReturnType<JobDeclaratorCore['declare']>): void {
    if (r.kind === 'missing') {
      c.send({ type: 'ProvideMissingTransactions', requestId, unknownTxPositionList: r.positions });
      return;
    }
    if (r.kind === 'success') {
      c.send({ type: 'DeclareMiningJobSuccess', requestId, newMiningJobToken: r.newToken });
      this.log.info({ conn: c.id, requestId }, 'job declared');
      this.emit('declared', { connection: c.id, ok: true });
      return;
    }
    c.send({ type: 'DeclareMiningJobError', requestId, errorCode: r.code, errorDetails: new TextEncoder().encode(r.details) });
    this.log.info({ conn: c.id, requestId, code: r.code, details: r.details }, 'declaration refused');
    this.emit('declared', { connection: c.id, ok: false, code: r.code, details: r.details });
  }

  private onMessage(c: LabConnection, m: Sv2Message): void {
    switch (m.type) {
      case 'AllocateMiningJobToken': {
        const t = this.core.allocate(c.id, this.fullTemplate.get(c.id) ?? false);
        c.send({ type: 'AllocateMiningJobTokenSuccess', requestId: m.requestId, miningJobToken: t.token, coinbaseTxOutputs: t.coinbaseOutputs });
        return;
      }
      case 'DeclareMiningJob':
        if (!this.fullTemplate.get(c.id)) {
          // Spec 6.3.1: DeclareMiningJob is a full-template message.
          c.send({
            type: 'DeclareMiningJobError',
            requestId: m.requestId,
            errorCode: 'invalid-mining-job-token',
            errorDetails: new TextEncoder().encode('this connection did not set DECLARE_TX_DATA'),
          });
          return;
        }
        return this.answer(c, m.requestId, this.core.declare(c.id, m));
      case 'ProvideMissingTransactionsSuccess': {
        const r = this.core.provideMissing(c.id, m);
        if (!r) {
          this.log.warn({ conn: c.id, requestId: m.requestId }, 'ProvideMissingTransactions.Success for no pending declaration');
          return;
        }
        return this.answer(c, m.requestId, r);
      }
      case 'PushSolution':
        return this.core.pushSolution(m);
      default:
        this.log.warn({ conn: c.id, type: m.type }, 'unexpected message ignored');
    }
  }
}

/** A txid as explorers show it (display order hex) -> internal byte order. */
export function txidFromDisplay(hex: string): Uint8Array {
  const b = new Uint8Array(32);
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new RangeError('a txid is 64 hex digits');
  for (let i = 0; i < 32; i++) b[31 - i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return b;
}
