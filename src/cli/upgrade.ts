/**
 * `asic-agent upgrade FILE [--timeout S] [--dry-run] [--root DIR] [--prefix DIR] [--config FILE]`:
 * installs a release next to the running version, restarts onto it and rolls back unless it is healthy
 * in time (src/service/upgrade.ts). Run it as root (sudo): it writes under the prefix and restarts the
 * service.
 */
import { parseArgs } from 'node:util';
import { upgrade, UpgradeError } from '../service/upgrade.js';
import { UsageError, type Command } from './command.js';

const command: Command = {
  name: 'upgrade',
  summary: 'install a release next to the running one, restart, roll back unless healthy',
  usage: [
    'asic-agent upgrade FILE [--timeout S] [--keep N] [--dry-run] [--root DIR] [--prefix DIR] [--config FILE]',
    '',
    '  FILE            a release from scripts/release.sh, or a tarball from npm pack',
    '  --timeout S     how long the new version has to mine with its APIs up (default 180)',
    '  --keep N        version folders kept (default 3; the current and the previous one always)',
    '  --dry-run       change nothing: print every step',
    '  --root DIR      the install root (default /; for images and tests)',
    '  --prefix DIR    where versions/ and current live (default /opt/asic-agent)',
    '  --config FILE   the service config (default /etc/asic-agent/config.toml)',
  ].join('\n'),
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        options: {
          timeout: { type: 'string' },
          keep: { type: 'string' },
          'dry-run': { type: 'boolean', default: false },
          root: { type: 'string' },
          prefix: { type: 'string' },
          config: { type: 'string' },
        },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError('expected exactly one release FILE');
    const timeoutS = Number(values.timeout ?? 180);
    const keep = Number(values.keep ?? 3);
    if (!(timeoutS > 0)) throw new UsageError('--timeout must be a number of seconds > 0');
    if (!Number.isInteger(keep) || keep < 2) throw new UsageError('--keep must be an integer >= 2');
    try {
      return await upgrade({
        file: positionals[0] as string,
        root: (values.root ?? '').replace(/\/+$/, ''),
        prefix: (values.prefix ?? '/opt/asic-agent').replace(/\/+$/, ''),
        config: values.config ?? '/etc/asic-agent/config.toml',
        unit: 'asic-agent.service',
        timeoutS,
        keep,
        dryRun: values['dry-run'],
        print: (line) => console.log(`upgrade: ${line}`),
      });
    } catch (err) {
      if (err instanceof UpgradeError) {
        console.error(`asic-agent upgrade: ${err.message}`);
        return 1;
      }
      throw err;
    }
  },
};
export default command;
