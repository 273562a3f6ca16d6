/**
 * `asic-agent probe URL --user U [--channel standard|extended] [--cpu-mine] [--seconds S]`: checks a pool
 * before deploying. The protocol is chosen by the URL scheme; each protocol module implements `Prober`.
 * The last line printed is always one JSON object (ProbeResult). Exit code 0 only when the handshake
 * succeeded and no share was rejected.
 */
import { parseArgs } from 'node:util';
import { UsageError, type Command } from './command.js';

export interface ProbeOptions {
  url: string;
  user: string;
  password: string;
  channel: 'standard' | 'extended';
  cpuMine: boolean;
  seconds: number;
  /** Allow an SV2 URL without an authority key (private networks only). */
  allowUnauthenticated: boolean;
  /** TLS pools (stratum+ssl): PEM CA file that signs the pool's certificate. */
  tlsCaFile?: string;
  /** TLS pools: accept any certificate (lab only). */
  tlsInsecure?: boolean;
  /** SV2 without Noise (a pool's plain test port); needs allowUnauthenticated as well. */
  plain?: boolean;
  /** Hashrate to announce (H/s); default: measured CPU rate with --cpu-mine, else a typical ASIC. */
  hashrate?: number;
  /** Human-readable progress lines (printed before the JSON line). */
  say: (line: string) => void;
}

export interface ProbeResult {
  url: string;
  protocol: string;
  /** "ok" or the reason the handshake (connection, Noise, certificate, setup, authorize) failed. */
  handshake: string;
  channel: string | null;
  difficulty: number | null;
  jobs: number;
  accepted: number;
  rejected: number;
  [extra: string]: unknown;
}

export type Prober = (opts: ProbeOptions) => Promise<ProbeResult>;

/** URL scheme -> loader of that protocol's prober. */
const PROBERS: Record<string, () => Promise<Prober>> = {
  'stratum+ssl': async () => (await import('../upstream/sv1/probe.js')).default,
  'stratum+tcp': async () => (await import('../upstream/sv1/probe.js')).default,
  'stratum2+tcp': async () => (await import('../upstream/sv2/probe.js')).probeSv2,
};

const command: Command = {
  name: 'probe',
  summary: 'check a pool: handshake, certificate, channel, difficulty, first jobs, optional CPU mining',
  usage:
    'asic-agent probe URL --user U [--password P] [--channel standard|extended] [--cpu-mine] [--seconds S] [--hashrate H] [--allow-unauthenticated] [--plain] [--tls-ca FILE] [--tls-insecure]',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        user: { type: 'string' },
        password: { type: 'string', default: 'x' },
        channel: { type: 'string', default: 'standard' },
        'cpu-mine': { type: 'boolean', default: false },
        seconds: { type: 'string', default: '10' },
        'allow-unauthenticated': { type: 'boolean', default: false },
        'tls-ca': { type: 'string' },
        'tls-insecure': { type: 'boolean', default: false },
        plain: { type: 'boolean', default: false },
        hashrate: { type: 'string' },
      },
    });
    const url = positionals[0];
    if (!url) throw new UsageError('a pool URL is required');
    if (!values.user) throw new UsageError('--user is required');
    if (values.channel !== 'standard' && values.channel !== 'extended') throw new UsageError('--channel must be standard or extended');
    const seconds = Number(values.seconds);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError('--seconds must be a positive number');
    const hashrate = values.hashrate === undefined ? undefined : Number(values.hashrate);
    if (hashrate !== undefined && (!Number.isFinite(hashrate) || hashrate <= 0)) throw new UsageError('--hashrate must be a positive number (H/s)');
    const scheme = url.split('://')[0] ?? '';
    const load = PROBERS[scheme];
    if (!load) throw new UsageError(`unsupported URL scheme '${scheme}' (supported: ${Object.keys(PROBERS).join(', ') || 'none yet'})`);
    const prober = await load();
    const result = await prober({
      url,
      user: values.user,
      password: values.password ?? 'x',
      channel: values.channel,
      cpuMine: values['cpu-mine'] ?? false,
      seconds,
      allowUnauthenticated: values['allow-unauthenticated'] ?? false,
      ...(values['tls-ca'] !== undefined ? { tlsCaFile: values['tls-ca'] } : {}),
      tlsInsecure: values['tls-insecure'] ?? false,
      plain: values.plain ?? false,
      ...(hashrate !== undefined ? { hashrate } : {}),
      say: (line) => console.log(line),
    });
    console.log(JSON.stringify(result));
    return result.handshake === 'ok' && result.rejected === 0 ? 0 : 1;
  },
};
export default command;
