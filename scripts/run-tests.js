#!/usr/bin/env node
// Runs the whole test suite with Node's built-in runner (node:test) over the TypeScript sources
// through tsx, and prints the runner's pass/fail summary.
//   npm test                 unit + integration + end-to-end (test/**/*.test.ts, not test/slow)
//   npm test -- --slow       also the slow suites (test/slow/**/*.test.ts: large fuzz runs)
//   npm test -- <filter>     only files whose path contains <filter>
// ASIC_AGENT_VECTORS overrides where the shared vectors are read from (default ../shared/vectors).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const slow = args.includes('--slow');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = walk(join(root, 'test'))
  .map((p) => relative(root, p))
  .filter((p) => slow || !p.startsWith(`test${sep}slow${sep}`))
  .filter((p) => filters.length === 0 || filters.some((f) => p.includes(f)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Suites that run whole agents (each with chain simulators in their own processes) compete for the CPU
// the simulators hash on: they run one at a time, first. The rest mostly wait on sockets and ptys, so a
// few files run at once.
const heavy = (p) => p.startsWith(`test${sep}e2e${sep}`) || /processes|demo|exit-paths/.test(p);
const phases = [
  { files: files.filter(heavy), concurrency: '1' },
  { files: files.filter((p) => !heavy(p)), concurrency: process.env.ASIC_AGENT_TEST_CONCURRENCY ?? '3' },
].filter((ph) => ph.files.length > 0);

function run({ files: list, concurrency }) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      // A hung test (a failed assertion that skipped its cleanup) fails after this long instead of hanging CI.
      ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...list],
      { cwd: root, stdio: 'inherit', env: { ...process.env, ASIC_AGENT_LOG_LEVEL: process.env.ASIC_AGENT_LOG_LEVEL ?? 'silent' } },
    );
    child.on('exit', (code, signal) => resolve(signal ? 1 : (code ?? 1)));
  });
}

let failed = 0;
for (const ph of phases) {
  console.log(`\n# ${ph.files.length} test file(s), ${ph.concurrency} at a time`);
  if ((await run(ph)) !== 0) failed++;
}
// Optional system tools: their tests skip loudly without them (test/helpers/system-tool.ts); say it once
// more at the end, where a person reads.
const optional = [
  ['openssl', ['version'], 'openssl'],
  ['prometheus', ['--version'], 'prometheus'],
  ['promtool', ['--version'], 'prometheus'],
  ['systemd-analyze', ['--version'], 'systemd'],
  ['systemd-notify', ['--version'], 'systemd'],
  ['systemd-socket-activate', ['--version'], 'systemd'],
  // mosquitto's help exits 3: present when it runs at all.
  ['mosquitto', ['-h'], 'mosquitto', true],
  ['chromium', ['--version'], 'chromium'],
];
const sbinPath = (process.env.PATH ?? '').split(':').includes('/usr/sbin') ? process.env.PATH : `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;
const absent = optional.filter(([cmd, a, , anyExit]) => {
  const r = spawnSync(cmd, a, { stdio: 'ignore', env: { ...process.env, PATH: sbinPath } });
  return r.error || (anyExit ? r.status === null : r.status !== 0);
});
if (absent.length > 0) {
  console.log(
    `\n# optional tools not installed here, their tests were SKIPPED: ${absent.map(([c, , p]) => `${c} (Debian package ${p})`).join(', ')}; .ci/run installs them`,
  );
}
console.log(failed === 0 ? '\n# all test phases passed' : `\n# ${failed} test phase(s) failed`);
process.exit(failed === 0 ? 0 : 1);
