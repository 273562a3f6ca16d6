/**
 * `asic-agent probe URL --user U [--channel standard|extended] [--cpu-mine] [--seconds S]`: checks a pool
 * before deploying. The protocol is chosen by the URL scheme; each protocol module implements `Prober`.
 * The last line printed is always one JSON object (ProbeResult). Exit code 0 only when the handshake
 * succeeded and no share was rejected.
 */
import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';
import { LOG_LEVELS } from '../config/agent-config.js';
import { configureLogging } from '../log.js';
import { UsageError, type Command } from './command.js';
import { loadWorkshop } from './workshop.js';
import type { ProbeOptions, ProbeResult, Prober } from '../upstream/probe.js';

export type { ProbeOptions, ProbeResult, Prober };

/** URL scheme -> loader of that protocol's prober. */
const PROBERS: Record<string, () => Promise<Prober>> = {
  'stratum+ssl': async () => (await import('../upstream/sv1/probe.js')).default,
  'stratum+tcp': async () => (await import('../upstream/sv1/probe.js')).default,
  'stratum2+tcp': async () => (await import('../upstream/sv2/probe.js')).probeSv2,
};

const command: Command = {
  name: 'probe',
  summary: 'check a pool: handshake, certificate, channel, difficulty, first jobs, optional CPU mining',
  usage: [
    'asic-agent probe URL --user U [--password P] [--channel standard|extended] [--cpu-mine [--until-accepted N]] [--seconds S] [--hashrate H]',
    '       [--allow-unauthenticated] [--plain] [--tls-ca FILE] [--tls-insecure]',
    '',
    '  URL                      stratum2+tcp://host:port/AUTHORITY_KEY, stratum+tcp://host:port or stratum+ssl://host:port',
    '  --user U                 the worker name the pool expects (usually account.worker)',
    '  --password P             the worker password (default x)',
    '  --channel C              SV2 channel: standard (default) or extended',
    "  --cpu-mine               mine on the CPU at the pool's difficulty and submit what is found (checks share acceptance)",
    '  --seconds S              how long to wait for jobs (and mine) after the handshake (default 10)',
    '  --until-accepted N       with --cpu-mine: stop as soon as N shares are accepted (at most --seconds)',
    '  --hashrate H             the hashrate to announce, H/s (default: the measured CPU rate with --cpu-mine, else a typical ASIC)',
    '  --allow-unauthenticated  accept an SV2 URL without an authority key (private networks only)',
    "  --plain                  SV2 without Noise encryption (a pool's plain test port; needs --allow-unauthenticated)",
    "  --tls-ca FILE            stratum+ssl: the PEM CA file that signs the pool's certificate",
    '  --tls-insecure           stratum+ssl: accept any certificate (lab only)',
    '',
    'Progress lines go to stdout; the last line is one JSON object with the result. Log records go to stderr.',
    'Exit code 0 when the handshake succeeded and no share was rejected.',
  ].join('\n'),
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
        'until-accepted': { type: 'string' },
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
    const untilAccepted = values['until-accepted'] === undefined ? undefined : Number(values['until-accepted']);
    if (untilAccepted !== undefined && (!Number.isInteger(untilAccepted) || untilAccepted < 1))
      throw new UsageError('--until-accepted must be a positive integer');
    if (untilAccepted !== undefined && !values['cpu-mine']) throw new UsageError('--until-accepted needs --cpu-mine');
    const scheme = url.split('://')[0] ?? '';
    // Own keys only: a scheme such as 'constructor' or '__proto__' is unsupported, not Object's.
    const load = Object.hasOwn(PROBERS, scheme) ? PROBERS[scheme] : undefined;
    if (!load) throw new UsageError(`unsupported URL scheme '${scheme}' (supported: ${Object.keys(PROBERS).join(', ') || 'none yet'})`);
    // Its stdout is for people and ends in one JSON result line: log records go to stderr, warnings and
    // errors only unless ASIC_AGENT_LOG_LEVEL asks for more.
    const envLevel = LOG_LEVELS.find((l): l is LevelWithSilent => l === process.env.ASIC_AGENT_LOG_LEVEL);
    configureLogging({ level: envLevel ?? 'warn', stream: 'stderr' });
    const prober = await load();
    const cpuMining = values['cpu-mine'] ? (await loadWorkshop('probe --cpu-mine')).cpuMining : undefined;
    const result = await prober({
      url,
      user: values.user,
      password: values.password ?? 'x',
      channel: values.channel,
      cpuMine: values['cpu-mine'] ?? false,
      ...(cpuMining ? { cpuMining } : {}),
      seconds,
      allowUnauthenticated: values['allow-unauthenticated'] ?? false,
      ...(values['tls-ca'] !== undefined ? { tlsCaFile: values['tls-ca'] } : {}),
      tlsInsecure: values['tls-insecure'] ?? false,
      plain: values.plain ?? false,
      ...(hashrate !== undefined ? { hashrate } : {}),
      ...(untilAccepted !== undefined ? { untilAccepted } : {}),
      say: (line) => console.log(line),
    });
    console.log(JSON.stringify(result));
    return result.handshake === 'ok' && result.rejected === 0 ? 0 : 1;
  },
};
export default command;
