/**
 * Optional system tools some tests use (Debian packages; `npm test` needs none of them). When a tool is
 * missing its tests are skipped with a loud message naming the package; with
 * ASIC_AGENT_REQUIRE_TOOLS=1 (set by .ci/run, which installs them) a missing tool fails those tests
 * instead, as ASIC_AGENT_REQUIRE_VECTORS does for the vectors.
 */
import { spawnSync } from 'node:child_process';
import { test, type TestContext, type TestOptions } from 'node:test';

export interface SystemTool {
  /** The command run to check it is there. */
  command: string;
  versionArgs: string[];
  /** The Debian package that provides it. */
  pkg: string;
  /** The version command exits non-zero even when the tool works (mosquitto -h exits 3): present = it ran. */
  anyExit?: boolean;
}

export const TOOLS = {
  prometheus: { command: 'prometheus', versionArgs: ['--version'], pkg: 'prometheus' },
  promtool: { command: 'promtool', versionArgs: ['--version'], pkg: 'prometheus' },
  openssl: { command: 'openssl', versionArgs: ['version'], pkg: 'openssl' },
  systemdAnalyze: { command: 'systemd-analyze', versionArgs: ['--version'], pkg: 'systemd' },
  systemdNotify: { command: 'systemd-notify', versionArgs: ['--version'], pkg: 'systemd' },
  systemdSocketActivate: { command: 'systemd-socket-activate', versionArgs: ['--version'], pkg: 'systemd' },
  mosquitto: { command: 'mosquitto', versionArgs: ['-h'], pkg: 'mosquitto', anyExit: true },
  mosquittoPasswd: { command: 'mosquitto_passwd', versionArgs: ['-h'], pkg: 'mosquitto', anyExit: true },
  /** Debian's chromium, driven by playwright-core (which downloads no browser of its own). */
  chromium: { command: 'chromium', versionArgs: ['--version'], pkg: 'chromium' },
} satisfies Record<string, SystemTool>;

const present = new Map<string, boolean>();
const warned = new Set<string>();

export function toolPresent(tool: SystemTool): boolean {
  let p = present.get(tool.command);
  if (p === undefined) {
    const r = spawnSync(tool.command, tool.versionArgs, { stdio: 'ignore', env: toolEnv() });
    p = !r.error && (r.status === 0 || (tool.anyExit === true && r.status !== null));
    present.set(tool.command, p);
  }
  return p;
}

/** Debian puts daemons such as mosquitto in /usr/sbin, which a non-root PATH may lack. */
export function toolEnv(): NodeJS.ProcessEnv {
  const path = process.env.PATH ?? '';
  return path.split(':').includes('/usr/sbin') ? process.env : { ...process.env, PATH: `${path}:/usr/sbin:/sbin` };
}

export const toolsRequired = (): boolean => process.env.ASIC_AGENT_REQUIRE_TOOLS === '1';

function missing(tools: SystemTool[]): SystemTool[] {
  return tools.filter((t) => !toolPresent(t));
}

function describeMissing(tools: SystemTool[]): string {
  return tools.map((t) => `${t.command} (Debian package ${t.pkg})`).join(', ');
}

/** A test that needs the given tools: skipped loudly without them, failed when they are required. */
export function toolTest(name: string, tools: SystemTool[], options: TestOptions, fn: (t: TestContext) => void | Promise<void>): void {
  const gone = missing(tools);
  if (gone.length === 0) {
    test(name, options, fn);
    return;
  }
  const what = describeMissing(gone);
  if (toolsRequired()) {
    test(name, options, () => {
      throw new Error(`${what} is required here (ASIC_AGENT_REQUIRE_TOOLS=1) but not installed`);
    });
    return;
  }
  const reason = `SKIPPED: needs ${what}; .ci/run installs it`;
  for (const t of gone) {
    if (warned.has(t.command)) continue;
    warned.add(t.command);
    console.error(`\n*** ${t.command} is not installed (Debian package ${t.pkg}): its tests are skipped; .ci/run installs it ***\n`);
  }
  test(name, { ...options, skip: reason }, fn);
}
