/**
 * `asic-agent run --config FILE [--sim-fault NAME@SECONDS]… [--sim-record FILE]`
 *
 * The firmware: brings the board up (simulated peripherals and chains for a board-config with [sim],
 * wired in from the workshop here and nowhere else; real I2C, GPIO and UARTs otherwise), connects to the pools, mines, serves the local APIs, and keeps
 * running until a signal. Every way out ends in the board's safe state (src/board/exit-guard.ts).
 */
import { isatty } from 'node:tty';
import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';
import { parseSimFault, SIM_FAULTS, SimFaultSyntaxError, type SimFault } from '../config/sim-faults.js';
import { Agent } from '../agent/agent.js';
import { dashboardUrl } from '../dashboard/dashboard.js';
import { ConfigError } from '../config/config-error.js';
import { loadRunConfig, type RunConfig } from '../config/run-config.js';
import { LOG_LEVELS } from '../config/agent-config.js';
import { configureLogging, logger } from '../log.js';
import { installExitGuard } from '../board/exit-guard.js';
import type { UpstreamConstructor } from '../upstream/upstream-factory.js';
import { FIRMWARE_NAME, FIRMWARE_VERSION } from '../version.js';
import type { PoolEntry } from '../upstream/pool-config.js';
import { serviceNotifier } from '../service/service-notifier.js';
import { fitStopToUnit, shutdownDeadlineMs, unitStopTimeoutFromEnv } from '../service/stop-timeout.js';
import { statusRecord } from '../agent/status-record.js';
import { runtimeDirectory, writeRuntimeInfo } from '../service/runtime-file.js';
import { packageRoot } from '../package-root.js';
import type { SimulatedParts } from '../board/simulated-parts.js';
import { UsageError, type Command } from './command.js';
import { loadWorkshop, WorkshopMissingError } from './workshop.js';
import { explainStartupFailure, type StartupHints } from './startup-failure.js';

const PROTOCOL_OF_SCHEME: Record<string, string> = {
  'stratum2+tcp:': 'Stratum V2',
  'stratum+tcp:': 'Stratum V1',
  'stratum+ssl:': 'Stratum V1 over TLS',
};

/** `name  scheme://host:port (protocol)`: no user, password or key path, for the start-up banner. */
export function describePool(p: PoolEntry): string {
  let where = p.url;
  let protocol = '';
  try {
    const u = new URL(p.url);
    where = `${u.protocol}//${u.host}`;
    protocol = PROTOCOL_OF_SCHEME[u.protocol] ?? (u.protocol === 'tdp:' || u.protocol === 'jd:' ? 'Job Declaration' : u.protocol.replace(/:$/, ''));
  } catch {
    // Not a URL (a Job Declaration entry names its template provider): shown as configured.
  }
  const channel = protocol === 'Stratum V2' && p.channel ? `, ${p.channel} channel` : '';
  return `${p.name ?? where}  ${where}${protocol ? ` (${protocol}${channel})` : ''}`;
}

export interface RunArgs {
  config: string;
  simFaults: SimFault[];
  simRecord?: string;
}

export function parseRunArgs(argv: string[]): RunArgs {
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
  return { config: file, simFaults: faults, ...(values['sim-record'] ? { simRecord: values['sim-record'] } : {}) };
}

/** EX_CONFIG (sysexits.h): the unit's RestartPreventExitStatus=, so a broken config is not restarted for ever. */
export const EXIT_CONFIG = 78;

/** One line for `systemctl status` (STATUS=). */
function serviceStatus(agent: Agent): string {
  const r = statusRecord(agent);
  const ths = (r.hashrate_hs / 1e12).toFixed(3);
  const temps = Object.values(r.temps_c).filter((t): t is number => t !== null);
  const hottest = temps.length > 0 ? `, ${Math.max(...temps).toFixed(0)} °C` : '';
  return `${agent.rt.board.getPhase()}: ${ths} TH/s, ${r.accepted} accepted, ${r.rejected} rejected, pool ${r.pool ?? 'none'}${hottest}`;
}

/**
 * Runs the agent from a config file until it is stopped; returns the exit code. `hooks.started` is
 * called once the APIs listen and the board is powering up (the demo prints its banner there).
 */
export async function runAgent(
  args: RunArgs,
  hooks: { started?: (agent: Agent) => void; clients?: Record<string, UpstreamConstructor>; hints?: StartupHints } = {},
): Promise<number> {
  let cfg: RunConfig;
  try {
    cfg = loadRunConfig(args.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return EXIT_CONFIG;
    }
    throw err;
  }
  // ASIC_AGENT_LOG_LEVEL (development, tests) wins over [log] level when it names a real level.
  const envLevel = LOG_LEVELS.find((l): l is LevelWithSilent => l === process.env.ASIC_AGENT_LOG_LEVEL);
  configureLogging({ level: envLevel ?? cfg.logLevel });
  const log = logger('run');
  // Under systemd: the watchdog pings start now, from the event loop; READY=1 waits for the board.
  const notify = serviceNotifier({ log: logger('service') });
  notify.startWatchdog();
  const unitStopS = unitStopTimeoutFromEnv(process.env);
  cfg = fitStopToUnit(cfg, unitStopS, log);

  // A simulated board's parts come from the workshop (never installed on a miner).
  let simulated: SimulatedParts | undefined;
  if (cfg.board.sim) {
    try {
      simulated = (await loadWorkshop(`the simulated board ${cfg.board.name}`)).simulated;
    } catch (err) {
      if (!(err instanceof WorkshopMissingError)) throw err;
      console.error(`asic-agent: cannot start: ${err.message}`);
      return 1;
    }
  }
  const agent = new Agent({
    config: cfg,
    ...(simulated ? { simulated } : {}),
    simFaults: args.simFaults,
    ...(args.simRecord ? { simRecordPath: args.simRecord } : {}),
    ...(hooks.clients ? { clients: hooks.clients } : {}),
  });
  try {
    await agent.open();
  } catch (err) {
    // Nothing was powered: the lines that did open were opened in their safe state.
    log.fatal({ err: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }, 'cannot start');
    console.error(`asic-agent: cannot start: ${explainStartupFailure(err, hooks.hints)}`);
    await agent.close().catch(() => undefined);
    return 1;
  }
  const { board, sim } = agent.rt;
  const startedInTerminal = isatty(1);
  const rundir = runtimeDirectory(process.env);
  if (rundir) {
    const at = agent.api?.addresses;
    try {
      writeRuntimeInfo(rundir, {
        pid: process.pid,
        version: FIRMWARE_VERSION,
        root: packageRoot(),
        http: at?.http ?? null,
        cgminer: at?.cgminer ?? null,
        startedAt: Date.now(),
      });
    } catch (err) {
      log.warn({ dir: rundir, err: err instanceof Error ? err.message : String(err) }, 'cannot write the runtime file (the upgrade health check reads it)');
    }
  }
  const guard = installExitGuard({
    board,
    log,
    hardTimeoutMs: shutdownDeadlineMs(cfg.fans.exitCoolTimeoutS),
    // The board is safe when this runs; the rest (pools, chains, simulators, APIs) is closed below.
    exit: () => undefined,
    reload: () => agent.reload(fitStopToUnit(loadRunConfig(args.config), unitStopS, log), envLevel),
    // Started in a terminal that has since hung up: stdout is no longer a tty (isatty fails with EIO).
    terminalGone: () => startedInTerminal && !isatty(1),
    notify,
  });

  log.info(
    {
      firmware: `${FIRMWARE_NAME} ${FIRMWARE_VERSION}`,
      board: cfg.board.name,
      simulated: sim !== undefined,
      chains: cfg.board.chain.length,
      chips: `${cfg.board.asic.chips} ${cfg.board.asic.family}`,
      pools: agent.groups.flatMap((g) => g.pools.map(describePool)),
      api: agent.api?.addresses ?? { cgminer: null, http: null },
      dashboard: agent.dashboard && agent.api?.addresses.http ? dashboardUrl(agent.api.addresses.http) : null,
      faults: sim ? sim.injected.concat(args.simFaults.map((f) => `${f.name}@${f.atS}`)) : [],
      config: args.config,
    },
    'starting',
  );
  hooks.started?.(agent);
  try {
    await agent.startBoard();
    log.info({ board: cfg.board.name, frequencyMhz: cfg.frequencyMhz, coreVoltage: cfg.coreVoltage }, 'running');
    notify.ready(`board ${cfg.board.name} powered, chains released`);
  } catch (err) {
    log.error({ err: err instanceof Error ? err.message : String(err) }, 'start failed');
    guard.finish(board.lastSafeState()?.reason ?? 'power-up-failed', err instanceof Error ? err.message : String(err), 1);
  }
  const statusTimer = notify.active ? setInterval(() => notify.status(serviceStatus(agent)), 10_000).unref() : undefined;
  const code = await guard.done;
  clearInterval(statusTimer);
  notify.stopWatchdog();
  await agent.close().catch((err: unknown) => log.error({ err: String(err) }, 'closing the agent'));
  await notify.flush();
  // Backstop: native handles (epoll under onoff, serial ports) must not keep an exiting agent alive.
  setTimeout(() => process.exit(code), 2000).unref();
  return code;
}

const command: Command = {
  name: 'run',
  summary: 'run the miner: board, chains, pools, APIs; safe state on every exit',
  usage: [
    'asic-agent run --config FILE [--sim-fault NAME[:TARGET]@SECONDS]... [--sim-record FILE]',
    '',
    '  --config FILE        an agent config (config.example.toml) or a board-config',
    '  --sim-fault F        inject a fault into a simulated board, repeatable; faults:',
    ...Object.entries(SIM_FAULTS).map(([n, d]) => `                         ${n.padEnd(20)} ${d}`),
    '  --sim-record FILE    append the simulated hardware state to FILE on every change',
  ].join('\n'),
  run: (argv) => runAgent(parseRunArgs(argv)),
};
export default command;
