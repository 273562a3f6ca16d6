/**
 * Template Distribution client (spec 07-Template-Distribution-Protocol): the miner's own node, through
 * a Template Provider (sv2-tp next to Bitcoin Core; ports per network in
 * docs/sv2.md "Values and their sources"),
 * hands it block templates.
 *
 * Session: SetupConnection (protocol 2, no flags) -> CoinbaseOutputConstraints at once (the TP answers
 * with its current best template) -> NewTemplate (future or not) and SetNewPrevHash. A future template
 * becomes active when a SetNewPrevHash names it, and that makes every other template stale; a
 * non-future template is active at once on the current prev hash. RequestTransactionData fetches a
 * template's transactions (Job Declaration needs them in full-template mode); SubmitSolution hands a
 * found block to the node, which propagates it.
 */
import type { SessionFailure } from '../session-failure.js';
import { TypedEmitter } from '../../typed-emitter.js';
import { systemClock, type Clock, type TimerHandle } from '../../clock.js';
import { logger, type Logger } from '../../log.js';
import { toHex } from '../../work/bytes.js';
import { u256LeToBigInt } from '../../work/target.js';
import { parseOutputs, type TxOutput } from '../../work/tx-outputs.js';
import type { UpstreamState } from '../upstream.js';
import type { Sv2Message, Sv2MessageOf } from './messages/registry.js';
import { Sv2SubProtocol } from './messages/common.js';
import { CONTROL_MAX_INBOUND, Sv2SessionSupervisor, type Sv2SupervisorOptions } from './session-supervisor.js';
import type { BackoffOptions } from './backoff.js';

/** Bounded stores: a TP sends one future template per expected block and a few updates per block. */
export const MAX_FUTURE_TEMPLATES = 16;
export const MAX_ACTIVE_TEMPLATES = 64;

export interface Template {
  templateId: bigint;
  future: boolean;
  version: number;
  coinbaseTxVersion: number;
  /** Start of the coinbase scriptSig (BIP34 height), at most 8 bytes per the spec. */
  coinbasePrefix: Uint8Array;
  coinbaseTxInputSequence: number;
  /** Satoshis the coinbase may claim (subsidy + fees, minus what the template's own outputs carry). */
  valueRemaining: bigint;
  /** Outputs the template requires (the witness commitment). */
  outputs: TxOutput[];
  locktime: number;
  /** Siblings of the coinbase txid, deepest first. */
  merklePath: Uint8Array[];
}

export interface ActiveTemplate {
  template: Template;
  prevHash: Uint8Array;
  nbits: number;
  /** SetNewPrevHash.header_timestamp: the smallest ntime to use. */
  headerTimestamp: number;
  /** Network target as the TP sent it. */
  networkTarget: bigint;
  /** True when this template came with a new prev hash: every earlier template is stale. */
  newPrevHash: boolean;
  /** Clock time (ms). */
  receivedAt: number;
}

export interface TransactionData {
  transactions: Uint8Array[];
  excessData: Uint8Array;
}

export interface Solution {
  templateId: bigint;
  version: number;
  headerTimestamp: number;
  headerNonce: number;
  /** Full coinbase, with witness. */
  coinbaseTx: Uint8Array;
}

export interface TemplateClientOptions {
  url: string;
  allowUnauthenticated?: boolean;
  plain?: boolean;
  clock?: Clock;
  backoff?: BackoffOptions;
  random?: () => number;
  timeouts?: { connectMs?: number; handshakeMs?: number; setupMs?: number; txDataMs?: number };
  /** CoinbaseOutputConstraints: bytes and sigops our coinbase outputs add to the template's. */
  constraints: { maxAdditionalSize: number; maxAdditionalSigops: number };
  device?: Sv2SupervisorOptions['device'];
}

export class TemplateRequestError extends Error {
  override readonly name = 'TemplateRequestError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type TemplateClientEvents = {
  /** A template to mine now. */
  template: [t: ActiveTemplate];
  state: [state: UpstreamState, failure?: SessionFailure];
};

interface Waiter {
  resolve: (d: TransactionData) => void;
  reject: (e: TemplateRequestError) => void;
  timer: TimerHandle;
}

/** Solutions kept for a reconnect when the TP is down at the moment a block is found. */
const MAX_QUEUED_SOLUTIONS = 4;

export class TemplateDistributionClient extends TypedEmitter<TemplateClientEvents> {
  readonly link: Sv2SessionSupervisor;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly future = new Map<bigint, Template>();
  private readonly active = new Map<bigint, ActiveTemplate>();
  private prev: { prevHash: Uint8Array; nbits: number; headerTimestamp: number; networkTarget: bigint } | null = null;
  private latest: ActiveTemplate | undefined;
  private readonly waiters = new Map<bigint, Waiter[]>();
  private readonly queued: Solution[] = [];
  private constraints: { maxAdditionalSize: number; maxAdditionalSigops: number };
  readonly counters = { templates: 0, prevHashes: 0, protocolErrors: 0, solutionsSent: 0, txDataRequests: 0 };

  constructor(private readonly o: TemplateClientOptions) {
    super();
    this.clock = o.clock ?? systemClock;
    this.constraints = { ...o.constraints };
    this.link = new Sv2SessionSupervisor({
      url: o.url,
      role: 'template-provider',
      protocol: Sv2SubProtocol.TemplateDistribution,
      setupFlags: () => 0,
      // Template data can be a whole block.
      maxInboundPayload: CONTROL_MAX_INBOUND,
      clock: this.clock,
      ...(o.allowUnauthenticated !== undefined ? { allowUnauthenticated: o.allowUnauthenticated } : {}),
      ...(o.plain !== undefined ? { plain: o.plain } : {}),
      ...(o.backoff ? { backoff: o.backoff } : {}),
      ...(o.random ? { random: o.random } : {}),
      ...(o.timeouts ? { timeouts: o.timeouts } : {}),
      ...(o.device ? { device: o.device } : {}),
    });
    this.log = logger('sv2.template-client', { url: this.link.url.text });
    this.link.on('open', () => this.onOpen());
    this.link.on('message', (m) => this.onMessage(m));
    // Unknown, malformed or early frames the link itself refused.
    this.link.on('protocolError', () => this.counters.protocolErrors++);
    this.link.on('close', (f) => this.onClose(f.detail));
    this.link.on('state', (s, f) => this.emit('state', s, f));
  }

  get state(): UpstreamState {
    return this.link.state;
  }

  start(): void {
    this.link.start();
  }

  stop(reason = 'stopped'): void {
    this.link.stop(reason);
  }

  /** The template to mine now, if any. */
  current(): ActiveTemplate | undefined {
    return this.latest;
  }

  /** A template still valid on the current prev hash, by id. */
  activeTemplate(id: bigint): ActiveTemplate | undefined {
    return this.active.get(id);
  }

  /** New constraints (e.g. a pool's outputs grew); sent at once when connected. */
  setConstraints(c: { maxAdditionalSize: number; maxAdditionalSigops: number }): void {
    if (c.maxAdditionalSize === this.constraints.maxAdditionalSize && c.maxAdditionalSigops === this.constraints.maxAdditionalSigops) return;
    this.constraints = { ...c };
    if (this.link.isOpen) this.sendConstraints();
  }

  /** The transactions of a template (RequestTransactionData). Rejects with TemplateRequestError. */
  requestTransactionData(templateId: bigint): Promise<TransactionData> {
    return new Promise<TransactionData>((resolve, reject) => {
      if (!this.link.isOpen) {
        reject(new TemplateRequestError('disconnected', 'template provider not connected'));
        return;
      }
      const list = this.waiters.get(templateId) ?? [];
      const timer = this.clock.setTimeout(() => {
        const l = this.waiters.get(templateId);
        const i = l?.findIndex((w) => w.timer === timer) ?? -1;
        if (l && i >= 0) l.splice(i, 1);
        if (l?.length === 0) this.waiters.delete(templateId);
        reject(new TemplateRequestError('timeout', `no transaction data for template ${templateId}`));
      }, this.o.timeouts?.txDataMs ?? 10_000);
      list.push({ resolve, reject, timer });
      if (list.length === 1) {
        this.counters.txDataRequests++;
        this.link.send({ type: 'RequestTransactionData', templateId });
      }
      this.waiters.set(templateId, list);
    });
  }

  /**
   * Hands a block to the node. Sent at once when connected, else queued for the next session (a block
   * must never be dropped because the TP restarted). Returns true when it went out now.
   */
  submitSolution(s: Solution): boolean {
    if (
      this.link.send({
        type: 'SubmitSolution',
        templateId: s.templateId,
        version: s.version >>> 0,
        headerTimestamp: s.headerTimestamp >>> 0,
        headerNonce: s.headerNonce >>> 0,
        coinbaseTx: s.coinbaseTx,
      })
    ) {
      this.counters.solutionsSent++;
      return true;
    }
    if (this.queued.length >= MAX_QUEUED_SOLUTIONS) this.queued.shift();
    this.queued.push(s);
    this.log.warn({ templateId: String(s.templateId) }, 'template provider not connected: block solution queued for the next session');
    return false;
  }

  private sendConstraints(): void {
    this.link.send({
      type: 'CoinbaseOutputConstraints',
      coinbaseOutputMaxAdditionalSize: this.constraints.maxAdditionalSize >>> 0,
      coinbaseOutputMaxAdditionalSigops: Math.min(0xffff, this.constraints.maxAdditionalSigops),
    });
  }

  private onOpen(): void {
    // Spec 7.3.1: CoinbaseOutputConstraints right after SetupConnection.Success.
    this.sendConstraints();
    for (const s of this.queued.splice(0)) this.submitSolution(s);
  }

  private onClose(reason: string): void {
    // Templates were the node's view through this session; a new session starts from its best template.
    this.future.clear();
    this.active.clear();
    this.prev = null;
    this.latest = undefined;
    for (const [id, list] of this.waiters)
      for (const w of list) {
        this.clock.clearTimeout(w.timer);
        w.reject(new TemplateRequestError('disconnected', `template provider connection ended before the data of template ${id} arrived: ${reason}`));
      }
    this.waiters.clear();
  }

  private protocolError(what: string, drop = false): void {
    this.counters.protocolErrors++;
    this.log.warn({ err: what }, 'template provider protocol error');
    if (drop) this.link.end(what);
  }

  private onMessage(m: Sv2Message): void {
    switch (m.type) {
      case 'NewTemplate':
        return this.onNewTemplate(m);
      case 'SetNewPrevHashTdp':
        return this.onSetNewPrevHash(m);
      case 'RequestTransactionDataSuccess': {
        const list = this.waiters.get(m.templateId);
        if (!list) return this.protocolError(`unrequested transaction data for template ${m.templateId}`);
        this.waiters.delete(m.templateId);
        for (const w of list) {
          this.clock.clearTimeout(w.timer);
          w.resolve({ transactions: m.transactionList, excessData: m.excessData });
        }
        return;
      }
      case 'RequestTransactionDataError': {
        const list = this.waiters.get(m.templateId);
        if (!list) return this.protocolError(`unrequested RequestTransactionData.Error for template ${m.templateId}`);
        this.waiters.delete(m.templateId);
        for (const w of list) {
          this.clock.clearTimeout(w.timer);
          w.reject(new TemplateRequestError(m.errorCode, `template ${m.templateId}: ${m.errorCode}`));
        }
        return;
      }
      default:
        return this.protocolError(`unexpected ${m.type} from a template provider`);
    }
  }

  private onNewTemplate(m: Sv2MessageOf<'NewTemplate'>): void {
    let outputs: TxOutput[];
    try {
      outputs = parseOutputs(m.coinbaseTxOutputs, m.coinbaseTxOutputsCount);
    } catch (err) {
      return this.protocolError(`template ${m.templateId}: coinbase outputs do not parse (${err instanceof Error ? err.message : String(err)})`);
    }
    // Spec 7.3.2: at most 8 bytes; the scriptSig must also leave room for our extranonce.
    if (m.coinbasePrefix.length > 8) return this.protocolError(`template ${m.templateId}: coinbase_prefix of ${m.coinbasePrefix.length} bytes (at most 8)`);
    const t: Template = {
      templateId: m.templateId,
      future: m.futureTemplate,
      version: m.version,
      coinbaseTxVersion: m.coinbaseTxVersion,
      coinbasePrefix: m.coinbasePrefix.slice(),
      coinbaseTxInputSequence: m.coinbaseTxInputSequence,
      valueRemaining: m.coinbaseTxValueRemaining,
      outputs,
      locktime: m.coinbaseTxLocktime,
      merklePath: m.merklePath.map((p) => p.slice()),
    };
    this.counters.templates++;
    this.log.debug({ templateId: String(t.templateId), future: t.future, txBranch: t.merklePath.length, value: String(t.valueRemaining) }, 'template');
    if (t.future || !this.prev) {
      // A non-future template before any prev hash can only wait for one.
      if (this.future.size >= MAX_FUTURE_TEMPLATES) this.future.delete(this.future.keys().next().value as bigint);
      this.future.set(t.templateId, t);
      return;
    }
    this.activate(t, false);
  }

  private onSetNewPrevHash(m: Sv2MessageOf<'SetNewPrevHashTdp'>): void {
    this.counters.prevHashes++;
    this.prev = { prevHash: m.prevHash.slice(), nbits: m.nbits, headerTimestamp: m.headerTimestamp, networkTarget: u256LeToBigInt(m.target) };
    const t = this.future.get(m.templateId);
    this.future.clear();
    this.active.clear();
    this.latest = undefined;
    for (const [id, list] of this.waiters)
      for (const w of list) {
        this.clock.clearTimeout(w.timer);
        w.reject(new TemplateRequestError('stale-template-id', `template ${id} is stale (new prev hash)`));
      }
    this.waiters.clear();
    this.log.info({ prevHash: toHex(m.prevHash.slice().reverse()), templateId: String(m.templateId), nbits: m.nbits.toString(16) }, 'new prev hash');
    if (!t) {
      // The spec forbids naming an unknown template; a fresh session starts from the TP's best template.
      this.protocolError(`SetNewPrevHash names unknown template ${m.templateId}`, true);
      return;
    }
    this.activate(t, true);
  }

  private activate(t: Template, newPrevHash: boolean): void {
    const p = this.prev as NonNullable<typeof this.prev>;
    const a: ActiveTemplate = {
      template: t,
      prevHash: p.prevHash,
      nbits: p.nbits,
      headerTimestamp: p.headerTimestamp,
      networkTarget: p.networkTarget,
      newPrevHash,
      receivedAt: this.clock.now(),
    };
    if (this.active.size >= MAX_ACTIVE_TEMPLATES) this.active.delete(this.active.keys().next().value as bigint);
    this.active.set(t.templateId, a);
    this.latest = a;
    this.emit('template', a);
  }
}
