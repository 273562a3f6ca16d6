#!/usr/bin/env node
// `npm run test:load [-- --runs N] [-- <filter>...]`: the whole suite (as `npm test` runs it) with two
// busy CPU hogs beside it, the way a loaded control board or a shared CI machine runs it. A test that
// depends on how fast the machine is fails here. Runs N times in a row (default 3) and stops at the first
// failing run. The hogs are separate processes at normal priority, one per core of a 2-core machine.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
let runs = 3;
const passOn = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') {
    runs = Number(args[++i]);
    if (!Number.isInteger(runs) || runs < 1) {
      console.error('--runs takes a positive integer');
      process.exit(2);
    }
  } else passOn.push(args[i]);
}

const HOGS = 2;
const hogs = [];
for (let i = 0; i < HOGS; i++) {
  // A tight loop that never yields: 100 % of one core until killed.
  hogs.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}
const stopHogs = () => {
  for (const h of hogs) if (h.exitCode === null) h.kill('SIGKILL');
};
process.on('exit', stopHogs);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopHogs();
    process.exit(130);
  });
}

function suite() {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/run-tests.js', ...passOn], { cwd: root, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(signal ? 1 : (code ?? 1)));
  });
}

let code = 0;
for (let n = 1; n <= runs; n++) {
  const started = Date.now();
  console.log(`\n# test:load run ${n} of ${runs}, with ${HOGS} CPU hogs`);
  code = await suite();
  console.log(`# test:load run ${n}: ${code === 0 ? 'passed' : 'FAILED'} in ${Math.round((Date.now() - started) / 1000)} s`);
  if (code !== 0) break;
}
stopHogs();
console.log(code === 0 ? `\n# test:load: ${runs} run(s) in a row passed under load` : '\n# test:load: FAILED');
process.exit(code);
