/**
 * A real Stratum V1 pool for the lab (127.0.0.1 only): jobs from real block material
 * (block-data.ts), every share checked by SHA-256d against the job it names (sv1-share-check.ts), and
 * the usual replies and errors. It speaks the same extensions our client uses (BIP310 configure and
 * set_version_mask, suggest_difficulty, extranonce.subscribe / set_extranonce, client.reconnect,
 * client.show_message) so the client can be tested against something that judges it.
 *
 * Jobs: a new job every `notifyIntervalMs` (same prev hash, newer ntime, clean_jobs false) and a new
 * "block" every `cleanIntervalMs` (next lab block, varied prev hash, clean_jobs true). Shares for jobs
 * before the last clean are stale (21). A difficulty change applies to jobs sent after it (ckpool's rule).
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { systemClock, type Clock, type TimerHandle } from '../../src/clock.js';
import { logger } from '../../src/log.js';
import { TypedEmitter } from '../../src/typed-emitter.js';
import { toHex, u32Hex, writeU32BE } from '../../src/work/bytes.js';
import { prevHashToStratumV1 } from '../../src/work/byte-order.js';
import { BIP320_MASK, popcount32 } from '../../src/work/version-rolling.js';
import { labCoinbase, loadLabBlocks, variedPrevHash, type LabBlock } from './block-data.js';
import { checkSv1Share, shareKey, type LabV1Job } from './sv1-share-check.js';
import { decodeSv1Line, Sv1ProtocolError, type Sv1Id, type Sv1Request } from '../../src/upstream/sv1/json-rpc.js';
import { LineSplitter } from '../../src/upstream/sv1/line-splitter.js';
import {
  parseAuthorizeParams,
  parseConfigureParams,
  parseSubmitParams,
  parseSubscribeParams,
  parseSuggestDifficultyParams,
  type SubmitParams,
} from '../../src/upstream/sv1/miner-messages.js';

/** How the pool words its errors: the four shapes of stratum-v1-lines.jsonl. */
export type Sv1ErrorStyle = 'array' | 'string' | 'reject-reason' | 'jsonrpc2';

export interface Sv1LabPoolOptions {
  /** 0 = ephemeral. */
  port?: number;
  /** Share difficulty (fractional and tiny values allowed, for CPU mining). Default 1. */
  difficulty?: number;
  /** Mask the pool allows; the grant is this & the miner's requested mask. Default BIP320. 0 = no version rolling. */
  versionMask?: number;
  /** Send mining.set_version_mask (with this mask, narrowed to the grant) before the subscribe reply, as Braiins pools do. */
  versionMaskBeforeSubscribe?: number;
  extranonce1Size?: number;
  extranonce2Size?: number;
  /** New (non-clean) job interval. Default 30 s; 0 = never. */
  notifyIntervalMs?: number;
  /** New block (clean_jobs) interval. Default 10 min; 0 = never. */
  cleanIntervalMs?: number;
  errorStyle?: Sv1ErrorStyle;
  /** Decides mining.authorize; default: any non-empty user. */
  authorize?: (user: string, password: string) => boolean;
  /** Methods the pool receives but never answers (an old pool that ignores mining.configure, a pool that drops submits). */
  ignoreMethods?: string[];
  /** Honour mining.suggest_difficulty for the connection's next jobs. Default true. */
  honourSuggestedDifficulty?: boolean;
  tls?: { certFile: string; keyFile: string } | { cert: string | Buffer; key: string | Buffer };
  clock?: Clock;
  /** Vectors folder for block material (default ../shared/vectors). */
  vectorsDir?: string;
}

export interface Sv1LabShareEvent {
  connection: number;
  user: string;
  jobId: string;
  accepted: boolean;
  reason?: string;
  difficulty: number;
  shareDifficulty?: number;
  isBlock?: boolean;
  versionBits?: number;
}

export interface Sv1LabPoolStats {
  connections: number;
  activeConnections: number;
  jobs: number;
  accepted: number;
  rejected: number;
  rejectReasons: Record<string, number>;
  blocks: number;
  badLines: number;
}

type Events = {
  share: [e: Sv1LabShareEvent];
  request: [connection: number, method: string, params: unknown[]];
  connection: [connection: number];
};

interface Conn {
  n: number;
  socket: net.Socket;
  extranonce1: Uint8Array;
  extranonce2Size: number;
  subscribed: boolean;
  extranonceSubscribed: boolean;
  users: Set<string>;
  versionMask: number;
  difficulty: number;
  /** Difficulty each job was sent at. */
  jobDifficulty: Map<string, number>;
  seen: Set<string>;
  methods: string[];
}

const log = logger('lab.sv1-pool');

export class Sv1LabPool extends TypedEmitter<Events> {
  private readonly o: Required<Omit<Sv1LabPoolOptions, 'tls' | 'clock' | 'vectorsDir' | 'versionMaskBeforeSubscribe'>> &
    Pick<Sv1LabPoolOptions, 'tls' | 'versionMaskBeforeSubscribe'>;
  private readonly clock: Clock;
  private server?: net.Server;
  private readonly conns = new Map<number, Conn>();
  private nextConn = 1;
  private nextEn1 = 1;
  private readonly blocks: LabBlock[];
  readonly realBlocks: boolean;
  private round = 0;
  private jobSeq = 0;
  private readonly jobs = new Map<string, LabV1Job>();
  private readonly staleJobs = new Set<string>();
  private current?: LabV1Job;
  private notifyTimer?: TimerHandle;
  private cleanTimer?: TimerHandle;
  private boundPort = 0;
  private readonly counters: Sv1LabPoolStats = {
    connections: 0,
    activeConnections: 0,
    jobs: 0,
    accepted: 0,
    rejected: 0,
    rejectReasons: {},
    blocks: 0,
    badLines: 0,
  };
  /** Ordered methods received, per connection number (tests read the handshake order here). */
  readonly methodLog = new Map<number, string[]>();

  constructor(opts: Sv1LabPoolOptions = {}) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.o = {
      port: opts.port ?? 0,
      difficulty: opts.difficulty ?? 1,
      versionMask: opts.versionMask ?? BIP320_MASK,
      extranonce1Size: opts.extranonce1Size ?? 4,
      extranonce2Size: opts.extranonce2Size ?? 4,
      notifyIntervalMs: opts.notifyIntervalMs ?? 30_000,
      cleanIntervalMs: opts.cleanIntervalMs ?? 600_000,
      errorStyle: opts.errorStyle ?? 'array',
      authorize: opts.authorize ?? ((user) => user.length > 0),
      ignoreMethods: opts.ignoreMethods ?? [],
      honourSuggestedDifficulty: opts.honourSuggestedDifficulty ?? true,
      tls: opts.tls,
      versionMaskBeforeSubscribe: opts.versionMaskBeforeSubscribe,
    };
    if (!(this.o.difficulty > 0) || !Number.isFinite(this.o.difficulty)) throw new RangeError('difficulty must be a positive number');
    if (this.o.extranonce1Size < 1 || this.o.extranonce1Size > 16) throw new RangeError('extranonce1 size must be 1..16');
    if (this.o.extranonce2Size < 1 || this.o.extranonce2Size > 16) throw new RangeError('extranonce2 size must be 1..16');
    const lb = loadLabBlocks(opts.vectorsDir);
    this.blocks = lb.blocks;
    this.realBlocks = lb.real;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `${this.o.tls ? 'stratum+ssl' : 'stratum+tcp'}://127.0.0.1:${this.boundPort}`;
  }

  /** Listens on 127.0.0.1; resolves with the URL (the actual port when 0 was asked). */
  async start(): Promise<string> {
    if (this.server) return this.url;
    this.makeJob(true);
    const onSocket = (s: net.Socket): void => this.onConnection(s);
    let server: net.Server;
    if (this.o.tls) {
      const t = this.o.tls;
      const cert = 'certFile' in t ? readFileSync(t.certFile) : t.cert;
      const key = 'keyFile' in t ? readFileSync(t.keyFile) : t.key;
      server = tls.createServer({ cert, key }, onSocket);
    } else {
      server = net.createServer(onSocket);
    }
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : this.o.port;
    if (this.o.notifyIntervalMs > 0) this.notifyTimer = this.clock.setInterval(() => this.broadcastJob(false), this.o.notifyIntervalMs);
    if (this.o.cleanIntervalMs > 0) this.cleanTimer = this.clock.setInterval(() => this.broadcastJob(true), this.o.cleanIntervalMs);
    log.info({ url: this.url, difficulty: this.o.difficulty, realBlocks: this.realBlocks }, 'lab SV1 pool listening');
    return this.url;
  }

  /** Closes the listener and every connection (the "killed pool" of the failover tests). */
  async stop(): Promise<void> {
    this.clock.clearInterval(this.notifyTimer);
    this.clock.clearInterval(this.cleanTimer);
    this.notifyTimer = this.cleanTimer = undefined;
    const server = this.server;
    this.server = undefined;
    for (const c of this.conns.values()) c.socket.destroy();
    this.conns.clear();
    this.counters.activeConnections = 0;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  stats(): Sv1LabPoolStats {
    return { ...this.counters, rejectReasons: { ...this.counters.rejectReasons } };
  }

  /** Sends a new job now (clean = new block). */
  newJob(clean: boolean): void {
    this.broadcastJob(clean);
  }

  /** Changes the difficulty of every connection; applies to the jobs sent after it. */
  setDifficulty(d: number, opts: { thenNotify?: boolean } = {}): void {
    if (!(d > 0) || !Number.isFinite(d)) throw new RangeError('difficulty must be a positive number');
    this.o.difficulty = d;
    for (const c of this.conns.values()) {
      c.difficulty = d;
      if (c.subscribed) this.notification(c, 'mining.set_difficulty', [d]);
    }
    if (opts.thenNotify) this.broadcastJob(false);
  }

  /** Sends a notification to every subscribed connection (client.reconnect, client.show_message, ...). */
  broadcast(method: string, params: unknown[], id: Sv1Id = null): void {
    for (const c of this.conns.values()) if (c.subscribed) this.write(c, { id, method, params });
  }

  /** Sends raw bytes to every connection (tests of malformed input). */
  broadcastRaw(data: string | Uint8Array): void {
    for (const c of this.conns.values()) c.socket.write(data);
  }

  /** mining.set_version_mask to every connection that negotiated version rolling; valid at once (BIP310). */
  setVersionMask(mask: number): void {
    for (const c of this.conns.values()) {
      if (c.versionMask === 0) continue;
      c.versionMask = (mask & this.o.versionMask) >>> 0;
      this.notification(c, 'mining.set_version_mask', [u32Hex(c.versionMask)]);
    }
  }

  /** New extranonce1 for every extranonce-subscribed connection, then a clean job. */
  rotateExtranonce(): void {
    for (const c of this.conns.values()) {
      if (!c.extranonceSubscribed) continue;
      c.extranonce1 = this.allocExtranonce1();
      this.notification(c, 'mining.set_extranonce', [toHex(c.extranonce1), c.extranonce2Size]);
    }
    this.broadcastJob(true);
  }

  /** Connection numbers currently open. */
  connectionIds(): number[] {
    return [...this.conns.keys()];
  }

  // ---- jobs ----

  private makeJob(clean: boolean): LabV1Job {
    if (clean || !this.current) {
      if (this.current) this.round++;
      for (const id of this.jobs.keys()) this.staleJobs.add(id);
      this.jobs.clear();
      // Bound the stale set: a share for a job this old is "not found" rather than "stale".
      if (this.staleJobs.size > 1024) this.staleJobs.clear();
      // Duplicates only matter within live jobs; a share for a stale job is rejected as stale anyway.
      for (const c of this.conns.values()) c.seen.clear();
    }
    const block = this.blocks[this.round % this.blocks.length] as LabBlock;
    const { prefix, suffix } = labCoinbase(block, this.o.extranonce1Size + this.o.extranonce2Size);
    const job: LabV1Job = {
      id: (++this.jobSeq).toString(16),
      prevHashStratum: prevHashToStratumV1(variedPrevHash(block, this.round)),
      coinb1: prefix,
      coinb2: suffix,
      merkleBranch: block.merkleBranch,
      version: block.version,
      nbits: block.nbits,
      ntime: this.clock.wallSeconds(),
    };
    this.jobs.set(job.id, job);
    this.current = job;
    this.counters.jobs++;
    return job;
  }

  private broadcastJob(clean: boolean): void {
    const job = this.makeJob(clean);
    for (const c of this.conns.values()) if (c.subscribed && c.users.size > 0) this.sendJob(c, job, clean);
  }

  private sendJob(c: Conn, job: LabV1Job, clean: boolean): void {
    c.jobDifficulty.set(job.id, c.difficulty);
    if (c.jobDifficulty.size > 256) c.jobDifficulty.delete(c.jobDifficulty.keys().next().value as string);
    this.notification(c, 'mining.notify', [
      job.id,
      toHex(job.prevHashStratum),
      toHex(job.coinb1),
      toHex(job.coinb2),
      job.merkleBranch.map(toHex),
      u32Hex(job.version),
      u32Hex(job.nbits),
      u32Hex(job.ntime),
      clean,
    ]);
  }

  private allocExtranonce1(): Uint8Array {
    const b = new Uint8Array(this.o.extranonce1Size);
    const v = new Uint8Array(4);
    writeU32BE(v, 0, this.nextEn1++);
    // Low bytes of a counter, so every connection of this pool gets a different extranonce1.
    b.set(v.subarray(Math.max(0, 4 - b.length)), Math.max(0, b.length - 4));
    return b;
  }

  // ---- connections ----

  private onConnection(socket: net.Socket): void {
    const n = this.nextConn++;
    const c: Conn = {
      n,
      socket,
      extranonce1: this.allocExtranonce1(),
      extranonce2Size: this.o.extranonce2Size,
      subscribed: false,
      extranonceSubscribed: false,
      users: new Set(),
      versionMask: 0,
      difficulty: this.o.difficulty,
      jobDifficulty: new Map(),
      seen: new Set(),
      methods: [],
    };
    this.conns.set(n, c);
    this.methodLog.set(n, c.methods);
    this.counters.connections++;
    this.counters.activeConnections++;
    socket.setNoDelay(true);
    const splitter = new LineSplitter(64 * 1024, {
      line: (l) => this.onLine(c, l),
      overlong: () => {
        this.counters.badLines++;
        socket.destroy();
      },
    });
    socket.on('data', (d: Buffer) => splitter.push(d));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.conns.delete(n)) this.counters.activeConnections--;
    });
    this.emit('connection', n);
  }

  private write(c: Conn, obj: unknown): void {
    if (!c.socket.destroyed) c.socket.write(`${JSON.stringify(obj)}\n`);
  }

  private notification(c: Conn, method: string, params: unknown[]): void {
    this.write(c, { id: null, method, params });
  }

  private reply(c: Conn, id: Sv1Id, result: unknown): void {
    this.write(c, { id, result, error: null });
  }

  private replyError(c: Conn, id: Sv1Id, code: number, message: string): void {
    switch (this.o.errorStyle) {
      case 'array':
        this.write(c, { id, result: null, error: [code, message, null] });
        break;
      case 'string':
        this.write(c, { id, result: false, error: message });
        break;
      case 'reject-reason':
        this.write(c, { 'reject-reason': message, result: false, error: null, id });
        break;
      case 'jsonrpc2':
        this.write(c, { jsonrpc: '2.0', error: { code, message, data: null }, id });
        break;
    }
  }

  private onLine(c: Conn, line: string): void {
    let m;
    try {
      m = decodeSv1Line(line);
    } catch {
      this.counters.badLines++;
      return;
    }
    if (m.type !== 'request') return; // replies to client.get_version / ping: nothing to do
    c.methods.push(m.method);
    this.emit('request', c.n, m.method, m.params);
    if (this.o.ignoreMethods.includes(m.method)) return;
    try {
      this.onRequest(c, m);
    } catch (err) {
      if (!(err instanceof Sv1ProtocolError)) throw err;
      if (m.method === 'mining.submit') {
        // A submit the pool cannot even read is still a rejected share for the counters.
        this.counters.rejected++;
        this.counters.rejectReasons['malformed submit'] = (this.counters.rejectReasons['malformed submit'] ?? 0) + 1;
      }
      this.replyError(c, m.id, 20, err.message);
    }
  }

  private onRequest(c: Conn, m: Sv1Request): void {
    switch (m.method) {
      case 'mining.configure': {
        const req = parseConfigureParams(m.params);
        const result: Record<string, unknown> = {};
        for (const ext of req.extensions) result[ext] = false;
        if (req.extensions.includes('version-rolling')) {
          // BIP310: response = server_mask & miner_mask (miner mask defaults to ffffffff).
          const granted = ((req.versionRollingMask ?? 0xffffffff) & this.o.versionMask) >>> 0;
          if (granted !== 0) {
            c.versionMask = granted;
            result['version-rolling'] = true;
            result['version-rolling.mask'] = u32Hex(granted);
            if (req.versionRollingMinBitCount !== undefined && popcount32(granted) < req.versionRollingMinBitCount) {
              log.info({ granted: u32Hex(granted), minBitCount: req.versionRollingMinBitCount }, 'granted fewer bits than the miner asked for');
            }
          }
        }
        this.reply(c, m.id, result);
        return;
      }
      case 'mining.subscribe': {
        parseSubscribeParams(m.params);
        if (this.o.versionMaskBeforeSubscribe !== undefined && c.versionMask !== 0) {
          c.versionMask = (this.o.versionMaskBeforeSubscribe & c.versionMask) >>> 0;
          this.notification(c, 'mining.set_version_mask', [u32Hex(c.versionMask)]);
        }
        c.subscribed = true;
        this.reply(c, m.id, [
          [
            ['mining.set_difficulty', `d${c.n}`],
            ['mining.notify', `n${c.n}`],
          ],
          toHex(c.extranonce1),
          c.extranonce2Size,
        ]);
        this.maybeStartWork(c);
        return;
      }
      case 'mining.authorize': {
        const { user, password } = parseAuthorizeParams(m.params);
        if (!c.subscribed) {
          this.replyError(c, m.id, 25, 'not subscribed');
          return;
        }
        if (!this.o.authorize(user, password)) {
          this.replyError(c, m.id, 24, 'unauthorized worker');
          return;
        }
        c.users.add(user);
        this.reply(c, m.id, true);
        this.maybeStartWork(c);
        return;
      }
      case 'mining.suggest_difficulty': {
        const d = parseSuggestDifficultyParams(m.params);
        this.reply(c, m.id, true);
        if (this.o.honourSuggestedDifficulty && d !== c.difficulty) {
          c.difficulty = d;
          if (c.users.size > 0) {
            this.notification(c, 'mining.set_difficulty', [d]);
            if (this.current) this.sendJob(c, this.current, true);
          }
        }
        return;
      }
      case 'mining.extranonce.subscribe':
        c.extranonceSubscribed = true;
        this.reply(c, m.id, true);
        return;
      case 'mining.submit':
        this.onSubmit(c, m.id, parseSubmitParams(m.params));
        return;
      default:
        this.replyError(c, m.id, 20, `unknown method ${m.method.slice(0, 64)}`);
    }
  }

  /** The first difficulty and job go out once the connection is subscribed and authorized. */
  private maybeStartWork(c: Conn): void {
    if (!c.subscribed || c.users.size === 0 || c.jobDifficulty.size > 0 || !this.current) return;
    this.notification(c, 'mining.set_difficulty', [c.difficulty]);
    this.sendJob(c, this.current, true);
  }

  private onSubmit(c: Conn, id: Sv1Id, s: SubmitParams): void {
    const reject = (code: number, message: string, difficulty = c.difficulty): void => {
      this.counters.rejected++;
      // Count by reason without the per-share detail in parentheses.
      const key = message.replace(/ \(.*\)$/, '');
      this.counters.rejectReasons[key] = (this.counters.rejectReasons[key] ?? 0) + 1;
      this.replyError(c, id, code, message);
      this.emit('share', {
        connection: c.n,
        user: s.user,
        jobId: s.jobId,
        accepted: false,
        reason: message,
        difficulty,
        ...(s.versionBits !== undefined ? { versionBits: s.versionBits } : {}),
      });
    };
    if (!c.subscribed) return reject(25, 'not subscribed');
    if (!c.users.has(s.user)) return reject(24, 'unauthorized worker');
    const job = this.jobs.get(s.jobId);
    const difficulty = c.jobDifficulty.get(s.jobId);
    if (!job || difficulty === undefined) {
      if (this.staleJobs.has(s.jobId) && difficulty !== undefined) return reject(21, 'stale job');
      return reject(21, 'job not found');
    }
    const key = shareKey(s);
    if (c.seen.has(key)) return reject(22, 'duplicate share', difficulty);
    const r = checkSv1Share({ job, extranonce1: c.extranonce1, extranonce2Size: c.extranonce2Size, versionMask: c.versionMask, difficulty, submit: s });
    if (!r.ok) return reject(r.code, r.message, difficulty);
    c.seen.add(key);
    this.counters.accepted++;
    if (r.isBlock) this.counters.blocks++;
    this.reply(c, id, true);
    this.emit('share', {
      connection: c.n,
      user: s.user,
      jobId: s.jobId,
      accepted: true,
      difficulty,
      shareDifficulty: r.shareDifficulty,
      isBlock: r.isBlock,
      ...(s.versionBits !== undefined ? { versionBits: s.versionBits } : {}),
    });
  }
}

/** Used by the CLI to show the extranonce space a client gets. */
export function describeLabPool(p: Sv1LabPool): string {
  return `${p.url}${p.realBlocks ? '' : ' (synthetic blocks: vectors folder not found)'}`;
}
