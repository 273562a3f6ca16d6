// The commands as a miner runs them: `asic-agent sim` prints its device path first and the board's
// settings (with the sim-only ticket) second; our driver opens that path with the real binding, brings the
// chain up and gets verified nonces; SIGUSR1 pulses reset; SIGTERM stops it and closes its pty.
// `asic-agent decode` turns hex lines on stdin into JSON lines.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Bm13xxChain } from '../../drivers/asic/bm13xx/chain.js';
import type { UnitHeader } from '../../src/mining/work-unit.js';
import { FAST_TIMING } from '../../drivers/asic/bm13xx/chain-options.js';
import { SerialPortUart } from '../../drivers/transport/serialport-uart.js';
import { nonces, simulatedChain, testWork, verifyReport } from '../helpers/bm13xx.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = [fileURLToPath(new URL('../../bin/asic-agent.js', import.meta.url))];
const env = { ...process.env, ASIC_AGENT_FROM_SOURCE: '1', ASIC_AGENT_LOG_LEVEL: 'silent' };

test('asic-agent sim: device path first, settings second; the driver mines on it; it stops cleanly', async () => {
  const child = spawn(
    process.execPath,
    [...bin, 'sim', '--chip', 'bm1366', '--chips', '3', '--hashrate', '100000', '--sim-ticket-difficulty', String(2 ** -22), '--faults', 'dup=0.2'],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  const it = lines[Symbol.asyncIterator]();
  let chain: Bm13xxChain<UnitHeader> | undefined;
  try {
    const first = (await it.next()).value as string;
    assert.match(first, /^\/dev\/pts\/\d+$/);
    const info = JSON.parse((await it.next()).value as string) as { device: string; family: string; chips: number; simTicketDifficulty: number };
    assert.equal(info.device, first);
    assert.equal(info.family, 'BM1366');
    assert.equal(info.chips, 3);
    assert.equal(info.simTicketDifficulty, 2 ** -22);
    const host = new SerialPortUart({ path: first, baudRate: 115200 });
    // No reset line to a separate process: the chips are fresh from start-up.
    chain = simulatedChain(host, { family: 'BM1366', expectedChips: 3, timing: FAST_TIMING }, info.simTicketDifficulty);
    const r = await chain.bringUp();
    assert.equal(r.chipCount, 3);
    await chain.dispatch(testWork(31));
    for (const rep of await nonces(chain, 5)) assert.ok(verifyReport(rep, info.simTicketDifficulty));
    // SIGUSR1 pulses the chain's reset: the chips are back at 115200 and bring-up works again.
    child.kill('SIGUSR1');
    await new Promise((r) => setTimeout(r, 100));
    const again = await chain.reinit();
    assert.equal(again.chipCount, 3);
    await chain.close();
    chain = undefined;
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0, stderr);
  } finally {
    await chain?.close();
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('asic-agent sim: bad arguments are usage errors (exit 2)', async () => {
  const child = spawn(process.execPath, [...bin, 'sim', '--chip', 'bm9999', '--chips', '3'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 2);
});

test('asic-agent decode: hex lines on stdin become JSON objects, one per frame', async () => {
  const child = spawn(process.execPath, [...bin, 'decode', '--chip', 'bm1370'], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin.end(
    ['# a capture', '55 AA 52 05 00 00 0A', 'aa554c0352750cd205a29c', '', 'AA 55 13 70 00 00 00 00 00 00 10', 'aa554c0352750cd205a29d'].join('\n'),
  );
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0);
  const objs = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; crcOk: boolean; fields: Record<string, unknown> });
  assert.deepEqual(
    objs.map((o) => [o.kind, o.crcOk]),
    [
      ['command', true],
      ['nonce', true],
      ['register-reply', true],
      ['nonce', false],
    ],
  );
  assert.equal(objs[1]?.fields.nonce, '0x7552034c');
  assert.equal(objs[2]?.fields.value, '0x13700000');
});
