/**
 * asic-agent command line. `asic-agent <command> [options]`; `asic-agent --help` lists the commands.
 * Each command lives in its own module under src/cli and is loaded only when used; `demo`, `lab` and
 * `sim` are the workshop's (workshop/cli), loaded through src/cli/workshop.ts.
 */
import { asUsageError, type Command } from './cli/command.js';
import { loadWorkshop, WorkshopMissingError } from './cli/workshop.js';
import { FIRMWARE_NAME, FIRMWARE_VERSION } from './version.js';

type Loader = () => Promise<Command>;

/** name -> loader. Keep in alphabetical order. */
const COMMANDS: Record<string, { summary: string; load: Loader }> = {
  cgminer: {
    summary: "send one command to a cgminer-compatible API (the agent's 4028) and print the JSON reply",
    load: async () => (await import('./cli/cgminer.js')).default,
  },
  'check-config': {
    summary: 'check an agent config or a board-config: prints ok or every error with its line',
    load: async () => (await import('./cli/check-config.js')).default,
  },
  demo: { summary: 'the demo (npm start): lab SV2 pool + the agent on a simulated board', load: async () => (await loadWorkshop('demo')).commands.demo() },
  decode: { summary: 'decode BM13xx UART frames (hex or stdin) into JSON, CRCs checked', load: async () => (await import('./cli/decode.js')).default },
  lab: { summary: 'run a lab server (pool, job declarator, template provider) on 127.0.0.1', load: async () => (await loadWorkshop('lab')).commands.lab() },
  password: { summary: 'set the password the web dashboard asks before it changes settings', load: async () => (await import('./cli/password.js')).default },
  probe: { summary: 'check a pool before deploying (handshake, certificate, jobs, CPU mining)', load: async () => (await import('./cli/probe.js')).default },
  run: { summary: 'run the miner: board, chains, pools, local APIs; safe state on every exit', load: async () => (await import('./cli/run.js')).default },
  'safe-state': {
    summary: 'drive the board to its safe state from a fresh process (systemd runs it after a failed stop)',
    load: async () => (await import('./cli/safe-state.js')).default,
  },
  sim: {
    summary: 'run a simulated BM13xx chain on a pseudo-terminal (prints the device path first)',
    load: async () => (await loadWorkshop('sim')).commands.sim(),
  },
  status: {
    summary: 'show the running agent: pool, hashrate, shares, chains, temperatures, fans, alarms',
    load: async () => (await import('./cli/status.js')).default,
  },
  unit: { summary: 'print the systemd unit for this machine and config (the installer writes it)', load: async () => (await import('./cli/unit.js')).default },
  upgrade: {
    summary: 'install a release next to the running one, restart, roll back unless healthy',
    load: async () => (await import('./cli/upgrade.js')).default,
  },
};

function help(): string {
  const lines = [
    `${FIRMWARE_NAME} ${FIRMWARE_VERSION} — open firmware for Bitcoin ASIC miners`,
    '',
    'Usage: asic-agent <command> [options]',
    '       asic-agent --help | --version',
    '',
    'Commands:',
  ];
  const names = Object.keys(COMMANDS).sort();
  if (names.length === 0) lines.push('  (none yet)');
  for (const n of names) lines.push(`  ${n.padEnd(14)} ${COMMANDS[n]?.summary ?? ''}`);
  lines.push('', "Run 'asic-agent <command> --help' for a command's options.");
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    // No command: the help, on stderr, and the usage-error code (scripts that forgot the command fail).
    console.error(help());
    return 2;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    console.log(help());
    return 0;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    console.log(`${FIRMWARE_NAME} ${FIRMWARE_VERSION}`);
    return 0;
  }
  // Own keys only: `asic-agent constructor` is an unknown command, not Object's.
  const entry = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (!entry) {
    console.error(`asic-agent: unknown command '${first}'\n`);
    console.error(help());
    return 2;
  }
  let cmd: Command;
  try {
    cmd = await entry.load();
  } catch (err) {
    // A workshop command on a miner (the workshop is not installed there): one line, not a stack.
    if (!(err instanceof WorkshopMissingError)) throw err;
    console.error(`asic-agent ${first}: ${err.message}`);
    return 1;
  }
  // A command with subcommands (lab) answers --help for each of them itself.
  if (!cmd.subcommands && (rest.includes('--help') || rest.includes('-h'))) {
    console.log(`${cmd.summary}\n\nUsage: ${cmd.usage}`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    const usage = asUsageError(err);
    if (usage) {
      console.error(`asic-agent ${cmd.name}: ${usage.message}\n\nUsage: ${cmd.usage}`);
      return 2;
    }
    throw err;
  }
}

// `node --import tsx src/main.ts …` (bin/asic-agent.js imports main() and calls it itself).
const invokedDirectly = process.argv[1] !== undefined && /(?:^|[/\\])main\.[jt]s$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    },
  );
}
