/**
 * `asic-agent unit [--config FILE] [--read FILE] [--node PATH] [--prefix DIR]`: prints the systemd unit for this machine
 * and this config (src/service/systemd-unit.ts). scripts/install.sh writes it to
 * /etc/systemd/system/asic-agent.service; `asic-agent upgrade` writes the new version's.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config-error.js';
import { loadRunConfig } from '../config/run-config.js';
import { deviceAllowFor, renderUnit } from '../service/systemd-unit.js';
import { UsageError, type Command } from './command.js';

/** The cool-down a config gets when it names none ([fans] exit_cool_timeout_s). */
const DEFAULT_EXIT_COOL_S = 60;

const command: Command = {
  name: 'unit',
  summary: 'print the systemd unit for this machine and config (the installer writes it)',
  usage: [
    'asic-agent unit [--config FILE] [--read FILE] [--node PATH] [--prefix DIR]',
    '',
    '  --config FILE   the agent config the service runs (default /etc/asic-agent/config.toml)',
    '  --read FILE     read the board and cool-down from this file instead (an install into --root)',
    '  --node PATH     the Node.js binary ExecStart= runs (default: the one running this command)',
    '  --prefix DIR    where versions/ and the current link live (default /opt/asic-agent)',
  ].join('\n'),
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: { config: { type: 'string' }, read: { type: 'string' }, node: { type: 'string' }, prefix: { type: 'string' } },
        strict: true,
      }));
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    const config = values.config ?? '/etc/asic-agent/config.toml';
    const node = values.node ?? process.execPath;
    const prefix = (values.prefix ?? '/opt/asic-agent').replace(/\/+$/, '');
    for (const [name, v] of [
      ['--node', node],
      ['--prefix', prefix],
      ['--config', config],
    ] as const) {
      if (!v.startsWith('/') || /\s/.test(v)) throw new UsageError(`${name} must be an absolute path without spaces, got ${JSON.stringify(v)}`);
    }
    let exitCoolTimeoutS = DEFAULT_EXIT_COOL_S;
    let devices: string[] = [];
    try {
      const cfg = loadRunConfig(values.read ?? config);
      exitCoolTimeoutS = cfg.fans.exitCoolTimeoutS;
      devices = deviceAllowFor(cfg.board);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      console.error(
        `asic-agent unit: ${values.read ?? config} does not check yet, so the unit allows no devices and stops within the default time:\n${err.message}`,
      );
    }
    process.stdout.write(renderUnit({ node, prefix, config, exitCoolTimeoutS, devices }));
    return 0;
  },
};
export default command;
