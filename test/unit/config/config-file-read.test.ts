/**
 * Issue 21 D7: the config reader takes regular files only, of at most MAX_CONFIG_BYTES. `[board] config
 * = "/dev/zero"` once made check-config grow to 4 GB; a FIFO would block the process on open.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadRunConfig } from '../../../src/config/run-config.js';
import { MAX_CONFIG_BYTES, readToml } from '../../../src/config/toml-file.js';

const dir = mkdtempSync(join(tmpdir(), 'asic-config-read-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a config file over the size cap is refused, before it is parsed', () => {
  const big = join(dir, 'big.toml');
  writeFileSync(big, `version = 1\n${'# padding\n'.repeat(MAX_CONFIG_BYTES / 10 + 1)}`);
  assert.throws(
    () => readToml(big),
    (e: unknown) => e instanceof ConfigError && /cannot read the file \(\d+ bytes; a config file may have at most 1048576\)/.test(e.message),
  );
  const ok = join(dir, 'ok.toml');
  writeFileSync(ok, 'version = 1\n');
  assert.equal(readToml(ok).data.version, 1);
});

test('special files are refused: a character device, a directory, a FIFO (without blocking), also as the board-config', () => {
  for (const path of ['/dev/zero', '/dev/urandom', dir]) {
    assert.throws(
      () => readToml(path),
      (e: unknown) => e instanceof ConfigError && /cannot read the file \((not a regular file|EISDIR)\)/.test(e.message),
      path,
    );
  }
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => readToml(fifo), /not a regular file/);
  const agent = join(dir, 'agent.toml');
  writeFileSync(agent, 'version = 1\n[board]\nconfig = "/dev/zero"\n');
  assert.throws(() => loadRunConfig(agent), /\/dev\/zero: cannot read the file \(not a regular file\)/);
});
