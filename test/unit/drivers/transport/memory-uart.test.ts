// The in-memory UART pair: ordered delivery, drain, flush, close, and the baud-mismatch model.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryUartPair } from '../../../../drivers/transport/memory-uart.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('bytes arrive on the other end, in order, after drain', async () => {
  const [a, b] = createMemoryUartPair();
  await a.open();
  await b.open();
  const got: number[] = [];
  b.on('data', (d) => got.push(...d));
  await a.write(Uint8Array.of(1, 2));
  await a.write(Uint8Array.of(3));
  await a.drain();
  assert.deepEqual(got, [1, 2, 3]);
  assert.equal(a.stats.bytesWritten, 3);
});

test('flush drops bytes still in flight; closed ports refuse writes', async () => {
  const [a, b] = createMemoryUartPair();
  await a.open();
  await b.open();
  const got: number[] = [];
  b.on('data', (d) => got.push(...d));
  await a.write(Uint8Array.of(9, 9));
  await a.flush();
  await tick();
  assert.deepEqual(got, []);
  let closed = 0;
  a.on('close', () => closed++);
  await a.close();
  assert.equal(closed, 1);
  await assert.rejects(a.write(Uint8Array.of(1)), { name: 'UartClosedError' });
});

test('a baud mismatch beyond 5 % garbles the bytes; within 5 % they pass', async () => {
  const [a, b] = createMemoryUartPair();
  await a.open();
  await b.open();
  const got: Uint8Array[] = [];
  b.on('data', (d) => got.push(d));
  await b.setBaudRate(1_041_667);
  await a.setBaudRate(1_000_000);
  await a.write(Uint8Array.of(0x55, 0xaa, 1, 2));
  await a.drain();
  assert.deepEqual(Array.from(got[0] ?? []), [0x55, 0xaa, 1, 2], '4.2 % apart still decodes');
  await a.setBaudRate(115_200);
  await a.write(Uint8Array.of(0x55, 0xaa, 1, 2, 3, 4, 5, 6, 7, 8));
  await a.drain();
  const g = got[1] ?? new Uint8Array();
  assert.ok(g.length < 10, 'fewer bytes arrive when the receiver is faster');
  assert.notDeepEqual(Array.from(g), [0x55, 0xaa, 1, 2, 3, 4, 5, 6, 7, 8].slice(0, g.length));
  assert.equal(b.stats.garbledChunks, 1);
});
