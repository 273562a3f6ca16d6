/**
 * `asic-agent check-config FILE`: prints "ok" (exit 0) or every problem, one per line as
 * `FILE:LINE: key: message` (exit 1). Recognises agent configs and board-configs (kind = "board"); an
 * agent config is checked together with the board-config it names.
 */
import { ConfigError } from '../config/config-error.js';
import { loadRunConfig } from '../config/run-config.js';
import { UsageError, type Command } from './command.js';

const command: Command = {
  name: 'check-config',
  summary: 'check an agent config or a board-config: prints ok or every error with its line',
  usage: 'asic-agent check-config FILE',
  async run(argv) {
    const files = argv.filter((a) => !a.startsWith('-'));
    if (files.length !== 1 || argv.length !== 1) throw new UsageError('expected exactly one FILE');
    const file = files[0] as string;
    try {
      loadRunConfig(file);
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(err.message);
        return 1;
      }
      throw err;
    }
    console.log('ok');
    return 0;
  },
};
export default command;
