/**
 * `asic-agent sim --chip bm1370 --chips 12 [--hashrate H/s] [--sim-ticket-difficulty D|auto]
 *  [--faults SPEC] [--seed N] [--replay NONCES/s] [--layout be|le] [--stats-every MS]`
 *
 * Runs a simulated BM13xx chain behind a pseudo-terminal (the project's pty addon, native/pty). The first line printed is the device
 * path for the driver; the second is a JSON object with the board's settings, including
 * `simTicketDifficulty`, the sim-only ticket difficulty the host must use for its hashrate (it is never on
 * the wire). SIGUSR1 pulses the chain's reset line; SIGINT/SIGTERM stop it and remove the pty.
 *
 * Started by the agent (--exit-with-parent), it also takes the chain's reset line over stdin: a line
 * `reset 1` asserts it, `reset 0` releases it, and each is acknowledged on stdout with `{"reset":true}` /
 * `{"reset":false}` once applied, so the simulated board's GPIO write completes when the chips have
 * seen it (workshop/sim/sim-chain-process.ts).
 */
import { createInterface } from 'node:readline';
import { familyByName, UnknownFamilyError } from '../../drivers/asic/bm13xx/family.js';
import { ESP_MINER_NONCE_LAYOUT, type NonceLayout } from '../../drivers/asic/bm13xx/nonce-layout.js';
import { REPLAY_TICKET_DIFFICULTY, type SimChainConfig } from '../sim/bm13xx/chain-sim.js';
import { FaultSpecError, parseFaults } from '../sim/bm13xx/faults.js';
import { PtyError, startPtySim } from '../sim/bm13xx/pty.js';
import { autoSimTicketDifficulty } from '../sim/bm13xx/sim-ticket.js';
import { drawChips } from '../sim/lottery/silicon-lottery.js';
import { LotteryPerformance } from '../sim/lottery/lottery-performance.js';
import { UsageError, type Command } from '../../src/cli/command.js';

export { autoSimTicketDifficulty };

function positive(name: string, v: string | undefined): number {
  const x = Number(v);
  if (v === undefined || !Number.isFinite(x) || x <= 0) throw new UsageError(`${name} needs a positive number`);
  return x;
}

export interface SimLotteryArgs {
  seed: number;
  /** The chain's index on its board (chains of one board draw different chips). */
  chain: number;
  /** The clock at which the configured hashrate applies, MHz. */
  refMhz: number;
}

export function parseSimArgs(argv: string[]): { config: SimChainConfig; statsEveryMs: number; exitWithParent: boolean; lottery: SimLotteryArgs | undefined } {
  let family: SimChainConfig['family'] | undefined;
  let chips: number | undefined;
  let hashrate = 100_000;
  let ticket: number | 'auto' = 'auto';
  let statsEveryMs = 0;
  let replay: number | undefined;
  let seed = 1;
  let layout: NonceLayout = ESP_MINER_NONCE_LAYOUT;
  let faults: SimChainConfig['faults'];
  let exitWithParent = false;
  let lotterySeed: number | undefined;
  let lotteryChain = 0;
  let lotteryRef: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const v = argv[i + 1];
    switch (a) {
      case '--chip':
        try {
          family = familyByName(v ?? '').name;
        } catch (err) {
          if (err instanceof UnknownFamilyError) throw new UsageError(err.message);
          throw err;
        }
        i++;
        break;
      case '--chips': {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError('--chips is 1..256');
        chips = n;
        i++;
        break;
      }
      case '--hashrate':
        hashrate = positive(a, v);
        i++;
        break;
      case '--sim-ticket-difficulty':
        ticket = v === 'auto' ? 'auto' : positive(a, v);
        i++;
        break;
      case '--faults':
        try {
          faults = parseFaults(v ?? '');
        } catch (err) {
          if (err instanceof FaultSpecError) throw new UsageError(err.message);
          throw err;
        }
        i++;
        break;
      case '--seed':
        seed = Math.floor(positive(a, v));
        i++;
        break;
      case '--replay':
        replay = positive(a, v);
        i++;
        break;
      case '--layout':
        if (v !== 'be' && v !== 'le') throw new UsageError('--layout is be or le');
        layout = { ...ESP_MINER_NONCE_LAYOUT, byteOrder: v };
        i++;
        break;
      case '--stats-every':
        statsEveryMs = positive(a, v);
        i++;
        break;
      case '--lottery':
        lotterySeed = Math.floor(positive(a, v));
        i++;
        break;
      case '--lottery-chain': {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 255) throw new UsageError('--lottery-chain is 0..255');
        lotteryChain = n;
        i++;
        break;
      }
      case '--lottery-ref-mhz':
        lotteryRef = positive(a, v);
        i++;
        break;
      case '--exit-with-parent':
        // Started by the agent with a pipe on stdin: its end means the agent is gone, however it died.
        exitWithParent = true;
        break;
      default:
        throw new UsageError(`unknown option ${a}`);
    }
  }
  if (!family) throw new UsageError('--chip is required');
  if (chips === undefined) throw new UsageError('--chips is required');
  const config: SimChainConfig = {
    family,
    chips,
    hashrate,
    simTicketDifficulty: ticket === 'auto' ? autoSimTicketDifficulty(hashrate) : ticket,
    seed,
    nonceLayout: layout,
  };
  if (faults) config.faults = faults;
  if (replay !== undefined) {
    config.mode = 'replay';
    config.replayNoncesPerSecond = replay;
  }
  const lottery =
    lotterySeed === undefined
      ? undefined
      : { seed: lotterySeed, chain: lotteryChain, refMhz: lotteryRef ?? familyByName(typeof family === 'string' ? family : family.name).defaultFrequencyMhz };
  if (lotterySeed === undefined && lotteryRef !== undefined) throw new UsageError('--lottery-ref-mhz needs --lottery');
  return { config, statsEveryMs, exitWithParent, lottery };
}

const command: Command = {
  name: 'sim',
  summary: 'run a simulated BM13xx chain on a pseudo-terminal (prints the device path first)',
  usage: [
    'asic-agent sim --chip bm1397|bm1362|bm1366|bm1368|bm1370 --chips N [--hashrate H/s] [--sim-ticket-difficulty D|auto]',
    '       [--faults SPEC] [--seed N] [--replay NONCES/s] [--layout be|le] [--stats-every MS] [--exit-with-parent]',
    '       [--lottery SEED [--lottery-chain N] [--lottery-ref-mhz F]]',
    '',
    '  --chip F                   the chip family',
    '  --chips N                  chips on the chain, 1..256',
    '  --hashrate H/s             what the whole chain really hashes on this CPU (default 100000)',
    '  --sim-ticket-difficulty D  the difficulty every returned nonce meets (auto: a few nonces per second for the hashrate)',
    '  --faults SPEC              comma-separated: corrupt=F (fraction of frames), drop=F (bytes), silent=I (chip),',
    '                             die=I@MS, break=I@MS (chip I stops relaying), wrong=I@F, dup=F, delay=MS',
    '  --seed N                   seed of the fault and hashing randomness (default 1)',
    '  --replay NONCES/s          replay pre-found nonces at this rate instead of hashing (benchmarks)',
    '  --layout be|le             nonce byte order in the replies (default: as ESP-Miner decodes them)',
    '  --stats-every MS           print a {"stats": ...} line every MS',
    '  --exit-with-parent         stop when stdin closes (the agent starts it so)',
    '  --lottery SEED             silicon-lottery chips (workshop/sim/lottery): each chip hashes at its clock and errs',
    '                             past its hidden edge; stdin `rail VOLTS TEMP_C` sets the rail and the board',
    '                             temperature; stdout `{"clocks":[...]}` reports the chips\' clocks when they change',
    "  --lottery-chain N          the chain's index on its board (default 0)",
    "  --lottery-ref-mhz F        the clock at which --hashrate applies (default: the family's default clock)",
    '',
    'Prints the device path (/dev/pts/N) for the driver first, then one JSON line with the settings.',
    "SIGUSR1 pulses the chips' reset line; SIGINT, SIGTERM or SIGHUP stop it.",
  ].join('\n'),
  async run(argv) {
    const { config, statsEveryMs, exitWithParent, lottery } = parseSimArgs(argv);
    const perf = lottery
      ? new LotteryPerformance(
          drawChips({
            family: typeof config.family === 'string' ? config.family : config.family.name,
            chips: config.chips,
            seed: lottery.seed,
            chain: lottery.chain,
          }),
          lottery.refMhz,
        )
      : undefined;
    let ps: Awaited<ReturnType<typeof startPtySim>>;
    try {
      ps = await startPtySim(perf ? { ...config, performance: perf } : config);
    } catch (err) {
      if (!(err instanceof PtyError)) throw err;
      console.error(`asic-agent sim: ${err.message}`);
      return 1;
    }
    console.log(ps.hostPath);
    console.log(
      JSON.stringify({
        device: ps.hostPath,
        family: config.family,
        chips: config.chips,
        hashrate: config.hashrate,
        mode: config.mode ?? 'hash',
        simTicketDifficulty: config.mode === 'replay' ? REPLAY_TICKET_DIFFICULTY : config.simTicketDifficulty,
        replayNoncesPerSecond: config.replayNoncesPerSecond ?? null,
        faults: config.faults ?? {},
        seed: config.seed,
        lottery: lottery ?? null,
        pid: process.pid,
      }),
    );
    // The chips' clocks as their PLL registers hold them, reported when they change (the simulated
    // board computes the chips' power from them).
    let lastClocks = '';
    const clockTimer = perf
      ? setInterval(() => {
          const clocks = ps.sim.chips.map((c) => Math.round(c.frequencyMhz() * 1000) / 1000);
          const text = JSON.stringify(clocks);
          if (text === lastClocks) return;
          lastClocks = text;
          console.log(JSON.stringify({ clocks }));
        }, 200)
      : undefined;
    const statsTimer = statsEveryMs > 0 ? setInterval(() => console.log(JSON.stringify({ stats: ps.sim.stats() })), statsEveryMs) : undefined;
    // The agent's parent pipe also asks how many hashes the chips really did (`hashes` → {"hashes":N}):
    // on a loaded machine that is less than the configured rate, and the agent's status says so. The
    // nonce replies sent so far come with it (benchmarks count what the host lost against them).
    const answerHashes = (): void => {
      const st = ps.sim.stats();
      console.log(JSON.stringify({ hashes: st.hashes, noncesSent: st.noncesSent }));
    };
    const onUsr1 = (): void => {
      ps.sim.setReset(true);
      setTimeout(() => ps.sim.setReset(false), 10);
    };
    process.on('SIGUSR1', onUsr1);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
      // The terminal it was started from closed (or the agent's did): stop, do not die mid-write.
      process.once('SIGHUP', resolve);
      if (exitWithParent) {
        const lines = createInterface({ input: process.stdin });
        lines.on('line', (line) => {
          if (line.trim() === 'hashes') return answerHashes();
          const r = /^rail (\S+) (\S+)$/.exec(line.trim());
          if (r && perf) {
            const v = Number(r[1]);
            const t = Number(r[2]);
            if (Number.isFinite(v) && Number.isFinite(t)) perf.setRail(v, t);
            return;
          }
          const m = /^reset ([01])$/.exec(line.trim());
          if (!m) return;
          const held = m[1] === '1';
          ps.sim.setReset(held);
          console.log(JSON.stringify({ reset: held }));
        });
        lines.once('close', resolve);
      }
    });
    if (statsTimer) clearInterval(statsTimer);
    if (clockTimer) clearInterval(clockTimer);
    // The parent pipe was resumed to see its end: let go of it, or it alone keeps the process alive.
    if (exitWithParent) process.stdin.destroy();
    // Backstop: closing the pty can wait on the host's end; a simulator must not outlive its stop.
    setTimeout(() => process.exit(0), 3000).unref();
    // Keep a handler while closing: a reset pulse arriving now must not kill the process by default.
    process.off('SIGUSR1', onUsr1);
    process.on('SIGUSR1', () => undefined);
    await ps.close();
    return 0;
  },
};
export default command;
