// `npm start` is `asic-agent demo`: on a bare machine it mines with shares accepted, stops cleanly on
// Ctrl-C with no warning or error on the way, and a start that cannot go ahead ends in one human line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { BIN, ROOT, startAgentProcess } from '../helpers/agent-process.js';

test('asic-agent demo mines to its lab pool with shares accepted; Ctrl-C stops it cleanly', { timeout: 300_000 }, async () => {
  const demo = startAgentProcess(['demo', '--cgminer-port', '0', '--http-port', '0']);
  try {
    const st = await demo.waitFor((r) => r.msg === 'status' && Number(r.accepted) > 0, 'a status record with an accepted share');
    assert.equal(st.rejected, 0);
    assert.equal(st.pool, 'lab-sv2');
    const { code } = await demo.stop('SIGINT');
    assert.equal(code, 0, demo.stderr());
    const bad = demo.records.filter((r) => Number(r.level) >= 40);
    assert.deepEqual(bad, [], 'no warning or error from start to stop');
    assert.ok(demo.records.some((r) => r.msg === 'safe-state' && r.reason === 'sigint'));
  } finally {
    await demo.stop('SIGKILL');
  }
});

test('a port already in use: one line naming the port and the flag that moves it, exit 1', { timeout: 120_000 }, async () => {
  const taken: Server = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    const port = (taken.address() as { port: number }).port;
    const r = spawnSync(process.execPath, [BIN, 'demo', '--cgminer-port', String(port), '--http-port', '0'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ASIC_AGENT_FROM_SOURCE: '1', ASIC_AGENT_LOG_FORMAT: 'json', ASIC_AGENT_LOG_LEVEL: 'silent' },
    });
    assert.equal(r.status, 1);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0] ?? '',
      new RegExp(
        `^asic-agent: cannot start: port ${port} on 127\\.0\\.0\\.1 is already in use, so the cgminer API cannot listen there .*change --cgminer-port P`,
      ),
    );
  } finally {
    taken.close();
  }
});
