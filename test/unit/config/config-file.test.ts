// The agent config file as the running agent writes it: atomic replacement with a backup, checked like
// `run` checks it, and never over a hand edit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../src/config/atomic-write.js';
import { ConfigFile } from '../../../src/config/config-file.js';
import { loadRunConfig } from '../../../src/config/run-config.js';

const TEXT = '# mine\nversion = 1\n[board]\nconfig = "sim-bm1370"   # sim\n';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'asic-config-file-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('atomic write: new content, the old one as .bak, mode kept, no temporary file left', () => {
  withDir((dir) => {
    const f = join(dir, 'c.toml');
    writeFileSync(f, 'old\n');
    chmodSync(f, 0o640);
    writeFileAtomic(f, 'new\n');
    assert.equal(readFileSync(f, 'utf8'), 'new\n');
    assert.equal(readFileSync(`${f}.bak`, 'utf8'), 'old\n');
    assert.equal(statSync(f).mode & 0o777, 0o640);
    writeFileAtomic(f, 'newer\n');
    assert.equal(readFileSync(`${f}.bak`, 'utf8'), 'new\n');
    assert.deepEqual(readdirSync(dir).sort(), ['c.toml', 'c.toml.bak']);
  });
});

test('update: edits checked with the board-config limits before anything is written', () => {
  withDir((dir) => {
    const f = join(dir, 'agent.toml');
    writeFileSync(f, TEXT);
    const cf = ConfigFile.of(loadRunConfig(f));
    assert.ok(cf);
    const bad = cf.update([{ op: 'set', key: 'board.voltage', value: 2 }]);
    assert.equal(bad.ok, false);
    assert.ok(!bad.ok && bad.kind === 'invalid' && bad.issues.some((i) => i.key === 'board.voltage'));
    assert.equal(readFileSync(f, 'utf8'), TEXT);
    const ok = cf.update([{ op: 'set', key: 'board.voltage', value: 1.2 }]);
    assert.ok(ok.ok, JSON.stringify(ok));
    assert.equal(ok.config.coreVoltage, 1.2);
    assert.equal(readFileSync(f, 'utf8'), `${TEXT}voltage = 1.2\n`);
    // Its own writes are the new baseline: a second change goes through.
    assert.ok(cf.update([{ op: 'set', key: 'board.voltage', value: 1.1 }]).ok);
  });
});

test('a file edited by hand since it was loaded is never overwritten; a reload (adopt) takes it as it is', () => {
  withDir((dir) => {
    const f = join(dir, 'agent.toml');
    writeFileSync(f, TEXT);
    const cf = ConfigFile.of(loadRunConfig(f));
    assert.ok(cf);
    const hand = `${TEXT}[fans]\nmode = "auto"\n`;
    writeFileSync(f, hand);
    const r = cf.update([{ op: 'set', key: 'board.voltage', value: 1.2 }]);
    assert.ok(!r.ok && r.kind === 'conflict' && /edited by hand/.test(r.message));
    assert.equal(readFileSync(f, 'utf8'), hand);
    // SIGHUP: the agent runs on the file as it is; writes go through again.
    assert.equal(cf.adopt(loadRunConfig(f)), true);
    const again = cf.update([{ op: 'set', key: 'board.voltage', value: 1.2 }]);
    assert.ok(again.ok, JSON.stringify(again));
    assert.equal(readFileSync(f, 'utf8'), `${TEXT}voltage = 1.2\n[fans]\nmode = "auto"\n`);
    // Adopting a config that is not what the file says leaves writes refused.
    const other = loadRunConfig(f);
    writeFileSync(f, `${readFileSync(f, 'utf8')}# later\n[log]\nlevel = "debug"\n`);
    assert.equal(cf.adopt(other), false);
    const r2 = cf.update([{ op: 'set', key: 'board.voltage', value: 1.1 }]);
    assert.ok(!r2.ok && r2.kind === 'unavailable');
  });
});
