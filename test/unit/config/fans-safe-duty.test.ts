/**
 * Issue 21 D8: outside immersion mode the safe duty (the fans after a fault stop, until the board is
 * cool) must cool: `fans.safe_duty = 0` with `min_duty = 0` was accepted, so the fans stopped right
 * after a stop. Immersion, where fans are not used, stays an explicit mode.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadRunConfig } from '../../../src/config/run-config.js';

const BOARD = fileURLToPath(new URL('../../../board-configs/sim-bm1370.toml', import.meta.url));

function issues(fans: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'asic-safe-duty-'));
  try {
    writeFileSync(join(dir, 'agent.toml'), `version = 1\n[board]\nconfig = ${JSON.stringify(BOARD)}\n[fans]\n${fans}\n`);
    loadRunConfig(join(dir, 'agent.toml'));
    return 'ok';
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.message;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('safe_duty that does not cool is refused outside immersion mode, with the key and line', () => {
  assert.match(
    issues('min_duty = 0\nsafe_duty = 0'),
    /agent\.toml:6: fans\.safe_duty: 0 % does not cool a stopped board; outside immersion mode it must be at least 50 %/,
  );
  assert.match(issues('mode = "manual"\nduty = 30\nmin_duty = 0\nsafe_duty = 10'), /fans\.safe_duty: 10 % does not cool/);
  assert.equal(issues('min_duty = 0\nsafe_duty = 50'), 'ok');
  assert.equal(issues(''), 'ok', 'the default (100 %) cools');
  // Immersion is the explicit way to run without fans.
  assert.equal(issues('mode = "immersion"\nmin_duty = 0\nsafe_duty = 0'), 'ok');
});
