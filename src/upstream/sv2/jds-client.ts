/**
 * Job Declarator client (spec 06-Job-Declaration-Protocol): the miner's side of a pool's Job
 * Declarator Server (JDS).
 *
 * - `allocateToken()`: AllocateMiningJobToken -> a token and the pool's coinbase outputs (the first is
 *   the pool payout output, value 0). The caller keeps a few ahead of need.
 * - `declare()`: DeclareMiningJob in full-template mode, answering ProvideMissingTransactions with
 *   the transactions the JDS asks for, until DeclareMiningJob.Success (a new token for
 *   SetCustomMiningJob) or DeclareMiningJob.Error.
 * - `pushSolution()`: PushSolution, so that the JDS can propagate a block too (full-template mode).
 * Requests that get no answer in time, or whose connection drops, reject with JdsRequestError
 * (`timeout`, `disconnected`): the caller counts both as failures of the pool.
 */
import type { SessionFailure } from '../session-failure.js';
import { TypedEmitter } from '../../typed-emitter.js';
import { systemClock, type Clock, type TimerHandle } from '../../clock.js';
import { logger, type Logger } from '../../log.js';
import type { UpstreamState } from '../upstream.js';
import type { Sv2Message } from './messages/registry.js';
import { JobDeclarationSetupFlags, Sv2SubProtocol } from './messages/common.js';
import { CONTROL_MAX_INBOUND, Sv2SessionSupervisor, type Sv2SupervisorOptions } from './session-supervisor.js';
import type { BackoffOptions } from './backoff.js';

export type DeclarationMode = 'full-template' | 'coinbase-only';

export interface JdsClientOptions {
  url: string;
  /** AllocateMiningJobToken.user_identifier. */
  user: string;
  mode: DeclarationMode;
  allowUnauthenticated?: boolean;
  plain?: boolean;
  clock?: Clock;
  backoff?: BackoffOptions;
  random?: () => number;
  /** tokenMs: AllocateMiningJobToken; declareMs: DeclareMiningJob to its final answer (default 10 s each). */
  timeouts?: { connectMs?: number; handshakeMs?: number; setupMs?: number; tokenMs?: number; declareMs?: number };
  device?: Sv2SupervisorOptions['device'];
}

export interface MiningJobToken {
  token: Uint8Array;
  /** CompactSize-prefixed outputs; the first is the pool payout output. */
  coinbaseOutputs: Uint8Array;
}

export interface Declaration {
  token: Uint8Array;
  version: number;
  /** With BIP141 fields (spec 6.4.4). */
  coinbaseTxPrefix: Uint8Array;
  coinbaseTxSuffix: Uint8Array;
  wtxids: Uint8Array[];
  excessData: Uint8Array;
  /** The transactions, in the order of `wtxids` (ProvideMissingTransactions positions index into it). */
  transactions: readonly Uint8Array[];
}

/**
 * The JDS's final answer. `requested`: the positions (into `Declaration.wtxids`) it asked for with
 * ProvideMissingTransactions and got: the transactions it had the chance to see only through us.
 */
export type DeclarationResult =
  | { ok: true; newToken: Uint8Array; missingProvided: number; requested: number[] }
  | { ok: false; code: string; details: Uint8Array; requested: number[] };

export class JdsRequestError extends Error {
  override readonly name = 'JdsRequestError';
  constructor(
    readonly code: 'timeout' | 'disconnected' | 'protocol',
    message: string,
  ) {
    super(message);
  }
}

export type JdsClientEvents = {
  state: [state: UpstreamState, failure?: SessionFailure];
};

interface PendingToken {
  kind: 'token';
  resolve: (t: MiningJobToken) => void;
  reject: (e: JdsRequestError) => void;
  timer: TimerHandle;
}

interface PendingDeclare {
  kind: 'declare';
  decl: Declaration;
  provided: number;
  requested: number[];
  resolve: (r: DeclarationResult) => void;
  reject: (e: JdsRequestError) => void;
  timer: TimerHandle;
}

export class JobDeclaratorClient extends TypedEmitter<JdsClientEvents> {
  readonly link: Sv2SessionSupervisor;
  private readonly clock: Clock;
  private readonly log: Logger;
  private nextRequestId = 1;
  private readonly pending = new Map<number, PendingToken | PendingDeclare>();
  readonly counters = { tokens: 0, declared: 0, declareRefused: 0, missingRequested: 0, solutionsPushed: 0, protocolErrors: 0 };

  constructor(private readonly o: JdsClientOptions) {
    super();
    this.clock = o.clock ?? systemClock;
    this.link = new Sv2SessionSupervisor({
      url: o.url,
      role: 'jds',
      protocol: Sv2SubProtocol.JobDeclaration,
      // Spec 6.4.1: DECLARE_TX_DATA = full-template mode.
      setupFlags: () => (o.mode === 'full-template' ? JobDeclarationSetupFlags.DECLARE_TX_DATA : 0),
      maxInboundPayload: CONTROL_MAX_INBOUND,
      clock: this.clock,
      ...(o.allowUnauthenticated !== undefined ? { allowUnauthenticated: o.allowUnauthenticated } : {}),
      ...(o.plain !== undefined ? { plain: o.plain } : {}),
      ...(o.backoff ? { backoff: o.backoff } : {}),
      ...(o.random ? { random: o.random } : {}),
      ...(o.timeouts ? { timeouts: o.timeouts } : {}),
      ...(o.device ? { device: o.device } : {}),
    });
    this.log = logger('sv2.jds-client', { url: this.link.url.text });
    this.link.on('message', (m) => this.onMessage(m));
    // Unknown, malformed or early frames the link itself refused.
    this.link.on('protocolError', () => this.counters.protocolErrors++);
    this.link.on('close', (f) => this.failAll(new JdsRequestError('disconnected', `JDS connection ended: ${f.detail}`)));
    this.link.on('state', (s, f) => this.emit('state', s, f));
  }

  get state(): UpstreamState {
    return this.link.state;
  }

  get ready(): boolean {
    return this.link.isOpen;
  }

  start(): void {
    this.link.start();
  }

  stop(reason = 'stopped'): void {
    this.link.stop(reason);
    this.failAll(new JdsRequestError('disconnected', reason));
  }

  allocateToken(): Promise<MiningJobToken> {
    return new Promise<MiningJobToken>((resolve, reject) => {
      const requestId = this.nextRequestId++ >>> 0;
      if (!this.link.send({ type: 'AllocateMiningJobToken', userIdentifier: this.o.user, requestId })) {
        reject(new JdsRequestError('disconnected', 'JDS not connected'));
        return;
      }
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(requestId);
        reject(new JdsRequestError('timeout', `JDS sent no token within ${Math.round((this.o.timeouts?.tokenMs ?? 10_000) / 1000)} s`));
      }, this.o.timeouts?.tokenMs ?? 10_000);
      this.pending.set(requestId, { kind: 'token', resolve, reject, timer });
    });
  }

  declare(decl: Declaration): Promise<DeclarationResult> {
    return new Promise<DeclarationResult>((resolve, reject) => {
      const requestId = this.nextRequestId++ >>> 0;
      const sent = this.link.send({
        type: 'DeclareMiningJob',
        requestId,
        miningJobToken: decl.token,
        version: decl.version >>> 0,
        coinbaseTxPrefix: decl.coinbaseTxPrefix,
        coinbaseTxSuffix: decl.coinbaseTxSuffix,
        wtxidList: decl.wtxids,
        excessData: decl.excessData,
      });
      if (!sent) {
        reject(new JdsRequestError('disconnected', 'JDS not connected'));
        return;
      }
      this.counters.declared++;
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(requestId);
        reject(new JdsRequestError('timeout', `JDS did not answer DeclareMiningJob within ${Math.round((this.o.timeouts?.declareMs ?? 10_000) / 1000)} s`));
      }, this.o.timeouts?.declareMs ?? 10_000);
      this.pending.set(requestId, { kind: 'declare', decl, provided: 0, requested: [], resolve, reject, timer });
    });
  }

  /** PushSolution (spec 6.4.9). False when the JDS is not connected. */
  pushSolution(s: { extranonce: Uint8Array; prevHash: Uint8Array; nonce: number; ntime: number; nbits: number; version: number }): boolean {
    const ok = this.link.send({
      type: 'PushSolution',
      extranonce: s.extranonce,
      prevHash: s.prevHash,
      nonce: s.nonce >>> 0,
      ntime: s.ntime >>> 0,
      nbits: s.nbits >>> 0,
      version: s.version >>> 0,
    });
    if (ok) this.counters.solutionsPushed++;
    return ok;
  }

  private failAll(e: JdsRequestError): void {
    for (const p of this.pending.values()) {
      this.clock.clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
  }

  private protocolError(what: string): void {
    this.counters.protocolErrors++;
    this.log.warn({ err: what }, 'JDS protocol error');
  }

  private onMessage(m: Sv2Message): void {
    switch (m.type) {
      case 'AllocateMiningJobTokenSuccess': {
        const p = this.pending.get(m.requestId);
        if (p?.kind !== 'token') return this.protocolError(`AllocateMiningJobToken.Success for unknown request ${m.requestId}`);
        this.pending.delete(m.requestId);
        this.clock.clearTimeout(p.timer);
        this.counters.tokens++;
        p.resolve({ token: m.miningJobToken.slice(), coinbaseOutputs: m.coinbaseTxOutputs.slice() });
        return;
      }
      case 'ProvideMissingTransactions': {
        const p = this.pending.get(m.requestId);
        if (p?.kind !== 'declare') return this.protocolError(`ProvideMissingTransactions for unknown request ${m.requestId}`);
        const txs: Uint8Array[] = [];
        for (const pos of m.unknownTxPositionList) {
          const tx = p.decl.transactions[pos];
          if (!tx) {
            // The JDS asks for a position we did not declare: its answer can no longer be trusted.
            this.pending.delete(m.requestId);
            this.clock.clearTimeout(p.timer);
            p.reject(new JdsRequestError('protocol', `JDS asked for transaction position ${pos} of ${p.decl.transactions.length}`));
            this.protocolError(`ProvideMissingTransactions position ${pos} out of range`);
            return;
          }
          txs.push(tx);
        }
        p.provided += txs.length;
        p.requested.push(...m.unknownTxPositionList);
        this.counters.missingRequested += txs.length;
        this.log.debug({ requestId: m.requestId, count: txs.length }, 'JDS asked for transactions');
        this.link.send({ type: 'ProvideMissingTransactionsSuccess', requestId: m.requestId, transactionList: txs });
        return;
      }
      case 'DeclareMiningJobSuccess': {
        const p = this.pending.get(m.requestId);
        if (p?.kind !== 'declare') return this.protocolError(`DeclareMiningJob.Success for unknown request ${m.requestId}`);
        this.pending.delete(m.requestId);
        this.clock.clearTimeout(p.timer);
        p.resolve({ ok: true, newToken: m.newMiningJobToken.slice(), missingProvided: p.provided, requested: p.requested });
        return;
      }
      case 'DeclareMiningJobError': {
        const p = this.pending.get(m.requestId);
        if (p?.kind !== 'declare') return this.protocolError(`DeclareMiningJob.Error for unknown request ${m.requestId}`);
        this.pending.delete(m.requestId);
        this.clock.clearTimeout(p.timer);
        this.counters.declareRefused++;
        p.resolve({ ok: false, code: m.errorCode, details: m.errorDetails.slice(), requested: p.requested });
        return;
      }
      default:
        return this.protocolError(`unexpected ${m.type} from a JDS`);
    }
  }
}
