/**
 * `asic-agent probe stratum+tcp://…` / `stratum+ssl://…`: connect once, run the V1 handshake, report the
 * difficulty, version mask and extranonce space, count jobs for `seconds`, and with --cpu-mine mine the
 * jobs on the CPU at the pool's difficulty and count what the pool accepts. Nothing is retried: the first
 * failure is the answer.
 */
import { failureText } from '../session-failure.js';
import type { ProbeOptions, ProbeResult, Prober } from '../probe.js';
import type { ShareOutcome } from '../job.js';
import { USER_AGENT } from '../../version.js';
import { Sv1Client } from './client.js';

/** How much longer than the watch time the pool may take to answer configure/subscribe/authorize. */
const HANDSHAKE_EXTRA_MS = 25_000;

export const probeSv1: Prober = async (opts: ProbeOptions): Promise<ProbeResult> => {
  const tls =
    opts.tlsCaFile !== undefined || opts.tlsInsecure
      ? { ...(opts.tlsCaFile !== undefined ? { caFile: opts.tlsCaFile } : {}), ...(opts.tlsInsecure ? { allowSelfSigned: true } : {}) }
      : undefined;
  const client = new Sv1Client({
    id: 'probe',
    url: opts.url,
    user: opts.user,
    password: opts.password,
    ...(tls ? { tls } : {}),
    // A probe never retries on its own: the first failure ends it.
    reconnectMinMs: 3_600_000,
  });
  const result: ProbeResult = {
    url: client.url,
    protocol: 'sv1',
    handshake: 'pending',
    channel: null,
    difficulty: null,
    jobs: 0,
    accepted: 0,
    rejected: 0,
    stale: 0,
    lost: 0,
    versionMask: null,
    extranonce1: null,
    extranonce2Size: null,
    userAgent: USER_AGENT,
    hashes: 0,
  };
  let submitted = 0;
  let answered = 0;
  let onAccepted = (): void => undefined;
  const record = (o: ShareOutcome): void => {
    answered++;
    if (o.status === 'accepted') {
      result.accepted++;
      onAccepted();
    } else if (o.status === 'rejected') result.rejected++;
    else if (o.status === 'stale') (result.stale as number)++;
    else (result.lost as number)++;
    if (o.status !== 'accepted') opts.say(`share ${o.status}: ${o.reason}`);
  };
  if (opts.cpuMine && !opts.cpuMining) throw new Error('--cpu-mine needs a CPU miner');
  const miner = (opts.cpuMine ? opts.cpuMining : undefined)?.miner((s) => {
    submitted++;
    void client.submit(s).then(record);
  });
  let settle!: (why: string) => void;
  const handshake = new Promise<string>((resolve) => (settle = resolve));
  client.on('state', (s, failure) => {
    if (s === 'ready') settle('ok');
    else if (failure !== undefined) settle(failureText(failure) ?? s);
  });
  client.on('job', (j) => {
    result.jobs++;
    if (result.jobs === 1)
      opts.say(`first job ${j.id}: version ${j.version.toString(16)}, mask ${j.versionMask.toString(16).padStart(8, '0')}, clean ${j.clean}`);
    miner?.setJob(j);
  });

  const deadline = opts.seconds * 1000;
  // The handshake has its own bound, as the SV2 probe's: `seconds` is the time to watch and mine after it.
  const handshakeMs = deadline + HANDSHAKE_EXTRA_MS;
  opts.say(`connecting to ${client.url} as ${opts.user}`);
  client.start();
  let handshakeTimer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    handshakeTimer = setTimeout(() => resolve(`handshake-failed: no answer within ${handshakeMs / 1000} s`), handshakeMs);
    handshakeTimer.unref();
  });
  result.handshake = await Promise.race([handshake, timeout]);
  clearTimeout(handshakeTimer);
  if (result.handshake === 'ok') {
    opts.say('handshake ok');
    miner?.start();
    // Watch (and mine) for `seconds`, or until enough shares are accepted.
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, deadline);
      if (opts.untilAccepted !== undefined) {
        const want = opts.untilAccepted;
        onAccepted = () => {
          if (result.accepted >= want) {
            clearTimeout(t);
            resolve();
          }
        };
      }
    });
    miner?.stop();
    // Give the last submits a moment to be answered.
    const t0 = Date.now();
    while (answered < submitted && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
  } else {
    opts.say(`handshake failed: ${result.handshake}`);
  }
  const st = client.stats();
  result.difficulty = st.difficulty ?? null;
  result.versionMask = st.versionMask.toString(16).padStart(8, '0');
  result.extranonce1 = st.extranonce1 ?? null;
  result.extranonce2Size = st.extranonce2Size ?? null;
  result.hashes = miner?.hashes ?? 0;
  result.protocolErrors = st.protocolErrors;
  await client.stop('probe done');
  return result;
};

export default probeSv1;
