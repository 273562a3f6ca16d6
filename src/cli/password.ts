/**
 * `asic-agent password --config FILE [--remove]` — sets the password that lets the web dashboard and the
 * HTTP settings API change settings. The password is read from the terminal without echo (or from
 * stdin, one line), and only its scrypt hash is written, into `[dashboard] hashed_password` of the
 * config file: edited in place (comments kept), atomically, the previous file kept as FILE.bak. A
 * running agent takes it at its next reload (SIGHUP, `systemctl reload asic-agent`).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { writeFileAtomic } from '../config/atomic-write.js';
import { ConfigError } from '../config/config-error.js';
import { runConfigOf } from '../config/run-config.js';
import { editToml, TomlEditError } from '../config/toml-edit.js';
import { parseToml } from '../config/toml-file.js';
import { hashPassword, PasswordHashError } from '../dashboard/password.js';
import { UsageError, type Command } from './command.js';

/** One line from stdin; on a terminal, asked for twice and not echoed. */
async function readPassword(): Promise<string> {
  const tty = process.stdin.isTTY === true;
  if (!tty) {
    const rl = createInterface({ input: process.stdin });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    return '';
  }
  const ask = (prompt: string): Promise<string> =>
    new Promise((resolve) => {
      process.stderr.write(prompt);
      const stdin = process.stdin;
      stdin.setRawMode(true);
      stdin.resume();
      let s = '';
      const onData = (b: Buffer): void => {
        for (const ch of b.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            stdin.setRawMode(false);
            stdin.pause();
            process.stderr.write('\n');
            return resolve(s);
          }
          if (ch === '\u0003') process.exit(130);
          if (ch === '\u007f' || ch === '\b') s = s.slice(0, -1);
          else s += ch;
        }
      };
      stdin.on('data', onData);
    });
  const a = await ask('new settings password: ');
  const b = await ask('again: ');
  if (a !== b) throw new UsageError('the two passwords differ');
  return a;
}

const command: Command = {
  name: 'password',
  summary: 'set the password the web dashboard asks before it changes settings',
  usage: [
    'asic-agent password --config FILE [--remove]',
    '',
    '  Reads the new password (at least 8 characters) from the terminal, or one line from stdin, and',
    '  writes its scrypt hash to [dashboard] hashed_password in FILE (comments kept, FILE.bak kept).',
    '  --remove   removes the password: the dashboard becomes read-only',
    '  Then reload the agent: systemctl reload asic-agent (or kill -HUP its pid).',
  ].join('\n'),
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: { config: { type: 'string' }, remove: { type: 'boolean', default: false } },
        strict: true,
        allowPositionals: false,
      }));
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    const file = values.config;
    if (!file) throw new UsageError('--config FILE is required');
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch (err) {
      console.error(`asic-agent password: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
    let edit;
    if (values.remove) edit = { op: 'delete' as const, key: 'dashboard.hashed_password' };
    else {
      const pw = await readPassword();
      try {
        edit = { op: 'set' as const, key: 'dashboard.hashed_password', value: await hashPassword(pw) };
      } catch (err) {
        if (err instanceof PasswordHashError) throw new UsageError(err.message);
        throw err;
      }
    }
    try {
      const text = editToml(source, [edit]);
      const cfg = runConfigOf(parseToml(text, file));
      if (cfg.kind !== 'agent') throw new UsageError(`${file} is a board-config; the password goes in the agent config`);
      writeFileAtomic(file, text);
    } catch (err) {
      if (err instanceof ConfigError || err instanceof TomlEditError) {
        console.error(`asic-agent password: ${err.message}`);
        return 1;
      }
      throw err;
    }
    console.log(
      `${values.remove ? 'removed the settings password from' : 'wrote the settings password hash to'} ${file}; reload the agent to use it (systemctl reload asic-agent)`,
    );
    return 0;
  },
};
export default command;
