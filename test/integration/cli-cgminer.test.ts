// `asic-agent cgminer COMMAND`: one request to a cgminer-compatible API, the reply as JSON, the exit
// code from its STATUS; a person needs neither nc nor socat to ask the agent's 4028 port.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { resolveApiOptions } from '../../src/api/api-options.js';
import { CgminerServer } from '../../src/api/cgminer-server.js';
import { API_TOKEN, RecordingControl, sampleSnapshot } from '../helpers/api-snapshot.js';

const bin = fileURLToPath(new URL('../../bin/asic-agent.js', import.meta.url));
const servers: CgminerServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'cgminer', ...args], { env: { ...process.env, ASIC_AGENT_FROM_SOURCE: '1' } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

async function start(): Promise<{ port: number; control: RecordingControl }> {
  const o = resolveApiOptions({ cgminer: { port: 0, write: { enabled: true, allow: ['127.0.0.1'], token: API_TOKEN } }, http: { enabled: false } });
  const control = new RecordingControl();
  const server = new CgminerServer(o.cgminer, { snapshot: sampleSnapshot, control });
  servers.push(server);
  return { port: (await server.listen()).port, control };
}

test('a read command: indented JSON of the reply, exit 0', async () => {
  const { port } = await start();
  const r = await run(['summary+pools', '--address', `127.0.0.1:${port}`]);
  assert.equal(r.code, 0, r.err);
  const reply = JSON.parse(r.out) as { summary: [{ SUMMARY: unknown[] }]; pools: [{ POOLS: unknown[] }] };
  assert.ok(reply.summary[0].SUMMARY.length === 1);
  assert.ok(reply.pools[0].POOLS.length >= 1);
  assert.match(r.out, /\n {2}"summary": \[/, 'indented');
});

test('a write command with its token reaches the agent; without it the E status exits 1', async () => {
  const { port, control } = await start();
  const denied = await run(['switchpool', '1', '--address', `127.0.0.1:${port}`]);
  assert.equal(denied.code, 1);
  assert.match(denied.out, /"STATUS": "E"/);
  const ok = await run(['switchpool', '1', '--token', API_TOKEN, '--address', `127.0.0.1:${port}`, '--raw']);
  assert.equal(ok.code, 0, ok.out + ok.err);
  assert.ok(
    control.calls.some((c) => c.method === 'switchPool'),
    JSON.stringify(control.calls),
  );
});

test('nothing listening: one line that says so, exit 1; usage errors exit 2', async () => {
  // A port that was free a moment ago.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const r = await run(['summary', '--address', `127.0.0.1:${port}`]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^asic-agent cgminer: nothing listens at 127\.0\.0\.1:\d+ \(connection refused\)/);
  assert.equal((await run([])).code, 2);
  assert.equal((await run(['summary', '--address', 'nohost'])).code, 2);
});
