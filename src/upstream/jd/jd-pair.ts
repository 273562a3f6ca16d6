/**
 * One pool + JDS pair as the Job Declarator client uses it: the pool's Job Declarator Server
 * (JobDeclaratorClient: tokens, declarations, PushSolution) and the pool itself (Sv2MiningClient with
 * REQUIRES_WORK_SELECTION on an extended channel: SetCustomMiningJob, shares on custom job ids).
 *
 * Tokens are allocated ahead of need (spec 6.4.2): `tokensAhead` are kept in stock while the JDS is
 * connected, so that a new template can be declared at once. Tokens belong to a JDS connection; a
 * reconnect throws the stock away.
 */
import { failureText } from '../session-failure.js';
import { TypedEmitter } from '../../typed-emitter.js';
import type { Clock, TimerHandle } from '../../clock.js';
import { logger, type Logger } from '../../log.js';
import { parseOutputList, type TxOutput } from '../../work/tx-outputs.js';
import { Sv2MiningClient } from '../sv2/mining-client.js';
import { JobDeclaratorClient, JdsRequestError, type DeclarationMode, type MiningJobToken } from '../sv2/jds-client.js';
import type { ChannelParams } from '../sv2/client-channel.js';
import type { BackoffOptions } from '../sv2/backoff.js';
import { MiningSuccessFlags } from '../sv2/messages/common.js';

export interface JdPairConfig {
  /** Name for logs, alarms and stats (default: the pool URL). */
  name: string;
  /** The pool's mining URL (stratum2+tcp://host:port/<authority key>). */
  poolUrl: string;
  /** The pool's Job Declarator Server URL. */
  jdsUrl: string;
  /** Pool login (user_identity / user_identifier). */
  user: string;
  allowUnauthenticated?: boolean;
  plain?: boolean;
}

export interface JdPairOptions {
  mode: DeclarationMode;
  nominalHashrate: number;
  clock: Clock;
  /** Bytes of extranonce our chains roll (OpenExtendedMiningChannel.min_extranonce_size). */
  minExtranonceSize: number;
  tokensAhead: number;
  versionMask?: number;
  backoff?: BackoffOptions;
  random?: () => number;
  timeouts?: { connectMs?: number; handshakeMs?: number; setupMs?: number; tokenMs?: number; declareMs?: number; customJobMs?: number; shareAckMs?: number };
}

/** A token with the pool's outputs already parsed. */
export interface PairToken extends MiningJobToken {
  outputs: TxOutput[];
}

export type JdPairEvents = {
  /** Channel open and JDS set up: declarations can start. */
  ready: [];
  /** One side went down (the clients reconnect by themselves). */
  down: [reason: string];
  /** The channel's share target changed. */
  target: [target: bigint];
  /** A token request timed out or the JDS sent unusable outputs. */
  failure: [kind: 'timeout' | 'protocol', detail: string];
};

interface TokenWaiter {
  resolve: (t: PairToken) => void;
  reject: (e: Error) => void;
  timer: TimerHandle;
}

export class JdPair extends TypedEmitter<JdPairEvents> {
  readonly jds: JobDeclaratorClient;
  readonly mining: Sv2MiningClient;
  private readonly log: Logger;
  private readonly stock: PairToken[] = [];
  private inFlight = 0;
  private readonly waiters: TokenWaiter[] = [];
  private wasReady = false;
  private stopped = false;

  constructor(
    readonly cfg: JdPairConfig,
    readonly index: number,
    private readonly o: JdPairOptions,
  ) {
    super();
    this.log = logger('jd.pair', { pool: cfg.name });
    const t = o.timeouts ?? {};
    this.jds = new JobDeclaratorClient({
      url: cfg.jdsUrl,
      user: cfg.user,
      mode: o.mode,
      clock: o.clock,
      timeouts: t,
      ...(cfg.allowUnauthenticated !== undefined ? { allowUnauthenticated: cfg.allowUnauthenticated } : {}),
      ...(cfg.plain !== undefined ? { plain: cfg.plain } : {}),
      ...(o.backoff ? { backoff: o.backoff } : {}),
      ...(o.random ? { random: o.random } : {}),
    });
    this.mining = new Sv2MiningClient({
      id: cfg.name,
      url: cfg.poolUrl,
      user: cfg.user,
      channel: 'extended',
      workSelection: true,
      // The chips roll versions: ask for it (an extended channel copes with a refusal, spec 5.3.1).
      requireVersionRolling: true,
      chipsRollVersions: true,
      nominalHashrate: o.nominalHashrate,
      minExtranonceSize: o.minExtranonceSize,
      clock: o.clock,
      timeouts: t,
      ...(o.versionMask !== undefined ? { versionMask: o.versionMask } : {}),
      ...(cfg.allowUnauthenticated !== undefined ? { allowUnauthenticated: cfg.allowUnauthenticated } : {}),
      ...(cfg.plain !== undefined ? { plain: cfg.plain } : {}),
      ...(o.backoff ? { backoff: o.backoff } : {}),
      ...(o.random ? { random: o.random } : {}),
    });
    this.jds.on('state', (s, failure) => {
      if (s === 'ready') this.refill();
      else this.dropTokens(failureText(failure) ?? s);
      this.check(failureText(failure));
    });
    this.mining.on('state', (_s, failure) => this.check(failureText(failure)));
    this.mining.on('target', (t) => this.emit('target', t));
  }

  get name(): string {
    return this.cfg.name;
  }

  /** Channel open and JDS connected. */
  get ready(): boolean {
    return !this.stopped && this.mining.state === 'ready' && this.jds.ready && this.mining.channelParams() !== undefined;
  }

  /** Tokens in stock, and AllocateMiningJobToken requests not answered yet. */
  tokenState(): { stock: number; inFlight: number } {
    return { stock: this.stock.length, inFlight: this.inFlight };
  }

  channel(): ChannelParams | undefined {
    return this.mining.channelParams();
  }

  /** 0 when the pool requires a fixed version (REQUIRES_FIXED_VERSION), else undefined (no constraint). */
  fixedVersion(): boolean {
    return ((this.mining.setupFlags() ?? 0) & MiningSuccessFlags.REQUIRES_FIXED_VERSION) !== 0;
  }

  start(): void {
    this.log.info({ jds: this.cfg.jdsUrl, pool: this.cfg.poolUrl }, 'starting pool + JDS pair');
    this.jds.start();
    this.mining.start();
  }

  async stop(reason = 'stopped'): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.dropTokens(reason);
    this.jds.stop(reason);
    await this.mining.stop(reason);
  }

  /** A token from stock, or the next one the JDS sends. Rejects on timeout or when the pair stops. */
  takeToken(timeoutMs: number): Promise<PairToken> {
    const t = this.stock.shift();
    this.refill();
    if (t) return Promise.resolve(t);
    return new Promise<PairToken>((resolve, reject) => {
      const w: TokenWaiter = {
        resolve,
        reject,
        timer: this.o.clock.setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new JdsRequestError('timeout', `no mining job token from the JDS within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs),
      };
      this.waiters.push(w);
    });
  }

  /** A token taken but not used (its template was replaced before it was declared). */
  returnToken(t: PairToken): void {
    if (this.stopped || !this.jds.ready) return;
    const w = this.waiters.shift();
    if (w) {
      this.o.clock.clearTimeout(w.timer);
      w.resolve(t);
      return;
    }
    this.stock.unshift(t);
  }

  private check(reason?: string): void {
    if (this.stopped) return;
    const r = this.ready;
    if (r && !this.wasReady) {
      this.wasReady = true;
      this.log.info({ channel: this.mining.channelParams()?.channelId }, 'pair ready: custom jobs can be declared');
      this.emit('ready');
    } else if (!r && this.wasReady) {
      this.wasReady = false;
      this.emit('down', reason ?? 'pair not ready');
    }
  }

  private dropTokens(reason: string): void {
    this.stock.length = 0;
    for (const w of this.waiters.splice(0)) {
      this.o.clock.clearTimeout(w.timer);
      w.reject(new JdsRequestError('disconnected', `JDS connection lost: ${reason}`));
    }
  }

  private refill(): void {
    while (!this.stopped && this.jds.ready && this.stock.length + this.inFlight - this.waiters.length < this.o.tokensAhead) {
      this.inFlight++;
      this.jds.allocateToken().then(
        (t) => {
          this.inFlight--;
          let outputs: TxOutput[];
          try {
            outputs = parseOutputList(t.coinbaseOutputs);
            if (outputs.length === 0) throw new Error('no outputs');
          } catch (err) {
            this.emit('failure', 'protocol', `JDS token carries unusable coinbase outputs (${err instanceof Error ? err.message : String(err)})`);
            return;
          }
          const pt: PairToken = { ...t, outputs };
          const w = this.waiters.shift();
          if (w) {
            this.o.clock.clearTimeout(w.timer);
            w.resolve(pt);
          } else this.stock.push(pt);
        },
        (err: unknown) => {
          this.inFlight--;
          if (err instanceof JdsRequestError && err.code === 'timeout') this.emit('failure', 'timeout', err.message);
        },
      );
    }
  }
}
