/**
 * Issue 21 D3: the safety loop keeps its period under API and log load. A child process runs the
 * simulated board's thermal loop on the real clock next to the local APIs, floods them, and logs far
 * more than its stdout pipe holds while this test never reads that pipe (a journald that stopped
 * reading). With logging that blocks, the child freezes on its first full write and never reports; with
 * logging that cannot block, the board keeps sampling. The deadline only turns a hang into a failure.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const CHILD = fileURLToPath(new URL('../helpers/log-stall-child.ts', import.meta.url));

interface ChildReport {
  samples?: number;
  maxGapMs?: number;
  meanGapMs?: number;
  pollMs?: number;
  loggedBytes?: number;
  dropped?: number;
  phase?: string;
  error?: string;
}

test('the thermal loop keeps sampling while the APIs are flooded and nobody reads the log', { timeout: 180_000 }, async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, ASIC_AGENT_LOG_LEVEL: 'info', ASIC_AGENT_LOG_FORMAT: 'json' },
  });
  // stdout is never read: the pipe fills and stays full.
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    const report = await new Promise<ChildReport>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('the child never reported: its event loop is stuck (blocking log writes?)')), 120_000);
      child.on('message', (m: ChildReport) => {
        clearTimeout(deadline);
        resolve(m);
      });
      child.on('exit', (code) => {
        clearTimeout(deadline);
        reject(new Error(`the child exited (${code}) without a report; stderr: ${stderr.slice(-2000)}`));
      });
    });
    assert.equal(report.error, undefined, report.error);
    t.diagnostic(
      `thermal loop under load: ${report.samples} samples, mean gap ${report.meanGapMs?.toFixed(0)} ms, max gap ${report.maxGapMs?.toFixed(0)} ms (poll ${report.pollMs} ms); ${((report.loggedBytes ?? 0) / 2 ** 20).toFixed(1)} MiB logged, ${report.dropped} records dropped`,
    );
    assert.equal(report.samples, 20);
    assert.equal(report.phase, 'running');
    assert.ok((report.dropped ?? 0) > 0, 'the log reader was stuck, so records were dropped rather than waited for');
    // A safety bound, not a speed figure: no sample gap reaches the policy's no-reading window.
    assert.ok((report.maxGapMs ?? Infinity) < 10_000, `max gap ${report.maxGapMs} ms`);
  } finally {
    child.kill('SIGKILL');
  }
});
