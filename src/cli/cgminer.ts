/**
 * `asic-agent cgminer COMMAND [PARAMETER] [--token T] [--address HOST:PORT] [--raw]`: sends one command to
 * a cgminer-compatible API (the running agent's on 127.0.0.1:4028 by default, or any cgminer/bmminer
 * miner) the way farm tools do, and prints the reply as indented JSON. No nc or socat needed.
 * Exit 0 when the reply's STATUS is S or I, 1 for E/W or no answer, 2 for usage errors.
 */
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { DEFAULT_CGMINER_PORT } from '../api/api-options.js';
import { UsageError, type Command } from './command.js';

/** One request, the whole reply (cgminer answers, then closes; a NUL may end the JSON). */
export function cgminerRequest(host: string, port: number, request: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = connect({ host, port }, () => sock.write(request));
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`no complete answer from ${host}:${port} within ${timeoutMs / 1000} s`)));
    sock.on('data', (b: Buffer) => chunks.push(b));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED')
        reject(new Error(`nothing listens at ${host}:${port} (connection refused): is the agent running with [api.cgminer] enabled?`));
      else reject(err);
    });
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('utf8').replace(/\0+$/, '')));
  });
}

function hostPort(v: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(v);
  if (!m) throw new UsageError('--address takes HOST:PORT');
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port: Number(m[3]) };
}

const command: Command = {
  name: 'cgminer',
  summary: "send one command to a cgminer-compatible API (the agent's 4028) and print the JSON reply",
  usage: [
    `asic-agent cgminer COMMAND [PARAMETER] [--token T] [--address HOST:PORT] [--raw] [--timeout S]`,
    '',
    '  COMMAND          summary, pools, devs, stats, version, config, ... ; join several with +: summary+pools',
    "  PARAMETER        the command's parameter (switchpool 1, addpool URL,USER,PASS, ...)",
    '  --token T        the write token, for write commands (when writes are enabled for your address)',
    `  --address H:P    where the API listens (default 127.0.0.1:${DEFAULT_CGMINER_PORT})`,
    '  --raw            print the reply as it came (one line), not indented',
    '  --timeout S      give up after S seconds (default 10)',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { token: { type: 'string' }, address: { type: 'string' }, raw: { type: 'boolean', default: false }, timeout: { type: 'string' } },
    });
    const [cmd, parameter, ...extra] = positionals;
    if (!cmd) throw new UsageError('a COMMAND is required (e.g. summary)');
    if (extra.length > 0) throw new UsageError('one COMMAND and at most one PARAMETER');
    const timeoutS = values.timeout === undefined ? 10 : Number(values.timeout);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError('--timeout takes a positive number of seconds');
    const { host, port } = values.address ? hostPort(values.address) : { host: '127.0.0.1', port: DEFAULT_CGMINER_PORT };
    const request = JSON.stringify({
      command: cmd,
      ...(parameter !== undefined ? { parameter } : {}),
      ...(values.token !== undefined ? { token: values.token } : {}),
    });
    let text: string;
    try {
      text = await cgminerRequest(host, port, request, timeoutS * 1000);
    } catch (err) {
      console.error(`asic-agent cgminer: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      console.log(text);
      return 1;
    }
    console.log(values.raw ? text : JSON.stringify(reply, null, 2));
    const statuses = JSON.stringify(reply).match(/"STATUS":"([SIWEF])"/g) ?? [];
    return statuses.length > 0 && statuses.every((s) => /"[SI]"$/.test(s)) ? 0 : 1;
  },
};
export default command;
