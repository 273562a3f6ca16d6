// The ticket a board's chains come up with (docs/bm13xx.md "Ticket difficulty"): pinned by [asic]
// ticket_difficulty, else chosen from the chain's nominal hashrate under [asic] max_nonces_per_s; and the
// warning when a pool's share difficulty falls below a chain's ticket.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { chainSpecs } from '../../../src/agent/agent.js';
import { chainTicket, TicketShareCheck, ticketAboveShares } from '../../../src/agent/chain-ticket.js';
import { loadRunConfig } from '../../../src/config/run-config.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { difficultyToTarget } from '../../../src/work/target.js';

const dir = mkdtempSync(join(tmpdir(), 'asic-ticket-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const shipped = (name: string): string => new URL(`../../../board-configs/${name}`, import.meta.url).pathname;

/** A shipped board-config with `edit` applied, written to a temporary file. */
function edited(name: string, edit: (s: string) => string): string {
  const file = join(dir, name);
  writeFileSync(file, edit(readFileSync(shipped(name), 'utf8')));
  return file;
}

test('sim-bm1370 (4 × BM1370 @ 525 MHz = 4.28 TH/s per chain): 997 nonces/s at 1, under the default 1000', () => {
  const t = chainTicket(loadRunConfig(shipped('sim-bm1370.toml')));
  assert.equal(t.source, 'max_nonces_per_s');
  assert.equal(t.difficulty, 1);
  assert.equal(Math.round(t.noncesPerSecond), 997);
  assert.equal(t.limitedBy, 'floor');
  assert.ok(chainSpecs(loadRunConfig(shipped('sim-bm1370.toml'))).every((s) => s.ticketDifficulty === 1));
});

test('a lower ceiling raises the ticket: max_nonces_per_s = 10 gives 128 (7.8/s)', () => {
  const file = edited('sim-bm1370.toml', (s) => s.replace('voltage_domains = 4 ', 'max_nonces_per_s = 10\nvoltage_domains = 4 '));
  const t = chainTicket(loadRunConfig(file));
  assert.equal(t.difficulty, 128);
  assert.equal(t.noncesPerSecond.toFixed(2), '7.79');
  assert.equal(t.limitedBy, 'ceiling');
  assert.ok(chainSpecs(loadRunConfig(file)).every((s) => s.ticketDifficulty === 128));
});

test('the ticket follows the configured clock: the agent config frequency enters the hashrate', () => {
  const board = edited('sim-bm1370.toml', (s) => s.replace('voltage_domains = 4 ', 'max_nonces_per_s = 10\nvoltage_domains = 4 '));
  const agent = join(dir, 'agent.toml');
  // 4 × 2040 × 100 MHz = 816 GH/s: 190 diff-1/s, 32 for 10/s (5.9/s) where 525 MHz needs 128.
  writeFileSync(agent, `version = 1\n[board]\nconfig = "${board}"\nfrequency_mhz = 100\n`);
  const t = chainTicket(loadRunConfig(agent));
  assert.equal(t.hashrate, 4 * 2040 * 100e6);
  assert.equal(t.difficulty, 32);
});

test('with the autotuner on, the ceiling holds at max_frequency_mhz (600): 4.9 TH/s, 1,140/s at 1, so 2', () => {
  const board = edited('sim-bm1370.toml', (s) => s.replace(/^seed = 1$/m, 'seed = 1\nlottery = true'));
  const agent = join(dir, 'agent-tuning.toml');
  writeFileSync(agent, `version = 1\n[board]\nconfig = "${board}"\n[tuning]\nenabled = true\nmode = "hashrate"\nhashrate_target_ths = 8\n`);
  const cfg = loadRunConfig(agent);
  assert.equal(cfg.board.asic.max_frequency_mhz, 600);
  const t = chainTicket(cfg);
  assert.equal(t.hashrate, 4 * 2040 * 600e6);
  assert.equal(t.difficulty, 2);
  assert.equal(Math.round(t.noncesPerSecond), 570);
});

test('[asic] ticket_difficulty pins the ticket (sim-bm1366-126: 8), whatever the ceiling', () => {
  const t = chainTicket(loadRunConfig(shipped('sim-bm1366-126.toml')));
  assert.deepEqual([t.source, t.difficulty], ['asic.ticket_difficulty', 8]);
  assert.equal(t.limitedBy, undefined);
});

test('a real board-config (Bitaxe Gamma on a Pi, 1 × BM1370): difficulty 1 at the default ceiling', () => {
  const t = chainTicket(loadRunConfig(shipped('bitaxe-gamma-pi.example.toml')));
  assert.equal(t.source, 'max_nonces_per_s');
  assert.equal(t.difficulty, 1);
  assert.ok(t.noncesPerSecond > 100 && t.noncesPerSecond < 1000, `${t.noncesPerSecond}`);
});

test('max_nonces_per_s is range-checked like every key', () => {
  const file = edited('sim-bm1370.toml', (s) => s.replace('voltage_domains = 4 ', 'max_nonces_per_s = 0\nvoltage_domains = 4 '));
  assert.throws(
    () => loadRunConfig(file),
    (e: unknown) => e instanceof ConfigError && /asic\.max_nonces_per_s/.test(e.message),
  );
});

test('a share target below the chip bound is safe; at or above it, shares are lost', () => {
  assert.equal(ticketAboveShares(difficultyToTarget(256), 256), false);
  assert.equal(ticketAboveShares(difficultyToTarget(255.9), 256), true);
  assert.equal(ticketAboveShares(difficultyToTarget(1), 1), false);
  assert.equal(ticketAboveShares(difficultyToTarget(0.5), 1), true);
  // A simulated chain's sim-only ticket far below 1 keeps shares of lab difficulties.
  assert.equal(ticketAboveShares(difficultyToTarget(0.001), 2 ** -20), false);
});

test('TicketShareCheck names the chains whose ticket is above a job share difficulty, once per target and set of chains', () => {
  const check = new TicketShareCheck();
  const t100 = difficultyToTarget(100);
  const got = check.check(t100, [256, undefined, 64, 128]);
  assert.ok(got);
  assert.deepEqual(got.chains, [0, 3]);
  assert.deepEqual(got.tickets, [256, 128]);
  assert.ok(Math.abs(got.shareDifficulty - 100) < 1e-9);
  assert.equal(check.check(t100, [256, undefined, 64, 128]), undefined, 'the same target and chains again: no second warning');
  assert.deepEqual(check.check(t100, [256, 256, 64, 128])?.chains, [0, 1, 3], 'another chain came up above it: warned again');
  assert.equal(check.check(difficultyToTarget(1000), [256, undefined, 64, 128]), undefined, 'every ticket at or under 1000');
  const again = check.check(difficultyToTarget(50), [256, 1, 64]);
  assert.deepEqual(
    [again?.chains, again?.tickets],
    [
      [0, 2],
      [256, 64],
    ],
    'a new, lower target warns again',
  );
});
