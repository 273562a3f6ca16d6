/**
 * `asic-agent safe-state --config FILE [--if-failed]`: drives the board's outputs to the safe state from
 * a fresh process (src/board/safe-state-now.ts). The unit runs it as ExecStopPost= with --if-failed:
 * systemd says how the service ended in $SERVICE_RESULT (systemd.exec(5)), and after "success" the agent
 * has done its own safe stop, so there is nothing to do. By hand it always acts: do not run it under a
 * running agent unless you mean to cut its power (the agent then stops for a regulator fault).
 */
import { parseArgs } from 'node:util';
import { LinuxI2cBus } from '../../drivers/transport/linux-i2c-bus.js';
import { openSysfsGpio } from '../../drivers/transport/sysfs-gpio.js';
import { safeStateNow } from '../board/safe-state-now.js';
import { ConfigError } from '../config/config-error.js';
import { loadRunConfig } from '../config/run-config.js';
import { logger } from '../log.js';
import { UsageError, type Command } from './command.js';

const command: Command = {
  name: 'safe-state',
  summary: 'drive the board to its safe state from a fresh process (systemd runs it after a failed stop)',
  usage: [
    'asic-agent safe-state --config FILE [--if-failed]',
    '',
    '  --config FILE   the agent config (or board-config) naming the board',
    '  --if-failed     do nothing when systemd says the service ended cleanly ($SERVICE_RESULT=success)',
  ].join('\n'),
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({ args: argv, options: { config: { type: 'string' }, 'if-failed': { type: 'boolean', default: false } }, strict: true }));
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    if (!values.config) throw new UsageError('--config FILE is required');
    const result = process.env.SERVICE_RESULT;
    if (values['if-failed'] && (result === undefined || result === 'success')) return 0;
    const log = logger('safe-state');
    let cfg;
    try {
      cfg = loadRunConfig(values.config);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      // Nothing can be opened without a board-config; a service that never loaded this file never powered anything.
      log.error({ errors: err.message.split('\n') }, 'cannot drive the safe state: the config does not load');
      console.error(err.message);
      return 1;
    }
    const busNumber = cfg.board.i2c.bus;
    if (cfg.board.sim || busNumber === 'sim') {
      log.info({ board: cfg.board.name, serviceResult: result ?? null }, 'simulated board: its hardware ended with the agent process, nothing to drive');
      return 0;
    }
    log.warn({ board: cfg.board.name, serviceResult: result ?? null }, 'the agent ended without its own safe stop: driving the safe state');
    const bus = await LinuxI2cBus.open(busNumber, { timeoutMs: Math.min(500, cfg.board.control.step_timeout_ms) });
    try {
      const rec = await safeStateNow(cfg, bus, openSysfsGpio);
      return rec.complete ? 0 : 1;
    } finally {
      await bus.close().catch(() => undefined);
    }
  },
};
export default command;
