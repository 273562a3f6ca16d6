// pyasic (and so Home Assistant's hass-miner, built on it) against the running agent: a simulated board
// mining on the lab SV2 pool, with a second pool that is down so that an alarm is in effect. Real
// pyasic cannot run here (it needs pydantic 2, which neither npm nor Debian 12 packages), so this is
// the replay the issue asks for: pyasic's exact requests and parsing, each step cited to its source
// (test/helpers/pyasic-replay.ts). It shows that released pyasic does not take the agent for another
// product, that pyasic with contrib/pyasic's patch recognises it, and that every field of the list is
// filled: hashrate, expected hashrate, board and chip temperatures, fans, pools, uptime, errors, power.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Sv2Pool } from '../../workshop/lab/sv2-pool.js';
import { startAgentProcess } from '../helpers/agent-process.js';
import { exchange, getData, getMinerSocketType, parseSocketTypePatched, parseSocketTypeUpstream, pythonJsonDumps } from '../helpers/pyasic-replay.js';

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

test('pyasic: released pyasic does not mistake the agent; patched pyasic gets a full MinerData from a simulated board', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-pyasic-'));
  const pool = new Sv2Pool({ port: 0, difficulty: 2e5 / 2 ** 32, prevHashIntervalSeconds: 0, ackFlushMs: 300 });
  const { url } = await pool.start();
  const down = await closedPort();
  // A webhook receiver too: the agent's alarm tick and notifiers, end to end.
  const hooks: { event: string; alarm: { key: string } }[] = [];
  let hookArrived: () => void = () => undefined;
  const hookSeen = new Promise<void>((resolve) => (hookArrived = resolve));
  const rx = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      hooks.push(JSON.parse(body) as { event: string; alarm: { key: string } });
      res.writeHead(204).end();
      if (hooks.some((h) => h.event === 'raise' && h.alarm.key === 'pool:backup:down')) hookArrived();
    });
  });
  await new Promise<void>((resolve) => rx.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(rx.address() as { port: number }).port}/hook`;
  const cfg = join(dir, 'agent.toml');
  writeFileSync(
    cfg,
    [
      'version = 1',
      '[board]',
      'config = "sim-bm1370"',
      '[log]',
      'status_interval_s = 1',
      '[api.cgminer]',
      'port = 0',
      '[api.http]',
      'enabled = false',
      '[pools]',
      'connect_timeout = 2',
      '[[pool]]',
      'name = "lab"',
      `url = ${JSON.stringify(url)}`,
      'user = "e2e.worker"',
      '[[pool]]',
      'name = "backup"',
      `url = "stratum+tcp://127.0.0.1:${down}"`,
      'user = "e2e.worker"',
      '[[webhook]]',
      `url = "${hookUrl}"`,
      '',
    ].join('\n'),
  );
  const agent = startAgentProcess(['run', '--config', cfg]);
  try {
    const listening = await agent.waitFor((r) => r.msg === 'api listening', 'api listening');
    const port = Number(String(listening.cgminer).split(':').pop());
    await agent.waitFor((r) => r.msg === 'status' && Number(r.accepted) > 0, 'an accepted share');
    await agent.waitFor((r) => r.msg === 'alarm raised' && r.key === 'pool:backup:down', 'the backup pool down alarm');

    // factory.py:938-950: the socket probe. Released pyasic finds no product word: get_miner() is None,
    // never another vendor's miner. With the patch it is an asic-agent.
    assert.equal(await getMinerSocketType(port, parseSocketTypeUpstream), null);
    assert.equal(await getMinerSocketType(port, parseSocketTypePatched), 'ASIC_AGENT');
    // The probe's request is Python's json.dumps, with spaces: the agent answers it as JSON, NUL, close.
    const raw = await exchange(port, pythonJsonDumps({ command: 'version' }));
    assert.equal(raw[raw.length - 1], 0);

    // The 5 s windows (SUMMARY GHS 5s, chain_rate<i>) of a freshly started simulated chain can still be
    // empty: ask again, as a poller would, until every board shows its rate.
    let d = await getData(port);
    for (let tries = 0; !(d.hashboards.length === 2 && d.hashboards.every((h) => (h.hashrate ?? 0) > 0) && (d.hashrate ?? 0) > 0); tries++) {
      if (tries > 60) assert.fail(`no hashrate on every board after ${tries} status records: ${JSON.stringify(d.hashboards)}`);
      const seen = agent.records.length;
      await agent.waitFor((r) => r.msg === 'status' && agent.records.indexOf(r) >= seen, 'the next status record');
      d = await getData(port);
    }
    if (process.env.ASIC_AGENT_PYASIC_RECORD) {
      // Recorded replies for contrib/pyasic's own test (pyasic's backend tests run on recorded data).
      const rec: Record<string, unknown> = {};
      for (const c of ['version', 'summary', 'stats', 'pools'])
        rec[`rpc_${c}`] = JSON.parse((await exchange(port, pythonJsonDumps({ command: c }))).subarray(0, -1).toString('utf8'));
      writeFileSync(process.env.ASIC_AGENT_PYASIC_RECORD, JSON.stringify(rec, null, 1));
    }
    assert.equal(d.apiVer, '3.7');
    assert.match(d.fwVer ?? '', /^\d+\.\d+\.\d+/);
    assert.ok((d.hashrate ?? 0) > 0, `hashrate ${d.hashrate}`);
    // The two simulated chains hash 200 kH/s each: 4e-7 TH/s nominal.
    assert.ok(Math.abs((d.expectedHashrate ?? 0) - 4e5 / 1e12) < 1e-15, `expected hashrate ${d.expectedHashrate}`);
    assert.equal(d.expectedHashboards, 2);
    assert.equal(d.expectedChips, 4);
    assert.equal(d.hashboards.length, 2);
    for (const hb of d.hashboards) {
      assert.equal(hb.missing, false, JSON.stringify(hb));
      assert.equal(hb.chips, 4);
      assert.ok(hb.chipTemp !== null && hb.chipTemp > 20 && hb.chipTemp < 100, `chip temperature ${hb.chipTemp}`);
      assert.ok(hb.temp !== null && hb.temp > 20 && hb.temp < 120, `board temperature ${hb.temp}`);
      assert.ok((hb.hashrate ?? 0) > 0, `board hashrate ${hb.hashrate}`);
    }
    assert.deepEqual([d.hashboards[0]?.slot, d.hashboards[1]?.slot], [0, 1]);
    assert.equal(d.expectedFans, 1);
    assert.ok((d.fans[0] ?? 0) > 0, `fan ${d.fans[0]}`);
    assert.ok((d.wattage ?? 0) > 0, `wattage ${d.wattage}`);
    assert.ok((d.uptime ?? 0) >= 1, `uptime ${d.uptime}`);
    assert.equal(d.isMining, true);
    assert.ok(
      d.errors.some((e) => e.kind === 'pool' && e.severity === 'warning' && /backup/.test(e.message)),
      JSON.stringify(d.errors),
    );
    const lab = d.pools.find((p) => String(p.url).startsWith('stratum2+tcp://'));
    assert.ok(lab && lab.alive && lab.active === true && Number(lab.accepted) > 0 && lab.user === 'e2e.worker', JSON.stringify(d.pools));
    const backup = d.pools.find((p) => String(p.url).includes(`:${down}`));
    assert.ok(backup && !backup.alive, JSON.stringify(d.pools));
    await hookSeen;
    const { code } = await agent.stop('SIGTERM');
    assert.equal(code, 0);
  } finally {
    await agent.stop('SIGKILL');
    await pool.stop();
    await new Promise<void>((resolve) => rx.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
});
