// cgminer API request parsing (api.c api() loop): JSON and plain text, parameters, joined commands,
// typed errors; and the framing rule that says when a request is complete.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CgminerRequestError, parseRequest, requestLength } from '../../../src/api/cgminer-request.js';

const b = (s: string): Uint8Array => new TextEncoder().encode(s);

test('JSON requests: command, string or number parameter, token', () => {
  assert.deepEqual(parseRequest('{"command":"summary"}'), { json: true, commands: ['summary'], joined: false });
  assert.deepEqual(parseRequest('{"command":"switchpool","parameter":"1"}'), { json: true, commands: ['switchpool'], joined: false, parameter: '1' });
  assert.deepEqual(parseRequest('{"command":"switchpool","parameter":2}').parameter, '2');
  assert.deepEqual(parseRequest('{"command":"x","parameter":1.5}').parameter, '1.500000');
  assert.equal(parseRequest('{"command":"x","parameter":true}').parameter, undefined);
  assert.equal(parseRequest('{"command":"x","token":"abc"}').token, 'abc');
  assert.equal(parseRequest('{"command":"x","token":5}').token, undefined);
});

test('plain text requests: command|parameter, trailing newline and NUL ignored', () => {
  assert.deepEqual(parseRequest(b('summary')), { json: false, commands: ['summary'], joined: false });
  assert.deepEqual(parseRequest(b('summary\n')), { json: false, commands: ['summary'], joined: false });
  assert.deepEqual(parseRequest(b('switchpool|1\r\n')), { json: false, commands: ['switchpool'], joined: false, parameter: '1' });
  assert.deepEqual(parseRequest(b('addpool|a,b|c\u0000junk')).parameter, 'a,b|c');
  assert.equal(parseRequest(b('check|')).parameter, '');
});

test('joined commands: split on +, empties skipped, repeats once, parameter dropped', () => {
  assert.deepEqual(parseRequest(b('+devs++summary+devs|x')), { json: false, commands: ['devs', 'summary'], joined: true });
  assert.deepEqual(parseRequest('{"command":"summary+pools","parameter":"1"}'), { json: true, commands: ['summary', 'pools'], joined: true });
  // One command with the joined layout is still joined (API-README).
  assert.equal(parseRequest('summary+').joined, true);
});

test('bad requests give typed errors that say whether to answer in JSON', () => {
  const kind = (s: string): [string, boolean] => {
    try {
      parseRequest(s);
    } catch (err) {
      assert.ok(err instanceof CgminerRequestError);
      return [err.kind, err.json];
    }
    return ['none', false];
  };
  assert.deepEqual(kind('{"command":'), ['invalid-json', true]);
  assert.deepEqual(kind('{}'), ['missing-command', true]);
  assert.deepEqual(kind('{"command":5}'), ['invalid-command', true]);
  assert.deepEqual(kind('[1]'), ['none', false]); // not starting with { : a (strange) text command
  assert.deepEqual(kind('{"command":"+++"}'), ['invalid-command', true]);
  assert.deepEqual(kind(''), ['empty', false]);
  assert.deepEqual(kind('   '), ['empty', false]);
  assert.deepEqual(kind('|1'), ['invalid-command', false]);
});

test('framing: a NUL or line feed ends text; JSON is complete once it parses (across lines)', () => {
  assert.equal(requestLength(b('summ')), undefined);
  assert.equal(requestLength(b('summary\n')), 7);
  assert.equal(requestLength(b('summary\u0000')), 7);
  assert.equal(requestLength(b('{"command":"sum')), undefined);
  assert.equal(requestLength(b('{"command":"summary"}')), 21);
  assert.equal(requestLength(b('{\n "command": "summary"\n}')), 25);
  assert.equal(requestLength(b('{\n "command"')), undefined);
  assert.equal(requestLength(b('{"command"\u0000')), 10);
  assert.equal(requestLength(b('\n\nsummary\n')), 9);
});
