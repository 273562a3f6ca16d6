/**
 * `asic-agent run --config FILE [--sim-fault NAME@SECONDS]… [--sim-record FILE]`
 *
 * Brings the board up (simulated peripherals for a board-config with [sim], real I2C and GPIO
 * otherwise), runs the thermal loop, and keeps running until a signal. Every way out ends in the
 * board's safe state (src/board/exit-guard.ts). The agent issue adds chains and pools to this command
 * by attaching them to the same Board.
 */
import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';
import { parseSimFault, SIM_FAULTS, SimFaultSyntaxError, type SimFault } from '../../drivers/sim/sim-faults.js';
import { ConfigError } from '../config/config-error.js';
import { loadRunConfig, type RunConfig } from '../config/run-config.js';
import { LOG_LEVELS } from '../config/agent-config.js';
import { configureLogging, logger, setLogLevel } from '../log.js';
import { installExitGuard } from '../board/exit-guard.js';
import { createBoardRuntime, type BoardRuntime } from '../board/runtime.js';
import { simulatedLoad } from '../board/sim-load.js';
import { UsageError, type Command } from './command.js';

const command: Command = {
  name: 'run',
  summary: 'run the board: power-up, thermal loop, safe state on every exit',
  usage: [
    'asic-agent run --config FILE [--sim-fault NAME[:TARGET]@SECONDS]... [--sim-record FILE]',
    '',
    '  --config FILE        an agent config (config.example.toml) or a board-config',
    '  --sim-fault F        inject a fault into a simulated board, repeatable; faults:',
    ...Object.entries(SIM_FAULTS).map(([n, d]) => `                         ${n.padEnd(20)} ${d}`),
    '  --sim-record FILE    append the simulated hardware state to FILE on every change',
  ].join('\n'),
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          config: { type: 'string' },
          'sim-fault': { type: 'string', multiple: true },
          'sim-record': { type: 'string' },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    const file = values.config;
    if (!file) throw new UsageError('--config FILE is required');
    let faults: SimFault[];
    try {
      faults = (values['sim-fault'] ?? []).map(parseSimFault);
    } catch (err) {
      if (err instanceof SimFaultSyntaxError) throw new UsageError(err.message);
      throw err;
    }

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
    // ASIC_AGENT_LOG_LEVEL (development, tests) wins over [log] level when it names a real level.
    const envLevel = LOG_LEVELS.find((l): l is LevelWithSilent => l === process.env.ASIC_AGENT_LOG_LEVEL);
    configureLogging({ level: envLevel ?? cfg.logLevel });
    const log = logger('run');

    let rt: BoardRuntime;
    try {
      rt = await createBoardRuntime(cfg, { simFaults: faults, ...(values['sim-record'] ? { simRecordPath: values['sim-record'] } : {}) });
    } catch (err) {
      // Nothing was powered: the lines that did open were opened in their safe state.
      log.fatal({ err: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }, 'cannot open the board');
      console.error(`asic-agent run: cannot open the board: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
    const { board, sim } = rt;
    if (sim) {
      const a = cfg.board.asic;
      board.attachMining(simulatedLoad(sim, a.frequency_mhz, cfg.frequencyMhz, a.frequency_step_mhz, a.min_frequency_mhz));
    }
    const guard = installExitGuard({
      board,
      log,
      hardTimeoutMs: cfg.fans.exitCoolTimeoutS * 1000 + 15_000,
      exit: () => rt.close(),
      reload: () => {
        const next = loadRunConfig(file);
        if (next.boardFile !== cfg.boardFile) log.warn({ was: cfg.boardFile, now: next.boardFile }, 'a different board-config needs a restart; keeping the current board');
        board.configure(next.limits, next.fans, next.power);
        if (!envLevel) setLogLevel(next.logLevel);
      },
    });

    log.info({ board: cfg.board.name, simulated: sim !== undefined, faults: sim ? sim.injected.concat(faults.map((f) => `${f.name}@${f.atS}`)) : [], config: file }, 'starting');
    try {
      await board.start();
      log.info({ board: cfg.board.name, frequencyMhz: cfg.frequencyMhz, coreVoltage: cfg.coreVoltage }, 'running');
    } catch (err) {
      log.error({ err: err instanceof Error ? err.message : String(err) }, 'start failed');
      guard.finish(board.lastSafeState()?.reason ?? 'power-up-failed', err instanceof Error ? err.message : String(err), 1);
    }
    const code = await guard.done;
    // Backstop: native handles (epoll under onoff) must not keep an exiting agent alive.
    setTimeout(() => process.exit(code), 2000).unref();
    return code;
  },
};
export default command;
