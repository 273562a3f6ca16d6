/**
 * `asic-agent lab sv1-pool --port P [--difficulty D] …`: the lab Stratum V1 pool (workshop/lab/sv1-pool.ts)
 * on 127.0.0.1 until SIGINT/SIGTERM. Prints its URL first (the real port when --port 0), one line per
 * share, and the counters as one JSON line when it stops.
 */
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../../src/cli/command.js';
import { untilStopSignal } from '../../src/cli/stop-signal.js';
import { Sv1LabPool, type Sv1ErrorStyle, type Sv1LabPoolOptions } from '../lab/sv1-pool.js';
import { isHex, parseU32Hex } from '../../src/work/bytes.js';

const STYLES: Sv1ErrorStyle[] = ['array', 'string', 'reject-reason', 'jsonrpc2'];

function num(name: string, v: string | undefined, min: number, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}`);
  return n;
}

function mask(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const h = v.replace(/^0x/i, '');
  if (!isHex(h, 4)) throw new UsageError(`--${name} must be 8 hex digits (e.g. 1fffe000)`);
  return parseU32Hex(h);
}

const command: Command = {
  name: 'sv1-pool',
  summary: 'a Stratum V1 pool on 127.0.0.1 with jobs from real blocks, checking every share by SHA-256',
  usage: [
    'asic-agent lab sv1-pool --port P [--difficulty D] [--version-mask HEX] [--mask-before-subscribe HEX]',
    '       [--extranonce1-size N] [--extranonce2-size N] [--notify-interval S] [--clean-interval S]',
    '       [--error-style array|string|reject-reason|jsonrpc2] [--tls-cert FILE --tls-key FILE] [--quiet]',
    '',
    '  --port P                    listen port on 127.0.0.1 (required; 0 = any free port)',
    '  --difficulty D              share difficulty, fractional allowed (default 1)',
    '  --version-mask HEX          version bits granted to mining.configure (8 hex digits; default 1fffe000)',
    '  --mask-before-subscribe HEX the mask sent with mining.set_version_mask before subscribe (some pools do)',
    '  --extranonce1-size N        bytes of extranonce1 per connection (default 4)',
    '  --extranonce2-size N        bytes of extranonce2 the miner rolls (default 4)',
    '  --notify-interval S         seconds between new jobs on the same block (default 30; 0 = never)',
    '  --clean-interval S          seconds between new blocks, clean_jobs = true (default 600; 0 = never)',
    '  --error-style S             how shares are refused, as different pools do: array, string, reject-reason, jsonrpc2',
    '  --tls-cert FILE --tls-key FILE  serve stratum+ssl with this certificate and key',
    '  --quiet                     no per-share log lines',
  ].join('\n'),
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        difficulty: { type: 'string' },
        'version-mask': { type: 'string' },
        'mask-before-subscribe': { type: 'string' },
        'extranonce1-size': { type: 'string' },
        'extranonce2-size': { type: 'string' },
        'notify-interval': { type: 'string' },
        'clean-interval': { type: 'string' },
        'error-style': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        quiet: { type: 'boolean', default: false },
      },
    });
    const port = num('port', values.port, 0, true);
    if (port === undefined) throw new UsageError('--port is required (0 = any free port)');
    if (port > 65535) throw new UsageError('--port must be <= 65535');
    const style = values['error-style'];
    if (style !== undefined && !STYLES.includes(style as Sv1ErrorStyle)) throw new UsageError(`--error-style must be one of ${STYLES.join(', ')}`);
    if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
    const o: Sv1LabPoolOptions = { port };
    const d = num('difficulty', values.difficulty, Number.MIN_VALUE);
    if (d !== undefined) o.difficulty = d;
    const vm = mask('version-mask', values['version-mask']);
    if (vm !== undefined) o.versionMask = vm;
    const mbs = mask('mask-before-subscribe', values['mask-before-subscribe']);
    if (mbs !== undefined) o.versionMaskBeforeSubscribe = mbs;
    const e1 = num('extranonce1-size', values['extranonce1-size'], 1, true);
    if (e1 !== undefined) o.extranonce1Size = e1;
    const e2 = num('extranonce2-size', values['extranonce2-size'], 1, true);
    if (e2 !== undefined) o.extranonce2Size = e2;
    const ni = num('notify-interval', values['notify-interval'], 0);
    if (ni !== undefined) o.notifyIntervalMs = ni * 1000;
    const ci = num('clean-interval', values['clean-interval'], 0);
    if (ci !== undefined) o.cleanIntervalMs = ci * 1000;
    if (style !== undefined) o.errorStyle = style as Sv1ErrorStyle;
    if (values['tls-cert'] !== undefined && values['tls-key'] !== undefined) o.tls = { certFile: values['tls-cert'], keyFile: values['tls-key'] };

    let pool: Sv1LabPool;
    try {
      pool = new Sv1LabPool(o);
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    const url = await pool.start();
    console.log(`lab sv1-pool listening on ${url}`);
    console.log(`difficulty ${o.difficulty ?? 1}, blocks ${pool.realBlocks ? 'from the shared vectors' : 'synthetic (vectors folder not found)'}`);
    if (!values.quiet) {
      pool.on('share', (s) =>
        console.log(
          `share ${s.accepted ? 'accepted' : `rejected (${s.reason})`} from ${s.user} job ${s.jobId}` +
            (s.shareDifficulty !== undefined ? ` difficulty ${s.shareDifficulty.toPrecision(4)}` : '') +
            (s.isBlock ? ' BLOCK' : ''),
        ),
      );
    }
    await untilStopSignal();
    await pool.stop();
    console.log(JSON.stringify({ url, ...pool.stats() }));
    return 0;
  },
};
export default command;
