/** Helpers for SV2 integration tests: a lab pool on an ephemeral port, clients, CPU mining, waits. */
import { Sv2Pool, type Sv2PoolOptions } from '../../workshop/lab/sv2-pool.js';
import { Sv2MiningClient, type Sv2ClientEvents, type Sv2ClientOptions } from '../../src/upstream/sv2/mining-client.js';
import { JobSearch } from '../../workshop/cpu-miner/job-search.js';
import type { Job, Share } from '../../src/upstream/job.js';
import type { TypedEmitter } from '../../src/typed-emitter.js';

export async function startPool(o: Partial<Sv2PoolOptions> = {}): Promise<Sv2Pool> {
  // Tiny difficulty: ~4 300 hashes per share, a few milliseconds of CPU.
  const pool = new Sv2Pool({ port: 0, difficulty: 1e-6, prevHashIntervalSeconds: 0, shareBatchSize: 1, ...o });
  await pool.start();
  return pool;
}

export function client(url: string, o: Partial<Sv2ClientOptions> = {}): Sv2MiningClient {
  return new Sv2MiningClient({
    url,
    user: 'lab.test',
    channel: 'standard',
    nominalHashrate: 1e6,
    backoff: { initialMs: 20, maxMs: 200 },
    random: () => 0,
    ...o,
  });
}

/** Resolves with the args of the first `event` satisfying `pred`; rejects after `ms` (a hang guard, not a timing assertion). */
export function once<K extends keyof Sv2ClientEvents & string>(
  em: TypedEmitter<Sv2ClientEvents>,
  event: K,
  pred: (...a: Sv2ClientEvents[K]) => boolean = () => true,
  ms = 15_000,
): Promise<Sv2ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      em.off(event, f);
      reject(new Error(`timed out waiting for '${event}'`));
    }, ms);
    const f = (...a: Sv2ClientEvents[K]): void => {
      if (!pred(...a)) return;
      clearTimeout(t);
      em.off(event, f);
      resolve(a);
    };
    em.on(event, f);
  });
}

let roll = 1;

/** Mines `n` shares of `job` on the CPU (rolling a fresh extranonce for coinbase work). */
export function mineShares(job: Job, n: number): Share[] {
  const en =
    job.work.kind === 'coinbase'
      ? new Uint8Array(job.work.extranonceSize).map((_, i) => (i === 0 ? roll++ & 0xff : i === 1 ? (roll >>> 8) & 0xff : 0))
      : undefined;
  const out: Share[] = [];
  for (let start = 0; out.length < n; start += 20_000) {
    out.push(...new JobSearch(job, { ...(en ? { extranonce: en } : {}), ntime: job.ntime, versionBits: 0 }).scan(start, 20_000, 0));
  }
  return out.slice(0, n);
}

/** Waits for the client's next job (or returns the current one). */
export async function jobOf(c: Sv2MiningClient): Promise<Job> {
  return c.currentJob() ?? (await once(c, 'job'))[0];
}
