// cgminer reply encoding against api.c's layout: STATUS first, sections as arrays, "id":1, the text form
// with `|` and `,`, joined replies keyed by command, action words, api.c's number formats, escaping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Msg } from '../../../src/api/cgminer-codes.js';
import { encodeJoined, encodeJson, encodeText, escapeText, formatNumber, type CommandReply } from '../../../src/api/cgminer-format.js';

const ctx = { when: 1700000000, description: 'asic-agent 0.1.0' };

const summaryLike: CommandReply = {
  kind: 'report',
  status: Msg.summary(),
  sections: [
    {
      name: 'SUMMARY',
      labelled: true,
      items: [
        [
          ['Elapsed', 'elapsed', 12.6],
          ['MHS av', 'mhs', 1.005],
          ['Accepted', 'int', 7],
          ['Difficulty Accepted', 'diff', 1024],
          ['Pool Rejected%', 'percent', 0.0123456],
          ['Stratum Active', 'bool', true],
        ],
      ],
    },
  ],
};

test('JSON reply: STATUS array, section array, id 1, api.c number formats', () => {
  assert.equal(
    encodeJson(summaryLike, ctx),
    '{"STATUS":[{"STATUS":"S","When":1700000000,"Code":11,"Msg":"Summary","Description":"asic-agent 0.1.0"}],' +
      '"SUMMARY":[{"Elapsed":13,"MHS av":1.00,"Accepted":7,"Difficulty Accepted":1024.00000000,"Pool Rejected%":1.2346,"Stratum Active":true}],"id":1}',
  );
});

test('text reply: STATUS=..| then the labelled section', () => {
  assert.equal(
    encodeText(summaryLike, ctx),
    'STATUS=S,When=1700000000,Code=11,Msg=Summary,Description=asic-agent 0.1.0|' +
      'SUMMARY,Elapsed=13,MHS av=1.00,Accepted=7,Difficulty Accepted=1024.00000000,Pool Rejected%=1.2346,Stratum Active=true|',
  );
});

test('list sections print one `|`-terminated item each, without a label in text', () => {
  const r: CommandReply = {
    kind: 'report',
    status: Msg.pools(2),
    sections: [
      {
        name: 'POOLS',
        labelled: false,
        items: [
          [
            ['POOL', 'int', 0],
            ['URL', 'string', 'a'],
          ],
          [
            ['POOL', 'int', 1],
            ['URL', 'string', 'b'],
          ],
        ],
      },
    ],
  };
  assert.equal(encodeText(r, ctx), 'STATUS=S,When=1700000000,Code=7,Msg=2 Pool(s),Description=asic-agent 0.1.0|POOL=0,URL=a|POOL=1,URL=b|');
  assert.match(encodeJson(r, ctx), /"POOLS":\[\{"POOL":0,"URL":"a"\},\{"POOL":1,"URL":"b"\}\],"id":1\}$/);
});

test('Invalid command carries no Description (api.c: nothing for random probes)', () => {
  const r: CommandReply = { kind: 'report', status: Msg.invalidCommand(), sections: [] };
  assert.equal(encodeJson(r, ctx), '{"STATUS":[{"STATUS":"E","When":1700000000,"Code":14,"Msg":"Invalid command"}],"id":1}');
  assert.equal(encodeText(r, ctx), 'STATUS=E,When=1700000000,Code=14,Msg=Invalid command|');
});

test('joined replies: one key per command holding an array with the full reply; text prefixes CMD=', () => {
  const parts = [
    { command: 'summary', reply: summaryLike },
    { command: 'bogus', reply: { kind: 'report', status: Msg.invalidCommand(), sections: [] } as CommandReply },
  ];
  const json = encodeJoined(parts, true, ctx);
  const v = JSON.parse(json) as Record<string, unknown>;
  assert.deepEqual(Object.keys(v), ['summary', 'bogus', 'id']);
  assert.equal(v.id, 1);
  assert.ok(Array.isArray(v.summary) && v.summary.length === 1);
  assert.equal(json, `{"summary":[${encodeJson(summaryLike, ctx)}],"bogus":[${encodeJson(parts[1]!.reply, ctx)}],"id":1}`);
  assert.equal(encodeJoined(parts, false, ctx), `CMD=summary|${encodeText(summaryLike, ctx)}CMD=bogus|STATUS=E,When=1700000000,Code=14,Msg=Invalid command|`);
});

test('action replies: {"STATUS":"RESTART","id":1} and the bare word', () => {
  assert.equal(encodeJson({ kind: 'action', word: 'RESTART' }, ctx), '{"STATUS":"RESTART","id":1}');
  assert.equal(encodeText({ kind: 'action', word: 'RESTART' }, ctx), 'RESTART');
});

test('escaping: text escapes | , = \\ ; JSON escapes quotes, backslashes and control characters', () => {
  assert.equal(escapeText('a|b,c=d\\e'), 'a\\|b\\,c\\=d\\\\e');
  const r: CommandReply = { kind: 'report', status: Msg.summary(), sections: [{ name: 'X', labelled: true, items: [[['User', 'string', 'q"u\\o\nte|,=']]] }] };
  const j = encodeJson(r, ctx);
  assert.equal((JSON.parse(j) as { X: { User: string }[] }).X[0]?.User, 'q"u\\o\nte|,=');
  assert.ok(!j.includes('\n'), 'no raw newline in JSON');
  assert.ok(encodeText(r, ctx).includes('User=q"u\\\\o\nte\\|\\,\\='));
});

test('numbers are always finite and plain', () => {
  assert.equal(formatNumber('mhs', Number.NaN), '0.00');
  assert.equal(formatNumber('diff', Number.POSITIVE_INFINITY), '0.00000000');
  assert.equal(formatNumber('int', -0.4), '0');
  assert.equal(formatNumber('int', 12.9), '12');
  assert.equal(formatNumber('time', 1700000000.9), '1700000000');
  assert.equal(formatNumber('percent', 0.5), '50.0000');
  assert.equal(formatNumber('elapsed', 2.5), '3');
  assert.equal(formatNumber('mhtotal', 1), '1.0000');
  const r: CommandReply = {
    kind: 'report',
    status: Msg.summary(),
    sections: [
      {
        name: 'X',
        labelled: true,
        items: [
          [
            ['a', 'mhs', Number.NaN],
            ['b', 'int', Number.NEGATIVE_INFINITY],
          ],
        ],
      },
    ],
  };
  assert.deepEqual((JSON.parse(encodeJson(r, ctx)) as { X: unknown[] }).X[0], { a: 0, b: 0 });
});
