/**
 * `asic-agent probe stratum2+tcp://…`: checks an SV2 pool before a miner is pointed at it. One
 * connection attempt: handshake and certificate result, setup flags, channel parameters, target as
 * difficulty, the first jobs; with `cpuMine`, CPU mining at the pool's target and the pool's verdict on
 * every share. The result becomes the JSON last line of the command.
 */
import type { ProbeOptions, ProbeResult } from '../../cli/probe.js';
import { systemClock } from '../../clock.js';
import { toHex } from '../../work/bytes.js';
import { reverseBytes } from '../../work/byte-order.js';
import { JobSearch } from '../../../workshop/cpu-miner/job-search.js';
import { MiningHasher } from '../../work/sha256-engine.js';
import { nbitsToTarget } from '../../work/target.js';
import type { Job, ShareOutcome } from '../job.js';
import { Sv2MiningClient, type SessionInfo } from './mining-client.js';
import { MiningSuccessFlags, MiningSetupFlags } from './messages/common.js';
import { parseSv2Url } from './url.js';

/** Nonces per slice of CPU mining; small enough that pool messages are handled between slices. */
const SLICE = 40_000;
/** Longest wait for the pool to acknowledge the last shares after mining stops. */
const ACK_WAIT_MS = 5_000;
/** Nominal hashrate announced when not CPU mining: a typical ASIC miner (100 TH/s). */
const DEFAULT_PROBE_HASHRATE = 1e14;

function flagNames(flags: number, table: Record<string, number>): string[] {
  return Object.entries(table)
    .filter(([, bit]) => (flags & bit) !== 0)
    .map(([name]) => name);
}

function fmtTime(s: number): string {
  return new Date(s * 1000).toISOString();
}

/** A rough CPU hash rate, to announce a sensible nominal_hash_rate before mining. */
function measureCpuRate(): number {
  const h = new MiningHasher();
  h.setHeader(new Uint8Array(80));
  let n = 0;
  // Warm up first so the optimising compiler has run, then measure.
  for (const end = performance.now() + 100; performance.now() < end; ) for (let i = 0; i < 5000; i++) h.topWord(n++);
  const t0 = performance.now();
  let m = 0;
  while (performance.now() - t0 < 150) for (let i = 0; i < 5000; i++, m++) h.topWord(n++);
  return m / ((performance.now() - t0) / 1000);
}

export async function probeSv2(opts: ProbeOptions): Promise<ProbeResult> {
  const result: ProbeResult = { url: opts.url, protocol: 'sv2', handshake: 'not attempted', channel: null, difficulty: null, jobs: 0, accepted: 0, rejected: 0 };
  const say = opts.say;
  let client: Sv2MiningClient;
  const cpuRate = opts.cpuMine ? measureCpuRate() : 0;
  try {
    const url = parseSv2Url(opts.url);
    say(`pool ${url.host}:${url.port}, authority key ${url.authorityKeyText ?? '(none: unauthenticated)'}`);
    client = new Sv2MiningClient({
      url: opts.url,
      user: opts.user,
      password: opts.password,
      channel: opts.channel,
      nominalHashrate: opts.hashrate ?? (opts.cpuMine ? cpuRate : DEFAULT_PROBE_HASHRATE),
      allowUnauthenticated: opts.allowUnauthenticated,
      plain: opts.plain ?? false,
      reconnect: false,
    });
  } catch (err) {
    result.handshake = err instanceof Error ? err.message : String(err);
    say(`refused: ${result.handshake}`);
    return result;
  }

  const clock = systemClock;
  let session: SessionInfo | null = null;
  let ended: string | null = null;
  let finishing = false;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const waitFor = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        wake = null;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  let job: Job | undefined;
  let stale = 0;
  let discarded = 0;
  let lost = 0;
  const reasons: Record<string, number> = {};
  const pending = new Set<Promise<ShareOutcome>>();

  client.on('session', (info) => {
    session = info;
    result.handshake = 'ok';
    const hs = info.handshake;
    if (hs.server) {
      const c = hs.server.certificate;
      say(`noise handshake ok: ${hs.server.authenticated ? 'certificate verified' : 'certificate NOT verified (no authority key)'}, version ${c.version}, valid ${fmtTime(c.validFrom)} .. ${fmtTime(c.notValidAfter)}`);
      say(`pool static key (x-only) ${toHex(hs.server.serverStaticXOnly)}`);
      result.certificate = { authenticated: hs.server.authenticated, version: c.version, validFrom: c.validFrom, notValidAfter: c.notValidAfter };
    } else say('plain connection: no encryption, no authentication');
    const sf = flagNames(info.setup.flags, MiningSuccessFlags);
    say(`setup: version ${info.setup.usedVersion}, we asked [${flagNames(info.setup.requestedFlags, MiningSetupFlags).join(', ')}], pool flags 0x${info.setup.flags.toString(16)} [${sf.join(', ')}]`);
    const ch = info.channel;
    say(`channel: ${ch.kind} #${ch.channelId} (group ${ch.groupChannelId}), extranonce prefix ${toHex(ch.extranoncePrefix) || '(empty)'}${ch.kind === 'extended' ? `, ${ch.extranonceSize} bytes to roll` : ''}`);
    say(`target ${ch.target.toString(16).padStart(64, '0')} = difficulty ${info.difficulty.toPrecision(6)}`);
    result.channel = ch.kind;
    result.difficulty = info.difficulty;
    result.setupFlags = info.setup.flags;
    result.channelId = ch.channelId;
    notify();
  });
  client.on('disconnected', (reason, phase) => {
    if (finishing) return;
    ended = reason;
    if (!session) {
      result.handshake = `${phase}: ${reason}`;
      say(`failed during ${phase}: ${reason}`);
    } else say(`disconnected: ${reason}`);
    notify();
  });
  client.on('target', (t) => {
    if (!session) return;
    const d = client.stats().difficulty ?? null;
    if (d !== null && d !== result.difficulty) say(`new target ${t.toString(16).padStart(64, '0')} = difficulty ${d.toPrecision(6)}`);
    result.difficulty = d;
  });
  client.on('job', (j) => {
    result.jobs++;
    if (result.jobs <= 3) {
      const kind = j.work.kind === 'header' ? 'header-only' : `coinbase (${j.work.coinbasePrefix.length}+${j.work.extranonceSize}+${j.work.coinbaseSuffix.length} bytes, ${j.work.merkleBranch.length} branch hashes)`;
      say(`job ${j.id}${j.clean ? ' (new prev hash)' : ''}: prev ${toHex(reverseBytes(j.prevHash))}, version 0x${j.version.toString(16)} mask 0x${j.versionMask.toString(16)}, nbits 0x${j.nbits.toString(16)}, ntime ${j.ntime}, ${kind}`);
    }
    job = j;
  });

  client.start();
  const deadline = clock.now() + opts.seconds * 1000;
  // Wait for the channel (or failure), bounded by the probe duration plus the handshake timeouts.
  while (!session && !ended && clock.now() < deadline + 25_000) await waitFor(deadline + 25_000 - clock.now());
  if (!session) {
    if (!ended) result.handshake = 'timeout waiting for the pool';
    finishing = true;
    await client.stop('probe finished');
    return result;
  }

  let hashes = 0;
  const t0 = clock.now();
  // The time asked for counts from the open channel: a slow handshake does not eat the mining window.
  const mineUntil = t0 + opts.seconds * 1000;
  const enough = (): boolean => opts.untilAccepted !== undefined && result.accepted >= opts.untilAccepted;
  if (opts.cpuMine) {
    say(`CPU mining for ${opts.seconds} s at difficulty ${(result.difficulty ?? 0).toPrecision(6)} (about ${(cpuRate / 1e6).toFixed(2)} MH/s)`);
    let search: JobSearch | null = null;
    let searchJob: Job | undefined;
    let nonce = 0;
    let roll = 0;
    while (clock.now() < mineUntil && !ended && !enough()) {
      if (!job) {
        await waitFor(Math.min(200, mineUntil - clock.now()));
        continue;
      }
      if (job !== searchJob || !search) {
        searchJob = job;
        nonce = 0;
        roll++;
        search = makeSearch(job, roll);
      }
      const found = search.scan(nonce, SLICE, clock.now(), nbitsToTarget(job.nbits));
      nonce += SLICE;
      hashes += SLICE;
      if (nonce >= 0x100000000) {
        nonce = 0;
        roll++;
        search = makeSearch(job, roll);
      }
      for (const share of found) {
        const p = client.submit(share);
        pending.add(p);
        void p.then((o) => {
          pending.delete(p);
          if (o.status === 'accepted') result.accepted++;
          else if (o.status === 'rejected') result.rejected++;
          else if (o.status === 'stale') {
            // A pool 'stale-share' is the pool refusing a share we sent; a local stale was never sent.
            if (o.reason === 'stale-share') {
              result.rejected++;
              stale++;
            } else discarded++;
          } else lost++;
          if (o.status === 'accepted') return;
          reasons[o.reason] = (reasons[o.reason] ?? 0) + 1;
          if (o.status === 'rejected' || o.reason === 'stale-share') say(`share rejected: ${o.reason}`);
        });
      }
      // Yield so that pool messages (new jobs, acknowledgements) are handled between slices.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const elapsed = (clock.now() - t0) / 1000;
      if (elapsed > 0) client.reportHashrate(hashes / elapsed);
    }
    const ackDeadline = clock.now() + ACK_WAIT_MS;
    while (pending.size > 0 && clock.now() < ackDeadline && !ended) await waitFor(100);
  } else {
    while (clock.now() < deadline && !ended) await waitFor(deadline - clock.now());
  }
  const unacknowledged = pending.size;
  finishing = true;
  await client.stop('probe finished');
  await Promise.all([...pending]);
  const elapsed = (clock.now() - t0) / 1000;
  if (opts.cpuMine) {
    result.hashrate = elapsed > 0 ? Math.round(hashes / elapsed) : 0;
    result.stale = stale;
    result.discarded = discarded;
    result.unacknowledged = unacknowledged;
    result.lost = lost;
    result.rejectReasons = reasons;
    say(`shares: ${result.accepted} accepted, ${result.rejected} rejected, ${unacknowledged} unacknowledged when the probe ended, ${discarded} discarded locally (job changed)`);
  }
  if (ended) result.disconnected = ended;
  return result;
}

/** A work point for the n-th roll of a job: a fresh extranonce (coinbase work) or version bits. */
function makeSearch(job: Job, roll: number): JobSearch {
  let extranonce: Uint8Array | undefined;
  if (job.work.kind === 'coinbase') {
    extranonce = new Uint8Array(job.work.extranonceSize);
    new DataView(extranonce.buffer).setUint32(0, roll >>> 0, true);
  }
  // Header-only work: roll the version bits instead (BIP320 bits 13..28 as a counter).
  const versionBits = job.work.kind === 'header' ? (roll << 13) & job.versionMask : 0;
  return new JobSearch(job, { ...(extranonce ? { extranonce } : {}), ntime: job.ntime, versionBits });
}
