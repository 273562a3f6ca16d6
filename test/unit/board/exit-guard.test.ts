// The exit guard's decisions (src/board/exit-guard.ts) with a fake process and board: a second stop
// request skips the cool-down once the board is safe, and is an emergency stop before that; a SIGHUP
// that comes with the terminal's hangup stops the agent instead of reloading the config.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { Board, SafeStateReason } from '../../../src/board/board.js';
import { installExitGuard, type ProcessLike } from '../../../src/board/exit-guard.js';
import { logger } from '../../../src/log.js';

class FakeBoard {
  safe = false;
  shutdowns: SafeStateReason[] = [];
  emergencies: SafeStateReason[] = [];
  /** Resolves the pending shutdown (the cool-down wait ending). */
  finishShutdown: () => void = () => undefined;
  isSafe(): boolean {
    return this.safe;
  }
  controlTemperature(): number | null {
    return 58.5;
  }
  shutdown(reason: SafeStateReason): Promise<void> {
    this.shutdowns.push(reason);
    return new Promise<void>((r) => {
      this.finishShutdown = r;
    });
  }
  emergencyStopSync(reason: SafeStateReason): void {
    this.emergencies.push(reason);
  }
}

function rig(opts: { terminalGone?: () => boolean; reload?: () => void } = {}) {
  const proc = new EventEmitter();
  const board = new FakeBoard();
  const exits: number[] = [];
  const reloads: number[] = [];
  const guard = installExitGuard({
    board: board as unknown as Board,
    log: logger('test.exit-guard'),
    exit: (c) => exits.push(c),
    hardTimeoutMs: 60_000,
    proc: proc as unknown as ProcessLike,
    reload: opts.reload ?? (() => void reloads.push(1)),
    ...(opts.terminalGone ? { terminalGone: opts.terminalGone } : {}),
  });
  return { proc, board, exits, reloads, guard };
}

test('a second Ctrl-C while the safe board cools down skips the wait and exits with the first code', async () => {
  const r = rig();
  r.proc.emit('SIGINT');
  assert.deepEqual(r.board.shutdowns, ['sigint']);
  r.board.safe = true; // safe state reached; the shutdown is in its cool-down wait
  r.proc.emit('SIGINT');
  assert.equal(await r.guard.done, 0);
  assert.deepEqual(r.exits, [0]);
  assert.deepEqual(r.board.emergencies, [], 'no emergency stop for a board that is already safe');
});

test('a second signal before the safe state is reached is an emergency stop, exit 1', async () => {
  const r = rig();
  r.proc.emit('SIGTERM');
  r.proc.emit('SIGTERM');
  assert.equal(await r.guard.done, 1);
  assert.deepEqual(r.board.emergencies, ['sigterm']);
});

test('a single stop ends when the shutdown (cool-down included) ends', async () => {
  const r = rig();
  r.proc.emit('SIGTERM');
  r.board.safe = true;
  r.board.finishShutdown();
  assert.equal(await r.guard.done, 0);
  assert.deepEqual(r.exits, [0]);
});

test('SIGHUP reloads while the terminal is there, and stops once the terminal has hung up', async () => {
  let gone = false;
  const r = rig({ terminalGone: () => gone });
  r.proc.emit('SIGHUP');
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.equal(r.reloads.length, 1);
  assert.deepEqual(r.board.shutdowns, []);
  gone = true;
  r.proc.emit('SIGHUP');
  assert.deepEqual(r.board.shutdowns, ['sigterm']);
  assert.equal(r.reloads.length, 1, 'no reload for a hangup');
  r.board.safe = true;
  r.board.finishShutdown();
  assert.equal(await r.guard.done, 0);
});
