/**
 * `asic-agent upgrade FILE`: a release next to the running one, a switch of the `current` link, a
 * restart, a health check, and a rollback when the new version is not healthy in time.
 *
 *   PREFIX/versions/<version>-<sha256 of FILE, 12 hex>/   each release in its own folder
 *   PREFIX/current -> versions/...                         what the unit runs
 *   /etc/asic-agent/config.toml, /var/lib/asic-agent/      never touched: config and tuning profiles
 *                                                          are the same before, after and on rollback
 *
 * FILE is a release from scripts/release.sh (dependencies built for this machine; release.json says for
 * which) or a tarball from `npm pack` (dependencies installed here with npm, which needs the registry and
 * a compiler, then built). Before anything switches, the new version must accept the config
 * (`check-config`); the unit is rendered by the new version and the old one kept for a rollback. Every
 * change goes through one function (act) that only prints under --dry-run; --root DIR confines the
 * file changes to DIR (tests, images).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { readRuntimeInfo } from './runtime-file.js';
import { waitHealthy, type Health } from './health-check.js';

export interface UpgradeOptions {
  file: string;
  /** Install root ('' = /). */
  root: string;
  prefix: string;
  config: string;
  unit: string;
  /** How long the new version has to become healthy, s. */
  timeoutS: number;
  /** Versions kept in PREFIX/versions (at least the current and the previous one). */
  keep: number;
  dryRun: boolean;
  print: (line: string) => void;
}

export class UpgradeError extends Error {
  override readonly name = 'UpgradeError';
}

interface Release {
  top: string;
  name: string;
  version: string;
  hash: string;
  /** release.json of scripts/release.sh, or undefined for an npm pack tarball. */
  manifest: { platform?: string; arch?: string; nodeModulesAbi?: string } | undefined;
  hasNodeModules: boolean;
}

function sh(cmd: string, args: string[], opts: { cwd?: string } = {}): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) return { code: 127, out: '', err: r.error.message };
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** What is in the tarball, read without unpacking it. */
export async function inspectRelease(file: string): Promise<Release> {
  if (!existsSync(file)) throw new UpgradeError(`no such file: ${file}`);
  const list = sh('tar', ['-tzf', file]);
  if (list.code !== 0) throw new UpgradeError(`${file} is not a .tar.gz: ${list.err.trim()}`);
  const entries = list.out.split('\n').filter((l) => l.length > 0);
  const pkgEntry = entries.find((e) => /^[^/]+\/package\.json$/.test(e));
  if (!pkgEntry) throw new UpgradeError(`${file} has no package.json at its top`);
  const top = pkgEntry.split('/')[0] as string;
  const read = (entry: string): string | undefined => {
    const r = sh('tar', ['-xzOf', file, entry]);
    return r.code === 0 ? r.out : undefined;
  };
  const pkg = JSON.parse(read(pkgEntry) ?? '{}') as { name?: string; version?: string };
  if (pkg.name !== 'asic-agent' || typeof pkg.version !== 'string' || !/^[0-9A-Za-z.+-]+$/.test(pkg.version)) {
    throw new UpgradeError(`${file} is not an asic-agent release (package.json names ${JSON.stringify(pkg.name)} ${JSON.stringify(pkg.version)})`);
  }
  const manifestText = entries.includes(`${top}/release.json`) ? read(`${top}/release.json`) : undefined;
  return {
    top,
    name: pkg.name,
    version: pkg.version,
    hash: (await sha256File(file)).slice(0, 12),
    manifest: manifestText ? (JSON.parse(manifestText) as Release['manifest']) : undefined,
    hasNodeModules: entries.some((e) => e.startsWith(`${top}/node_modules/`)),
  };
}

/** The Node.js the unit runs: the first word of ExecStart= in the installed unit. */
export function unitNode(unitText: string | undefined): string | undefined {
  const m = /^ExecStart=(\S+)/m.exec(unitText ?? '');
  return m?.[1];
}

/** Refuses a release whose native modules were built for another machine. */
export function checkReleaseFits(r: Release, node: string): void {
  const m = r.manifest;
  if (!m || !r.hasNodeModules) return;
  const here = sh(node, ['-p', 'process.platform + " " + process.arch + " " + process.versions.modules']);
  if (here.code !== 0) throw new UpgradeError(`cannot run ${node}: ${here.err.trim()}`);
  const [platform, arch, abi] = here.out.trim().split(' ');
  if (m.platform !== platform || m.arch !== arch || String(m.nodeModulesAbi) !== abi) {
    throw new UpgradeError(
      `this release was built for ${m.platform}/${m.arch} with Node.js ABI ${m.nodeModulesAbi}; this machine runs ${platform}/${arch} with ABI ${abi} (${node}). Make the release on a machine like this one (scripts/release.sh).`,
    );
  }
}

export async function upgrade(o: UpgradeOptions): Promise<number> {
  const p = o.print;
  const dest = o.root + o.prefix;
  const versions = join(dest, 'versions');
  const current = join(dest, 'current');
  const unitFile = join(o.root, 'etc/systemd/system', o.unit);
  const configFile = o.root + o.config;
  const stateDir = join(o.root, 'var/lib/asic-agent');
  const runDir = join(o.root, 'run/asic-agent');

  /** Every change goes through here: printed under --dry-run, done otherwise. */
  const act = async (what: string, fn: () => void | Promise<void>): Promise<void> => {
    if (o.dryRun) {
      p(`would: ${what}`);
      return;
    }
    p(what);
    await fn();
  };
  const run = (cmd: string, args: string[], cwd?: string): void => {
    const r = sh(cmd, args, cwd ? { cwd } : {});
    if (r.code !== 0) throw new UpgradeError(`${cmd} ${args.join(' ')} failed (${r.code}): ${(r.err || r.out).trim().slice(-2000)}`);
  };
  const systemctl = (...args: string[]): Promise<void> => act(`systemctl ${args.join(' ')}`, () => run('systemctl', args));
  const record = (state: Record<string, unknown>): Promise<void> =>
    act(`record ${JSON.stringify(state)} in ${stateDir}/upgrade.json`, () => {
      mkdirSync(stateDir, { recursive: true });
      writeFileSync(join(stateDir, 'upgrade.json'), JSON.stringify({ ...state, at: new Date().toISOString() }, null, 2) + '\n');
    });
  const switchTo = (dir: string): Promise<void> =>
    act(`point ${current} at versions/${dir}`, () => {
      const tmp = `${current}.new`;
      rmSync(tmp, { force: true });
      symlinkSync(`versions/${dir}`, tmp);
      renameSync(tmp, current);
    });

  // What runs now.
  if (!existsSync(current)) throw new UpgradeError(`nothing is installed at ${dest} (no current link): install with scripts/install.sh first`);
  const prevDir = basename(realpathSync(current));
  const prevVersion = (JSON.parse(readFileSync(join(current, 'package.json'), 'utf8')) as { version: string }).version;
  const oldUnit = existsSync(unitFile) ? readFileSync(unitFile, 'utf8') : undefined;
  const node = unitNode(oldUnit) ?? process.execPath;

  const rel = await inspectRelease(o.file);
  checkReleaseFits(rel, node);
  const dir = `${rel.version}-${rel.hash}`;
  const target = join(versions, dir);
  p(
    `running: ${prevDir} (${prevVersion}); release: ${basename(o.file)} → versions/${dir}${rel.manifest ? '' : ' (npm pack tarball: dependencies are installed here)'}`,
  );
  if (dir === prevDir) {
    p('this release is the one running: nothing to do');
    return 0;
  }

  // 1. Unpack next to the running version (reused when this very tarball was unpacked before).
  if (existsSync(target)) {
    p(`versions/${dir} is already unpacked: using it`);
  } else {
    const tmp = join(versions, `.${dir}.partial`);
    await act(`unpack ${o.file} into ${tmp}`, () => {
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      run('tar', ['-xzf', o.file, '-C', tmp, '--strip-components=1', '--no-same-owner']);
    });
    if (!rel.hasNodeModules) {
      await act(`npm install, build and drop dev dependencies in ${tmp} (needs the npm registry and a compiler)`, () => {
        run('npm', ['install', '--no-audit', '--no-fund'], tmp);
        run('npm', ['run', 'build'], tmp);
        run('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund'], tmp);
      });
    }
    await act(`rename it to ${target}`, () => renameSync(tmp, target));
  }

  // 2. The new version must accept the config before anything switches.
  if (!o.dryRun) {
    const check = sh(node, [join(target, 'bin/asic-agent.js'), 'check-config', configFile]);
    if (check.code !== 0) {
      p(`the new version refuses ${o.config}; nothing was switched:\n${check.err.trim()}`);
      await act(`remove ${target}`, () => rmSync(target, { recursive: true, force: true }));
      return 1;
    }
    p(`the new version accepts ${o.config}`);
  }

  // 3. Its unit (it may set things the old one did not), the old one kept for a rollback.
  let newUnit = oldUnit;
  if (!o.dryRun) {
    const r = sh(node, [join(target, 'bin/asic-agent.js'), 'unit', '--config', o.config, '--read', configFile, '--node', node, '--prefix', o.prefix]);
    if (r.code !== 0) throw new UpgradeError(`the new version cannot render its unit: ${r.err.trim()}`);
    newUnit = r.out;
  }
  const writeUnit = async (text: string | undefined, why: string): Promise<void> => {
    if (text === undefined) return;
    await act(`write ${unitFile} (${why})`, () => writeFileSync(unitFile, text, { mode: 0o644 }));
    await systemctl('daemon-reload');
  };
  const unitChanged = o.dryRun || newUnit !== oldUnit;
  if (unitChanged) await writeUnit(newUnit, `the unit of ${dir}`);

  // 4. Switch, restart, and watch.
  const before = readRuntimeInfo(runDir);
  await record({ status: 'switching', from: prevDir, to: dir });
  await switchTo(dir);
  await systemctl('restart', o.unit);
  if (o.dryRun) {
    p(`would: wait up to ${o.timeoutS} s for ${rel.version} to mine with its APIs up, else switch back to ${prevDir}`);
    return 0;
  }
  p(`waiting up to ${o.timeoutS} s for ${rel.version} to report healthy (board running, a chain hashing, a pool in use, APIs up)`);
  const health = await waitHealthy(runDir, { versionDir: dir, version: rel.version, notPids: before ? [before.pid] : [] }, o.timeoutS * 1000);
  if (health.ok) {
    p(`healthy: ${rel.version} (pid ${health.info.pid}) mines on ${health.status.pool?.id ?? '?'}`);
    await record({ status: 'ok', from: prevDir, to: dir });
    await prune(versions, [dir, prevDir], o.keep, act);
    return 0;
  }

  // 5. Roll back.
  p(`not healthy within ${o.timeoutS} s: ${health.reason}; rolling back to ${prevDir}`);
  const failedPid = readRuntimeInfo(runDir)?.pid;
  await switchTo(prevDir);
  if (unitChanged) await writeUnit(oldUnit, `back to the unit of ${prevDir}`);
  await systemctl('restart', o.unit);
  const back: Health = await waitHealthy(
    runDir,
    { versionDir: prevDir, version: prevVersion, notPids: [before?.pid, failedPid].filter((x): x is number => x !== undefined) },
    o.timeoutS * 1000,
  );
  p(back.ok ? `rolled back: ${prevVersion} (pid ${back.info.pid}) mines again` : `rolled back to ${prevDir}, but it is not healthy either: ${back.reason}`);
  await record({ status: 'rolled-back', from: prevDir, to: dir, reason: health.reason, previousHealthy: back.ok });
  return 1;
}

/** Keeps the newest `keep` version folders (never the two named). */
async function prune(versions: string, protect: string[], keep: number, act: (what: string, fn: () => void) => Promise<void>): Promise<void> {
  const dirs = readdirSync(versions)
    .filter((d) => !d.startsWith('.'))
    .map((d) => ({ d, t: statSync(join(versions, d)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  let kept = 0;
  for (const { d } of dirs) {
    if (protect.includes(d) || kept < keep) {
      kept++;
      continue;
    }
    await act(`remove the old version ${join(versions, d)}`, () => rmSync(join(versions, d), { recursive: true, force: true }));
  }
}
