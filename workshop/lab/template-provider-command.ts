/**
 * `asic-agent lab template-provider`: the lab Template Provider (template-provider.ts) on 127.0.0.1
 * until SIGINT/SIGTERM. Prints its URL (with the authority key) first, one line per block it accepts
 * or rejects, and its counters as one JSON line when it stops.
 */
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../../src/cli/command.js';
import { untilStopSignal } from '../../src/cli/stop-signal.js';
import { loadLabBlocks } from './block-data.js';
import { authoritySecretOption, numberOption } from './command-options.js';
import { TemplateProvider } from './template-provider.js';

const command: Command = {
  name: 'template-provider',
  summary: 'a Template Provider (Template Distribution, Noise) serving templates from real block data; checks SubmitSolution',
  usage: [
    'asic-agent lab template-provider [--port P] [--network-difficulty D | --nbits HEX] [--prev-hash-interval S]',
    '       [--template-interval S] [--authority-secret HEX] [--plain] [--no-advance] [--vectors DIR]',
    '',
    '  --port P                 listen port on 127.0.0.1 (default 8442, sv2-tp mainnet; 0 = any free port)',
    '  --network-difficulty D   block target as a difficulty (tiny values let a CPU find blocks)',
    '  --nbits HEX              block target as compact nbits (e.g. 207fffff); wins over --network-difficulty',
    '  --prev-hash-interval S   seconds between new prev hashes (default 60; 0 = only when a block is found)',
    '  --template-interval S    seconds between bigger templates on the same prev hash (default 10; 0 = never)',
    '  --authority-secret HEX   authority secret (64 hex digits or base58check); default: random per run',
    '  --plain                  plain SV2 frames, no Noise (clients must allow it)',
    '  --no-advance             an accepted block does not become the new chain tip',
    '  --vectors DIR            shared vectors folder for real block data (default ../shared/vectors)',
  ].join('\n'),
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        'network-difficulty': { type: 'string' },
        nbits: { type: 'string' },
        'prev-hash-interval': { type: 'string' },
        'template-interval': { type: 'string' },
        'authority-secret': { type: 'string' },
        plain: { type: 'boolean', default: false },
        'no-advance': { type: 'boolean', default: false },
        vectors: { type: 'string' },
      },
    });
    const port = numberOption('port', values.port, (x) => Number.isInteger(x) && x >= 0 && x <= 65535, 'a port number (0-65535)') ?? 8442;
    const networkDifficulty = numberOption('network-difficulty', values['network-difficulty'], (x) => x > 0, 'a positive number');
    let nbits: number | undefined;
    if (values.nbits !== undefined) {
      const h = values.nbits.replace(/^0x/i, '');
      if (!/^[0-9a-fA-F]{8}$/.test(h)) throw new UsageError('--nbits must be 8 hex digits');
      nbits = Number.parseInt(h, 16) >>> 0;
    }
    const authoritySecret = authoritySecretOption(values['authority-secret']);
    const blocks = loadLabBlocks(values.vectors);
    const tp = new TemplateProvider({
      port,
      blocks,
      plain: values.plain ?? false,
      advanceOnBlock: !(values['no-advance'] ?? false),
      prevHashIntervalSeconds: numberOption('prev-hash-interval', values['prev-hash-interval'], (x) => x >= 0, 'a number of seconds >= 0') ?? 60,
      templateIntervalSeconds: numberOption('template-interval', values['template-interval'], (x) => x >= 0, 'a number of seconds >= 0') ?? 10,
      ...(networkDifficulty !== undefined ? { networkDifficulty } : {}),
      ...(nbits !== undefined ? { nbits } : {}),
      ...(authoritySecret ? { authoritySecret } : {}),
    });
    tp.on('block', (b) => console.log(`block accepted: height ${b.height} hash ${b.hash} template ${b.templateId} (${b.transactions} transactions)`));
    tp.on('rejected', (r) => console.log(`block rejected: template ${r.templateId}: ${r.reason}`));
    const { url } = await tp.start();
    const r = tp.currentRound;
    console.log(`lab template-provider: ${url}`);
    console.log(
      `  blocks: ${tp.source.map((b) => `${b.height} (${b.transactions.length} txs, ${b.source})`).join('; ')}; nbits ${r.nbits.toString(16).padStart(8, '0')}`,
    );
    await untilStopSignal();
    await tp.stop();
    console.log(JSON.stringify({ url, ...tp.stats(), accepted: tp.accepted.map((b) => ({ height: b.height, hash: b.hash, templateId: b.templateId })) }));
    return 0;
  },
};
export default command;
