/**
 * `asic-agent lab <server> [options]`: real protocol servers on 127.0.0.1 for development, demos and
 * tests (workshop/lab). Each server is its own module, loaded on demand.
 */
import { asUsageError, UsageError, type Command } from '../../src/cli/command.js';

type LabLoader = () => Promise<Command>;

/** server name -> loader of its Command. Keep in alphabetical order. */
const SERVERS: Record<string, LabLoader> = {
  jds: async () => (await import('../lab/jds-command.js')).default,
  'sv1-pool': async () => (await import('./lab-sv1-pool.js')).default,
  'sv2-pool': async () => (await import('../lab/sv2-pool-command.js')).default,
  'template-provider': async () => (await import('../lab/template-provider-command.js')).default,
};

const command: Command = {
  name: 'lab',
  summary: 'run a lab server (pool, job declarator, template provider) on 127.0.0.1',
  usage: `asic-agent lab <${Object.keys(SERVERS).join('|') || 'server'}> [options]  (asic-agent lab <server> --help)`,
  subcommands: true,
  async run(argv) {
    const [name, ...rest] = argv;
    if (name === '--help' || name === '-h') {
      console.log(`${command.summary}\n\nUsage: ${command.usage}\n\nServers:`);
      for (const [n, l] of Object.entries(SERVERS)) console.log(`  ${n.padEnd(18)} ${(await l()).summary}`);
      return 0;
    }
    const load = name && Object.hasOwn(SERVERS, name) ? SERVERS[name] : undefined;
    if (!load) throw new UsageError(name ? `unknown lab server '${name}'` : 'which lab server?');
    const server = await load();
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log(`${server.summary}\n\nUsage: ${server.usage}`);
      return 0;
    }
    try {
      return await server.run(rest);
    } catch (err) {
      const usage = asUsageError(err);
      if (usage) {
        console.error(`asic-agent lab ${name}: ${usage.message}\n\nUsage: ${server.usage}`);
        return 2;
      }
      throw err;
    }
  },
};
export default command;
