/**
 * `asic-agent lab sv2-pool`: runs the lab SV2 pool on 127.0.0.1 until Ctrl-C, and prints its URL (with
 * the authority public key) so a miner or `asic-agent probe` can connect.
 */
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../../src/cli/command.js';
import { untilStopSignal } from '../../src/cli/stop-signal.js';
import { loadLabBlocks } from './block-data.js';
import { authoritySecretOption, numberOption } from './command-options.js';
import { Sv2Pool } from './sv2-pool.js';

const command: Command = {
  name: 'sv2-pool',
  summary: 'a Stratum V2 pool on 127.0.0.1 (Noise + certificate, standard and extended channels, real block data)',
  usage: [
    'asic-agent lab sv2-pool [--port P] [--difficulty D] [--authority-secret HEX] [--plain]',
    '       [--network-difficulty D] [--prev-hash-interval S] [--job-interval S] [--share-batch-size N] [--ack-flush-ms MS]',
    '       [--cert-validity S] [--version-mask HEX] [--fixed-version | --fixed-version-unless-asked] [--require-extended] [--vectors DIR]',
    '',
    '  --port P                 listen port on 127.0.0.1 (default 34254; 0 = any free port)',
    '  --difficulty D           share difficulty, fractional allowed (default 1; 0.0001 suits a CPU probe)',
    '  --network-difficulty D   block target override, so that shares can be blocks in the lab',
    '  --authority-secret HEX   authority secret key (64 hex digits or base58check); default: random per run',
    '  --plain                  plain SV2 frames, no Noise (test only; clients need --allow-unauthenticated --plain)',
    '  --prev-hash-interval S   seconds between new prev hashes (default 60; 0 = never)',
    '  --job-interval S         seconds between extra jobs on the same prev hash (default 0 = never)',
    '  --share-batch-size N     accepted shares per SubmitShares.Success (default 10, as SRI)',
    '  --ack-flush-ms MS        acknowledge a partial batch after MS (default 1000; 0 = only full batches)',
    '  --cert-validity S        certificate lifetime in seconds (default 3600)',
    '  --version-mask HEX       version bits miners may roll (default 1fffe000, BIP320)',
    '  --fixed-version          REQUIRES_FIXED_VERSION: no version rolling (REQUIRES_VERSION_ROLLING is refused)',
    '  --fixed-version-unless-asked',
    '                           REQUIRES_FIXED_VERSION for clients that do not ask REQUIRES_VERSION_ROLLING',
    '  --require-extended       REQUIRES_EXTENDED_CHANNELS: refuse standard channels',
    '  --vectors DIR            shared vectors folder for real block data (default ../shared/vectors)',
  ].join('\n'),
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        difficulty: { type: 'string' },
        'network-difficulty': { type: 'string' },
        'authority-secret': { type: 'string' },
        plain: { type: 'boolean', default: false },
        'prev-hash-interval': { type: 'string' },
        'job-interval': { type: 'string' },
        'share-batch-size': { type: 'string' },
        'ack-flush-ms': { type: 'string' },
        'cert-validity': { type: 'string' },
        'version-mask': { type: 'string' },
        'fixed-version': { type: 'boolean', default: false },
        'fixed-version-unless-asked': { type: 'boolean', default: false },
        'require-extended': { type: 'boolean', default: false },
        vectors: { type: 'string' },
      },
    });
    const port = numberOption('port', values.port, (x) => Number.isInteger(x) && x >= 0 && x <= 65535, 'a port number (0-65535)') ?? 34254;
    const difficulty = numberOption('difficulty', values.difficulty, (x) => x > 0, 'a positive number') ?? 1;
    const networkDifficulty = numberOption('network-difficulty', values['network-difficulty'], (x) => x > 0, 'a positive number');
    const mask = values['version-mask'] === undefined ? undefined : Number.parseInt(values['version-mask'].replace(/^0x/i, ''), 16);
    if (mask !== undefined && (!Number.isInteger(mask) || mask < 0 || mask > 0xffffffff)) throw new UsageError('--version-mask must be a 32-bit hex number');
    const authoritySecret = authoritySecretOption(values['authority-secret']);
    const blocks = loadLabBlocks(values.vectors);
    const pool = new Sv2Pool({
      port,
      difficulty,
      ...(networkDifficulty !== undefined ? { networkDifficulty } : {}),
      ...(authoritySecret ? { authoritySecret } : {}),
      ...(mask !== undefined ? { versionMask: mask } : {}),
      plain: values.plain ?? false,
      prevHashIntervalSeconds: numberOption('prev-hash-interval', values['prev-hash-interval'], (x) => x >= 0, 'a number of seconds >= 0') ?? 60,
      jobIntervalSeconds: numberOption('job-interval', values['job-interval'], (x) => x >= 0, 'a number of seconds >= 0') ?? 0,
      shareBatchSize: numberOption('share-batch-size', values['share-batch-size'], (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1') ?? 10,
      ackFlushMs: numberOption('ack-flush-ms', values['ack-flush-ms'], (x) => x >= 0, 'a number of milliseconds >= 0') ?? 1000,
      certificateValiditySeconds:
        numberOption('cert-validity', values['cert-validity'], (x) => Number.isInteger(x) && x > 0, 'a positive number of seconds') ?? 3600,
      fixedVersion: values['fixed-version'] ?? false,
      fixedVersionUnlessAsked: values['fixed-version-unless-asked'] ?? false,
      requireExtendedChannels: values['require-extended'] ?? false,
      blocks,
    });
    const { url } = await pool.start();
    console.log(`lab sv2-pool: ${url}`);
    console.log(
      `  blocks: ${blocks.real ? `real (${blocks.blocks.map((b) => b.height).join(', ')})` : 'SYNTHETIC (vectors folder not found)'}; difficulty ${difficulty}${networkDifficulty !== undefined ? `; network difficulty ${networkDifficulty}` : ''}`,
    );
    console.log(`  try: asic-agent probe ${url} --user lab.worker1 --cpu-mine --seconds 10${values.plain ? ' --allow-unauthenticated --plain' : ''}`);
    await untilStopSignal();
    await pool.stop();
    console.log(JSON.stringify({ url, ...pool.stats() }));
    return 0;
  },
};
export default command;
