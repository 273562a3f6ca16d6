// One human line per start-up failure (src/cli/startup-failure.ts): the cause and the fix.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiListenError } from '../../../src/api/local-api.js';
import { DeviceMissingError } from '../../../src/agent/chain-set.js';
import { explainStartupFailure } from '../../../src/cli/startup-failure.js';
import { PtyError } from '../../../workshop/sim/bm13xx/pty-addon.js';

const inUse = (server: 'cgminer' | 'http', code: string): ApiListenError =>
  new ApiListenError(server, '127.0.0.1', 4028, code, Object.assign(new Error(`listen ${code}`), { code }));

test('a port in use names the port, the server and the key or flag that moves it', () => {
  assert.equal(
    explainStartupFailure(inUse('cgminer', 'EADDRINUSE')),
    'port 4028 on 127.0.0.1 is already in use, so the cgminer API cannot listen there (another asic-agent running?): change [api.cgminer] port in the config (0 picks a free port), or stop the other program',
  );
  assert.match(explainStartupFailure(inUse('http', 'EADDRINUSE'), { httpPort: '--http-port P' }), /the HTTP API cannot listen there .*change --http-port P/);
  assert.match(explainStartupFailure(inUse('http', 'EACCES')), /ports below 1024 need root/);
  assert.match(explainStartupFailure(inUse('cgminer', 'EADDRNOTAVAIL')), /not on this machine/);
});

test('errors that already name cause and fix pass through as they are, one line', () => {
  const pty = new PtyError(
    'pseudo-terminal support is not installed (@asic-agent/pty): run `npm ci` (it builds the addon with python3, make and a C compiler)',
  );
  assert.equal(explainStartupFailure(pty), pty.message);
  const dev = new DeviceMissingError("chain 0: UART /dev/ttyAMA0 does not exist: check the chain's uart in the board-config");
  assert.equal(explainStartupFailure(dev), dev.message);
  assert.equal(explainStartupFailure(new TypeError('boom')), 'TypeError: boom');
  assert.ok(!explainStartupFailure(new TypeError('boom')).includes('\n'));
});
