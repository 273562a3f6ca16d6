// Write commands: refused by default, refused without an allowed address or the right token, accepted
// with both (token as JSON field or as the first element of the parameter), mapped to AgentControl
// calls and to cgminer's codes; never echoing a password.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ControlResult } from '../../../src/api/agent-control.js';
import { WriteAccess } from '../../../src/api/cgminer-access.js';
import { CgminerDispatcher, splitEscaped, WRITE_COMMANDS } from '../../../src/api/cgminer-dispatch.js';
import { parseRequest } from '../../../src/api/cgminer-request.js';
import { API_TOKEN, POOL_PASSWORD, RecordingControl, sampleSnapshot } from '../../helpers/api-snapshot.js';

type Obj = Record<string, unknown>;

function setup(write: { enabled: boolean; allow?: string[]; token?: string } = { enabled: true, allow: ['127.0.0.1', '10.1.0.0/16'], token: API_TOKEN }) {
  const control = new RecordingControl();
  const d = new CgminerDispatcher({
    snapshot: sampleSnapshot,
    control,
    access: new WriteAccess({ enabled: write.enabled, allow: write.allow ?? [], ...(write.token !== undefined ? { token: write.token } : {}) }),
  });
  const ask = async (req: Obj | string, client = '127.0.0.1'): Promise<Obj> => {
    const r = await d.handle(typeof req === 'string' ? req : JSON.stringify(req), client);
    if (!r.json) return { text: r.text };
    const v = JSON.parse(r.text) as Obj;
    if (r.after) v.after = r.after;
    return v;
  };
  return { control, d, ask };
}

const st = (r: Obj): Obj => (r.STATUS as Obj[])[0] as Obj;

test('write commands are refused by default (write access off): Access denied, code 45', async () => {
  const { ask, control, d } = setup({ enabled: false });
  for (const cmd of WRITE_COMMANDS) {
    const r = await ask({ command: cmd, parameter: `${API_TOKEN},0`, token: API_TOKEN });
    assert.deepEqual({ ...st(r), When: 0 }, { STATUS: 'E', When: 0, Code: 45, Msg: `Access denied to '${cmd}' command`, Description: 'asic-agent 0.1.0' });
  }
  assert.equal(control.calls.length, 0);
  assert.equal(d.counters.denied, WRITE_COMMANDS.length);
});

test('refused from an address outside write.allow, without a token, or with a wrong one', async () => {
  const { ask, control } = setup();
  assert.equal(st(await ask({ command: 'switchpool', parameter: '1', token: API_TOKEN }, '192.168.1.5')).Code, 45);
  assert.equal(st(await ask({ command: 'switchpool', parameter: '1', token: API_TOKEN }, '')).Code, 45);
  assert.equal(st(await ask({ command: 'switchpool', parameter: '1' })).Code, 45); // "1" taken as the token
  assert.equal(st(await ask({ command: 'switchpool', parameter: '1', token: 'wrong-token-0123456' })).Code, 45);
  assert.equal(st(await ask({ command: 'switchpool', parameter: `${API_TOKEN}x,1` })).Code, 45);
  assert.equal(st(await ask({ command: 'restart' })).Code, 45);
  assert.equal((await ask(`switchpool|1`)).text?.toString().includes('Code=45'), true);
  assert.equal(control.calls.length, 0);
});

test('accepted with the token as a JSON field, as the parameter head, or in plain text', async () => {
  const { ask, control } = setup();
  assert.deepEqual(
    { ...st(await ask({ command: 'switchpool', parameter: '1', token: API_TOKEN })), When: 0 },
    {
      STATUS: 'S',
      When: 0,
      Code: 27,
      Msg: "Switching to pool 1:'stratum+tcp://backup.example:3333'",
      Description: 'asic-agent 0.1.0',
    },
  );
  assert.equal(st(await ask({ command: 'switchpool', parameter: `${API_TOKEN},0` })).Code, 27);
  assert.equal(st(await ask({ command: 'switchpool', parameter: `${API_TOKEN},0` }, '::ffff:10.1.2.3')).Code, 27);
  const text = (await ask(`switchpool|${API_TOKEN},1`)).text as string;
  assert.match(text, /^STATUS=S,When=\d+,Code=27,Msg=Switching to pool 1:'stratum\+tcp:\/\/backup.example:3333',Description=asic-agent 0.1.0\|$/);
  assert.deepEqual(control.calls, [
    { method: 'switchPool', arg: 'backup' },
    { method: 'switchPool', arg: 'main' },
    { method: 'switchPool', arg: 'main' },
    { method: 'switchPool', arg: 'backup' },
  ]);
});

test('pool index checks: missing (25), out of range or not a number (26)', async () => {
  const { ask, control } = setup();
  assert.equal(st(await ask({ command: 'enablepool', token: API_TOKEN })).Code, 25);
  assert.deepEqual(st(await ask({ command: 'enablepool', parameter: '2', token: API_TOKEN })).Msg, 'Invalid pool id 2 - range is 0 - 1');
  assert.deepEqual(st(await ask({ command: 'enablepool', parameter: '1x', token: API_TOKEN })).Msg, 'Invalid pool id -1 - range is 0 - 1');
  assert.equal(st(await ask({ command: 'removepool', parameter: -1, token: API_TOKEN })).Code, 26);
  assert.equal(control.calls.length, 0);
});

test('control answers map to cgminer codes', async () => {
  const { ask, control } = setup();
  const code = async (cmd: string, answer: ControlResult, parameter = '1'): Promise<[unknown, unknown]> => {
    control.answers = { switchPool: answer, enablePool: answer, disablePool: answer, removePool: answer, pause: answer, resume: answer };
    const s = st(await ask({ command: cmd, parameter, token: API_TOKEN }));
    return [s.STATUS, s.Code];
  };
  const ok: ControlResult = { ok: true };
  assert.deepEqual(await code('enablepool', ok), ['S', 47]);
  assert.deepEqual(await code('enablepool', { ok: false, code: 'already', message: '' }), ['I', 49]);
  assert.deepEqual(await code('disablepool', ok), ['S', 48]);
  assert.deepEqual(await code('disablepool', { ok: false, code: 'already', message: '' }), ['I', 50]);
  assert.deepEqual(await code('disablepool', { ok: false, code: 'last-pool', message: '' }), ['E', 51]);
  assert.deepEqual(await code('removepool', ok), ['S', 68]);
  assert.deepEqual(await code('removepool', { ok: false, code: 'last-pool', message: '' }), ['E', 66]);
  assert.deepEqual(await code('removepool', { ok: false, code: 'active-pool', message: '' }), ['E', 67]);
  assert.deepEqual(await code('switchpool', { ok: false, code: 'unknown-pool', message: '' }), ['E', 26]);
  assert.deepEqual(await code('switchpool', { ok: false, code: 'failed', message: 'pool manager stopped' }), ['E', 204]);
  assert.deepEqual(await code('pause', ok), ['S', 200]);
  assert.deepEqual(await code('pause', { ok: false, code: 'already', message: '' }), ['I', 201]);
  assert.deepEqual(await code('resume', ok), ['S', 202]);
  assert.deepEqual(await code('resume', { ok: false, code: 'already', message: '' }), ['I', 203]);
  assert.deepEqual(await code('resume', { ok: false, code: 'unsupported', message: 'no' }), ['E', 204]);
  assert.equal(st(await ask({ command: 'privileged', token: API_TOKEN })).Code, 46);
});

test('a control that throws is a failed command, not a crash', async () => {
  const { ask, control, d } = setup();
  control.switchPool = () => Promise.reject(new Error('boom'));
  assert.equal(st(await ask({ command: 'switchpool', parameter: '0', token: API_TOKEN })).Code, 204);
  assert.equal(d.counters.failures, 1);
});

test('restart: RESTART reply first, the control runs after', async () => {
  const { ask, control } = setup();
  const r = await ask({ command: 'restart', token: API_TOKEN });
  assert.equal(r.STATUS, 'RESTART');
  assert.equal(r.id, 1);
  assert.equal(control.calls.length, 0);
  await (r.after as () => Promise<void>)();
  assert.deepEqual(control.calls, [{ method: 'restart' }]);
  assert.equal((await ask(`restart|${API_TOKEN}`)).text, 'RESTART');
});

test('restart refused by the board (thermal policy, rate limit): the reason in the reply, no RESTART, no call', async () => {
  const { ask, control } = setup();
  control.refuseRestart = 'refusing to power up: fan not turning: fan.fan (fan-stall)';
  const r = await ask({ command: 'restart', token: API_TOKEN });
  assert.deepEqual(
    { ...st(r), When: 0 },
    {
      STATUS: 'E',
      When: 0,
      Code: 204,
      Msg: "Command 'restart' failed: refusing to power up: fan not turning: fan.fan (fan-stall)",
      Description: 'asic-agent 0.1.0',
    },
  );
  assert.equal(r.after, undefined);
  assert.equal(control.calls.length, 0);
});

test('addpool: url,user,pass with \\ escapes; the password reaches the control and never the reply', async () => {
  const { ask, control } = setup();
  control.answers.addPool = { ok: true, poolId: 'backup' };
  const r = await ask({ command: 'addpool', parameter: `stratum+tcp://new.example:3333,rig\\,2,${POOL_PASSWORD}`, token: API_TOKEN });
  assert.deepEqual(
    { ...st(r), When: 0 },
    { STATUS: 'S', When: 0, Code: 55, Msg: "Added pool 1: 'stratum+tcp://new.example:3333'", Description: 'asic-agent 0.1.0' },
  );
  assert.deepEqual(control.calls, [{ method: 'addPool', arg: { url: 'stratum+tcp://new.example:3333', user: 'rig,2', password: POOL_PASSWORD } }]);
  const bad = await ask({ command: 'addpool', parameter: `stratum+tcp://x:1,${POOL_PASSWORD}`, token: API_TOKEN });
  assert.deepEqual(st(bad).Code, 53);
  assert.ok(!JSON.stringify(bad).includes(POOL_PASSWORD));
  assert.equal(st(await ask({ command: 'addpool', token: API_TOKEN })).Code, 52);
  control.answers.addPool = { ok: false, code: 'invalid', message: 'unknown scheme' };
  const inv = await ask({ command: 'addpool', parameter: `ftp://u:${POOL_PASSWORD}@x,u,${POOL_PASSWORD}`, token: API_TOKEN });
  assert.equal(st(inv).Code, 53);
  assert.ok(!JSON.stringify(inv).includes(POOL_PASSWORD), JSON.stringify(inv));
});

test('joined requests only run report commands: writes get Access denied, unknown ones Invalid command', async () => {
  const { ask, control } = setup();
  const r = await ask({ command: 'summary+switchpool+nope+pools', token: API_TOKEN });
  assert.deepEqual(Object.keys(r), ['summary', 'switchpool', 'nope', 'pools', 'id']);
  const inner = (k: string): Obj => ((r[k] as Obj[])[0] as Obj).STATUS as Obj;
  assert.equal((inner('summary') as unknown as Obj[])[0]?.Code, 11);
  assert.equal((inner('switchpool') as unknown as Obj[])[0]?.Code, 45);
  assert.equal((inner('nope') as unknown as Obj[])[0]?.Code, 14);
  assert.equal((inner('pools') as unknown as Obj[])[0]?.Code, 7);
  assert.equal(control.calls.length, 0);
});

test('check|cmd: Exists and Access (writes need an allowed address)', async () => {
  const { ask } = setup();
  const chk = async (p: string, client?: string): Promise<Obj> => ((await ask({ command: 'check', parameter: p }, client)).CHECK as Obj[])[0] as Obj;
  assert.deepEqual(await chk('summary', '8.8.8.8'), { Exists: 'Y', Access: 'Y' });
  assert.deepEqual(await chk('switchpool'), { Exists: 'Y', Access: 'Y' });
  assert.deepEqual(await chk('switchpool', '8.8.8.8'), { Exists: 'Y', Access: 'N' });
  assert.deepEqual(await chk('quit'), { Exists: 'N', Access: 'N' });
  assert.equal(st(await ask({ command: 'check' })).Code, 71);
  const off = setup({ enabled: false });
  assert.deepEqual(((await off.ask({ command: 'check', parameter: 'restart' })).CHECK as Obj[])[0], { Exists: 'Y', Access: 'N' });
});

test('unknown commands, including prototype names, are Invalid command (14)', async () => {
  const { ask } = setup();
  for (const cmd of ['quit', 'save', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'SUMMARY']) {
    assert.deepEqual(st(await ask({ command: cmd })), { STATUS: 'E', When: st(await ask({ command: cmd })).When, Code: 14, Msg: 'Invalid command' });
  }
});

test('token parsing helpers', () => {
  const a = new WriteAccess({ enabled: true, allow: ['127.0.0.1'], token: API_TOKEN });
  assert.deepEqual(a.authorize('127.0.0.1', parseRequest(`restart|${API_TOKEN}`)), { ok: true });
  assert.deepEqual(a.authorize('127.0.0.1', parseRequest(`addpool|${API_TOKEN},u,v,w`)), { ok: true, parameter: 'u,v,w' });
  assert.deepEqual(a.authorize('127.0.0.1', parseRequest(`restart|`)), { ok: false, reason: 'no-token' });
  assert.deepEqual(new WriteAccess({ enabled: true, allow: ['127.0.0.1'] }).authorize('127.0.0.1', parseRequest(`restart|x`)), {
    ok: false,
    reason: 'write-disabled',
  });
  assert.deepEqual(splitEscaped('a\\,b,c\\\\,d\\', ','), ['a,b', 'c\\', 'd\\']);
});

test("cgminer's own model (require_token = false): an allowed address writes with plain cgminer requests, others are still refused", async () => {
  const control = new RecordingControl();
  const d = new CgminerDispatcher({
    snapshot: sampleSnapshot,
    control,
    access: new WriteAccess({ enabled: true, allow: ['10.1.0.0/16'], requireToken: false }),
  });
  const ask = async (req: string, client: string): Promise<Obj> => JSON.parse((await d.handle(req, client)).text) as Obj;
  // pyasic's own write request, as rpc/base.py:47-102 sends it: no token anywhere.
  assert.equal(st(await ask('{"command": "switchpool", "parameter": "1"}', '10.1.2.3')).Code, 27);
  assert.equal(st(await ask('{"command": "switchpool", "parameter": "1"}', '192.168.1.5')).Code, 45);
  assert.equal(st(await ask('{"command": "pause"}', '::ffff:10.1.9.9')).Code, 200);
  assert.deepEqual((await ask('{"command":"check","parameter":"restart"}', '10.1.2.3')).CHECK, [{ Exists: 'Y', Access: 'Y' }]);
  assert.deepEqual((await ask('{"command":"check","parameter":"restart"}', '127.0.0.1')).CHECK, [{ Exists: 'Y', Access: 'N' }]);
  assert.deepEqual(
    control.calls.map((c) => c.method),
    ['switchPool', 'pause'],
  );
});
