/**
 * `asic-agent lab jds`: the lab Job Declarator Server and its pool (jds.ts) on 127.0.0.1 until
 * SIGINT/SIGTERM. Prints the JDS URL and the pool URL (same authority key) first, one line per
 * refused declaration or custom job, and the counters as one JSON line when it stops.
 */
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../../src/cli/command.js';
import { untilStopSignal } from '../../src/cli/stop-signal.js';
import { fromHex, isHex } from '../../src/work/bytes.js';
import { loadLabBlocks } from './block-data.js';
import { authoritySecretOption, numberOption } from './command-options.js';
import { LabJdsPool, txidFromDisplay } from './jds.js';

const command: Command = {
  name: 'jds',
  summary: 'a Job Declarator Server + pool pair that validates declared and custom jobs (optionally censoring a transaction)',
  usage: [
    'asic-agent lab jds [--port P] [--pool-port Q] [--censor-txid TXID]... [--difficulty D] [--mempool-known F]',
    '       [--payout-script HEX] [--share-batch-size N] [--ack-flush-ms MS] [--custom-job-delay-ms MS] [--reject-custom-shares]',
    '       [--node-tp URL [--node-lag-ms MS] [--node-allow-unauthenticated] [--node-plain]]',
    '       [--authority-secret HEX] [--plain] [--vectors DIR]',
    '',
    "  --port P               JDS port on 127.0.0.1 (default 34264, SRI's; 0 = any free port)",
    '  --pool-port Q          pool port (default 34254; 0 = any free port)',
    '  --censor-txid TXID     refuse any template containing this transaction (txid as explorers show it); repeatable',
    '  --difficulty D         share difficulty of the pool (default 1; tiny values for CPU miners)',
    '  --mempool-known F      fraction of the lab transactions the JDS knows at start (default 0.5; the rest it asks for)',
    '  --payout-script HEX    the pool payout output script (default: a lab P2WPKH)',
    '  --share-batch-size N   accepted shares per SubmitShares.Success (default 10)',
    '  --ack-flush-ms MS      acknowledge a partial batch after MS (default 1000)',
    '  --custom-job-delay-ms MS  answer SetCustomMiningJob MS later (shows optimistic mining)',
    '  --reject-custom-shares acknowledge custom jobs, then reject every share on them (a pool that censors late)',
    "  --node-tp URL          the pool's own node follows this Template Provider's chain tip: declarations and custom",
    '                         jobs on another tip are refused with stale-chain-tip',
    "  --node-lag-ms MS       the pool's node sees each new tip MS after the Template Provider (default 0)",
    '  --node-allow-unauthenticated, --node-plain   for a --node-tp URL without authority key / without Noise',
    '  --authority-secret HEX authority secret for both servers (64 hex digits or base58check); default: random',
    '  --plain                plain SV2 frames, no Noise (clients must allow it)',
    '  --vectors DIR          shared vectors folder for real block data (default ../shared/vectors)',
  ].join('\n'),
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        'pool-port': { type: 'string' },
        'censor-txid': { type: 'string', multiple: true },
        difficulty: { type: 'string' },
        'mempool-known': { type: 'string' },
        'payout-script': { type: 'string' },
        'share-batch-size': { type: 'string' },
        'ack-flush-ms': { type: 'string' },
        'custom-job-delay-ms': { type: 'string' },
        'reject-custom-shares': { type: 'boolean', default: false },
        'node-tp': { type: 'string' },
        'node-lag-ms': { type: 'string' },
        'node-allow-unauthenticated': { type: 'boolean', default: false },
        'node-plain': { type: 'boolean', default: false },
        'authority-secret': { type: 'string' },
        plain: { type: 'boolean', default: false },
        vectors: { type: 'string' },
      },
    });
    const isPort = (x: number): boolean => Number.isInteger(x) && x >= 0 && x <= 65535;
    const censor: Uint8Array[] = [];
    for (const t of values['censor-txid'] ?? []) {
      try {
        censor.push(txidFromDisplay(t.trim()));
      } catch {
        throw new UsageError(`--censor-txid ${JSON.stringify(t)}: a txid is 64 hex digits`);
      }
    }
    let payoutScript: Uint8Array | undefined;
    if (values['payout-script'] !== undefined) {
      const h = values['payout-script'].replace(/^0x/i, '');
      if (!isHex(h) || h.length === 0) throw new UsageError('--payout-script must be hex');
      payoutScript = fromHex(h);
    }
    const authoritySecret = authoritySecretOption(values['authority-secret']);
    const nodeLag = numberOption('node-lag-ms', values['node-lag-ms'], (x) => x >= 0, 'a number of milliseconds >= 0');
    if (nodeLag !== undefined && values['node-tp'] === undefined) throw new UsageError('--node-lag-ms needs --node-tp');
    const pair = new LabJdsPool({
      port: numberOption('port', values.port, isPort, 'a port number (0-65535)') ?? 34264,
      poolPort: numberOption('pool-port', values['pool-port'], isPort, 'a port number (0-65535)') ?? 34254,
      difficulty: numberOption('difficulty', values.difficulty, (x) => x > 0, 'a positive number') ?? 1,
      shareBatchSize: numberOption('share-batch-size', values['share-batch-size'], (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1') ?? 10,
      ackFlushMs: numberOption('ack-flush-ms', values['ack-flush-ms'], (x) => x >= 0, 'a number of milliseconds >= 0') ?? 1000,
      plain: values.plain ?? false,
      rejectCustomShares: values['reject-custom-shares'] ?? false,
      customJobDelayMs: numberOption('custom-job-delay-ms', values['custom-job-delay-ms'], (x) => x >= 0, 'a number of milliseconds >= 0') ?? 0,
      blocks: loadLabBlocks(values.vectors),
      censorTxids: censor,
      ...(values['mempool-known'] !== undefined
        ? { mempoolKnown: numberOption('mempool-known', values['mempool-known'], (x) => x >= 0 && x <= 1, 'a fraction 0..1') ?? 0.5 }
        : {}),
      ...(payoutScript ? { payoutScript } : {}),
      ...(authoritySecret ? { authoritySecret } : {}),
      ...(values['node-tp'] !== undefined
        ? {
            node: {
              url: values['node-tp'],
              lagMs: nodeLag ?? 0,
              allowUnauthenticated: values['node-allow-unauthenticated'] ?? false,
              plain: values['node-plain'] ?? false,
            },
          }
        : {}),
    });
    pair.on('declared', (d) => {
      if (!d.ok) console.log(`declaration refused: ${d.code ?? '?'}${d.details ? `: ${d.details}` : ''}`);
    });
    const { jdsUrl, poolUrl } = await pair.start();
    console.log(`lab jds: ${jdsUrl}`);
    console.log(`lab pool: ${poolUrl}`);
    console.log(`  mempool: ${pair.stats().jds.mempool} transactions known${censor.length > 0 ? `; CENSORING ${values['censor-txid']?.join(', ')}` : ''}`);
    await untilStopSignal();
    await pair.stop();
    console.log(JSON.stringify({ jdsUrl, poolUrl, ...pair.stats() }, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    return 0;
  },
};
export default command;
