// Plays systemd for `asic-agent upgrade` in tests, where no systemd runs: called as `systemctl` (the test
// puts a wrapper first on PATH), it starts and stops the service the way the installed unit says, inside
// the install root the test made. restart = stop (SIGTERM, SIGKILL after TimeoutStopSec=, the runtime
// folder removed as RuntimeDirectory= is) + start (ExecStart= with every absolute path that exists under
// the root taken from there, the unit's Environment=, RUNTIME_DIRECTORY and STATE_DIRECTORY set, output
// appended to STATE/agent.log). Every call is appended to STATE/calls.log.
//   env: FAKE_SYSTEMD_ROOT (the install root), FAKE_SYSTEMD_STATE (a folder of its own)
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.env.FAKE_SYSTEMD_ROOT;
const state = process.env.FAKE_SYSTEMD_STATE;
if (!root || !state) {
  console.error('fake systemctl: FAKE_SYSTEMD_ROOT and FAKE_SYSTEMD_STATE are required');
  process.exit(2);
}
mkdirSync(state, { recursive: true });
const args = process.argv.slice(2);
appendFileSync(join(state, 'calls.log'), args.join(' ') + '\n');
const pidFile = join(state, 'main.pid');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function unitText(unit) {
  return readFileSync(join(root, 'etc/systemd/system', unit), 'utf8');
}

function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie nobody reaps (its parent, an earlier call of this script, is gone) counts as dead.
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function stop(unit) {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  rmSync(pidFile);
  if (alive(pid)) {
    const timeoutS = Number(/^TimeoutStopSec=(\d+)$/m.exec(unitText(unit))?.[1] ?? 90);
    process.kill(pid, 'SIGTERM');
    const end = Date.now() + timeoutS * 1000;
    while (alive(pid) && Date.now() < end) await sleep(100);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    while (alive(pid)) await sleep(50);
  }
  rmSync(join(root, 'run/asic-agent'), { recursive: true, force: true });
}

function start(unit) {
  const text = unitText(unit);
  const inRoot = (p) => (p.startsWith('/') && existsSync(join(root, p)) ? join(root, p) : p);
  const [cmd, ...argv] = (/^ExecStart=(.*)$/m.exec(text)?.[1] ?? '').split(/\s+/).map(inRoot);
  const env = { ...process.env };
  for (const m of text.matchAll(/^Environment=([A-Z_]+)=(.*)$/gm)) env[m[1]] = m[2];
  env.RUNTIME_DIRECTORY = join(root, 'run/asic-agent');
  env.STATE_DIRECTORY = join(root, 'var/lib/asic-agent');
  mkdirSync(env.RUNTIME_DIRECTORY, { recursive: true });
  const wd = inRoot(/^WorkingDirectory=(.*)$/m.exec(text)?.[1] ?? '/');
  const out = openSync(join(state, 'agent.log'), 'a');
  const child = spawn(cmd, argv, { cwd: wd, env, detached: true, stdio: ['ignore', out, out] });
  writeFileSync(pidFile, String(child.pid));
  child.unref();
}

const [verb, unit = 'asic-agent.service'] = args;
switch (verb) {
  case 'daemon-reload':
  case 'enable':
  case 'disable':
    break;
  case 'start':
    start(unit);
    break;
  case 'stop':
    await stop(unit);
    break;
  case 'restart':
    await stop(unit);
    start(unit);
    break;
  default:
    console.error(`fake systemctl: ${verb} is not played here`);
    process.exit(1);
}
