/**
 * `asic-agent check-config FILE [--root DIR] [--user NAME]`: prints "ok" (exit 0) or every problem, one
 * per line as `FILE:LINE: key: message` (exit 1). Recognises agent configs and board-configs (kind =
 * "board"); an agent config is checked together with the board-config it names.
 *
 * On a Raspberry Pi it also checks the Pi OS settings the board-config needs and names what is missing
 * (src/config/pi-host-check.ts), as `FILE: host: message` lines. `--root` looks at a system mounted
 * elsewhere (tests use a fake one); `--user` is the account the agent runs as (default: `miner` when it
 * exists, as scripts/install.sh creates it, else the current user). Warnings (a chip family nobody has run
 * on hardware, the mini UART) are printed as `FILE: warning: message` and do not fail the check.
 */
import { userInfo } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { checkPiHost } from '../config/pi-host-check.js';
import { loadRunConfig, type RunConfig } from '../config/run-config.js';
import { UsageError, type Command } from './command.js';

/** Chip families with no working firmware source that has run them (docs/bm13xx.md). */
const UNVERIFIED: Readonly<Record<string, string>> = {
  bm1362: "BM1362 is unverified on hardware: its only source is cgminer's gekko driver (docs/bm13xx.md)",
};

function serviceUser(root: string, given: string | undefined): string {
  if (given) return given;
  try {
    if (
      readFileSync(join(root, 'etc/passwd'), 'utf8')
        .split('\n')
        .some((l) => l.startsWith('miner:'))
    )
      return 'miner';
  } catch {
    // No passwd to read: fall back to whoever runs the check.
  }
  return userInfo().username;
}

const command: Command = {
  name: 'check-config',
  summary: 'check an agent config or a board-config (and, on a Raspberry Pi, its OS settings): ok or every error',
  usage: 'asic-agent check-config FILE [--root DIR] [--user NAME]',
  async run(argv) {
    let root = '/';
    let user: string | undefined;
    const files: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i] as string;
      if (a === '--root' || a === '--user') {
        const v = argv[++i];
        if (v === undefined || v.startsWith('-')) throw new UsageError(`${a} needs a value`);
        if (a === '--root') root = v;
        else user = v;
      } else if (a.startsWith('-')) {
        throw new UsageError(`unknown option ${a}`);
      } else {
        files.push(a);
      }
    }
    if (files.length !== 1) throw new UsageError('expected exactly one FILE');
    const file = files[0] as string;
    let cfg: RunConfig;
    try {
      cfg = loadRunConfig(file);
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(err.message);
        return 1;
      }
      throw err;
    }
    const host = checkPiHost(cfg.board, { root, user: serviceUser(root, user) });
    const warnings = [...(UNVERIFIED[cfg.board.asic.family] ? [UNVERIFIED[cfg.board.asic.family] as string] : []), ...host.notes];
    for (const w of warnings) console.log(`${file}: warning: ${w}`);
    if (host.problems.length > 0) {
      console.error(`${file}: host: ${host.model} is missing what ${cfg.board.name} needs:`);
      for (const p of host.problems) console.error(`${file}: host: ${p}`);
      return 1;
    }
    console.log('ok');
    return 0;
  },
};
export default command;
