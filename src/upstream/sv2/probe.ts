/**
 * `asic-agent probe stratum2+tcp://…`: checks an SV2 pool before a miner is pointed at it. One
 * connection attempt: handshake and certificate result, setup flags, channel parameters, target as
 * difficulty, the first jobs; with `cpuMine`, CPU mining at the pool's target and the pool's verdict on
 * every share. The result becomes the JSON last line of the command.
 */
import type { ProbeOptions, ProbeResult } from '../probe.js';
import { systemClock } from '../../clock.js';
import { toHex } from '../../work/bytes.js';
import { reverseBytes } from '../../work/byte-order.js';
import type { Job, ShareOutcome } from '../job.js';
import { Sv2MiningClient, type SessionInfo } from './mining-client.js';
import { MiningSuccessFlags, MiningSetupFlags } from './messages/common.js';
import { parseSv2Url } from './url.js';

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

export async function probeSv2(opts: ProbeOptions): Promise<ProbeResult> {
  const result: ProbeResult = {
    url: opts.url,
    protocol: 'sv2',
    handshake: 'not attempted',
    channel: null,
    difficulty: null,
    jobs: 0,
    accepted: 0,
    rejected: 0,
  };
  const say = opts.say;
  let client: Sv2MiningClient;
  const cpu = opts.cpuMine ? opts.cpuMining : undefined;
  if (opts.cpuMine && !cpu) throw new Error('--cpu-mine needs a CPU miner');
  const cpuRate = cpu ? cpu.measureRate() : 0;
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
      say(
        `noise handshake ok: ${hs.server.authenticated ? 'certificate verified' : 'certificate NOT verified (no authority key)'}, version ${c.version}, valid ${fmtTime(c.validFrom)} .. ${fmtTime(c.notValidAfter)}`,
      );
      say(`pool static key (x-only) ${toHex(hs.server.serverStaticXOnly)}`);
      result.certificate = { authenticated: hs.server.authenticated, version: c.version, validFrom: c.validFrom, notValidAfter: c.notValidAfter };
    } else say('plain connection: no encryption, no authentication');
    const sf = flagNames(info.setup.flags, MiningSuccessFlags);
    say(
      `setup: version ${info.setup.usedVersion}, we asked [${flagNames(info.setup.requestedFlags, MiningSetupFlags).join(', ')}], pool flags 0x${info.setup.flags.toString(16)} [${sf.join(', ')}]`,
    );
    const ch = info.channel;
    say(
      `channel: ${ch.kind} #${ch.channelId} (group ${ch.groupChannelId}), extranonce prefix ${toHex(ch.extranoncePrefix) || '(empty)'}${ch.kind === 'extended' ? `, ${ch.extranonceSize} bytes to roll` : ''}`,
    );
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
      const kind =
        j.work.kind === 'header'
          ? 'header-only'
          : `coinbase (${j.work.coinbasePrefix.length}+${j.work.extranonceSize}+${j.work.coinbaseSuffix.length} bytes, ${j.work.merkleBranch.length} branch hashes)`;
      say(
        `job ${j.id}${j.clean ? ' (new prev hash)' : ''}: prev ${toHex(reverseBytes(j.prevHash))}, version 0x${j.version.toString(16)} mask 0x${j.versionMask.toString(16)}, nbits 0x${j.nbits.toString(16)}, ntime ${j.ntime}, ${kind}`,
      );
    }
    job = j;
    notify();
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
  if (cpu) {
    say(`CPU mining for ${opts.seconds} s at difficulty ${(result.difficulty ?? 0).toPrecision(6)} (about ${(cpuRate / 1e6).toFixed(2)} MH/s)`);
    const miner = cpu.miner((share) => {
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
        if (o.status !== 'accepted') {
          reasons[o.reason] = (reasons[o.reason] ?? 0) + 1;
          if (o.status === 'rejected' || o.reason === 'stale-share') say(`share rejected: ${o.reason}`);
        }
        notify();
      });
    });
    let mined: Job | undefined;
    miner.start();
    while (clock.now() < mineUntil && !ended && !enough()) {
      // The miner works between the pool's messages (it yields every slice); it follows the latest job.
      if (job && job !== mined) {
        mined = job;
        miner.setJob(job);
      }
      await waitFor(Math.min(200, mineUntil - clock.now()));
      const elapsed = (clock.now() - t0) / 1000;
      if (elapsed > 0) client.reportHashrate(miner.hashes / elapsed);
    }
    miner.stop();
    hashes = miner.hashes;
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
    say(
      `shares: ${result.accepted} accepted, ${result.rejected} rejected, ${unacknowledged} unacknowledged when the probe ended, ${discarded} discarded locally (job changed)`,
    );
  }
  if (ended) result.disconnected = ended;
  return result;
}
