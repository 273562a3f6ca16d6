// Codecs for every message of the Common, Mining, Job Declaration and Template Distribution protocols
// (ids from sv2-spec 08-Message-Types and SRI, docs/sv2.md "Values and their sources"): each one round-trips
// with generated values, ids are unique, channel bits follow SRI, and the SetupConnection bytes of our
// transcript decode to its stated fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ALL_MESSAGES,
  decodeMessage,
  encodeMessage,
  messageSpecById,
  UnknownMessageError,
  type Sv2Message,
} from '../../../../src/upstream/sv2/messages/registry.js';
import type { MessageSpec } from '../../../../src/upstream/sv2/messages/message.js';
import { Sv2DecodeError, Sv2EncodeError } from '../../../../src/upstream/sv2/binary/errors.js';
import { fromHex, toHex } from '../../../../src/work/bytes.js';
import { arbitraryMessage } from '../../../helpers/sv2-arbitrary.js';
import { readVectorJson, vectorTest } from '../../../helpers/vectors.js';

const specs = ALL_MESSAGES as readonly MessageSpec[];

test('every message id of the four protocols is present exactly once', () => {
  const ids = specs.map((s) => s.msgType);
  assert.equal(new Set(ids).size, ids.length);
  const expect: Record<MessageSpec['protocol'], number[]> = {
    common: [0x00, 0x01, 0x02, 0x03, 0x04],
    mining: [0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25],
    'job-declaration': [0x50, 0x51, 0x55, 0x56, 0x57, 0x58, 0x59, 0x60],
    'template-distribution': [0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76],
  };
  for (const [protocol, list] of Object.entries(expect)) {
    assert.deepEqual(
      specs.filter((s) => s.protocol === protocol).map((s) => s.msgType),
      list,
      protocol,
    );
  }
});

test('channel bits follow SRI (set on channel-scoped mining messages only)', () => {
  const withBit = specs
    .filter((s) => s.channelBit)
    .map((s) => s.name)
    .sort();
  assert.deepEqual(withBit, [
    'ChannelEndpointChanged',
    'CloseChannel',
    'NewExtendedMiningJob',
    'NewMiningJob',
    'SetCustomMiningJob',
    'SetCustomMiningJobError',
    'SetCustomMiningJobSuccess',
    'SetExtranoncePrefix',
    'SetNewPrevHash',
    'SetTarget',
    'SubmitSharesError',
    'SubmitSharesExtended',
    'SubmitSharesStandard',
    'SubmitSharesSuccess',
    'UpdateChannel',
    'UpdateChannelError',
  ]);
  // Every channel message starts with channel_id, as spec 3.2.1 requires.
  for (const s of specs.filter((x) => x.channelBit)) assert.equal(Object.keys(s.fields)[0], 'channelId', s.name);
});

for (const spec of specs) {
  test(`${spec.specName} (0x${spec.msgType.toString(16).padStart(2, '0')}) round-trips`, () => {
    fc.assert(
      fc.property(arbitraryMessage(spec), (m) => {
        const f = encodeMessage(m);
        assert.equal(f.msgType, spec.msgType);
        assert.equal(f.channelMsg, spec.channelBit);
        assert.deepEqual(decodeMessage(f), m);
        // A receiver ignores a wrong channel bit.
        assert.deepEqual(decodeMessage({ ...f, channelMsg: !f.channelMsg }), m);
        // Any strict prefix of the payload is a typed error, and so is one extra byte.
        if (f.payload.length > 0) assert.throws(() => decodeMessage({ ...f, payload: f.payload.subarray(0, f.payload.length - 1) }), Sv2DecodeError);
        assert.throws(() => decodeMessage({ ...f, payload: new Uint8Array([...f.payload, 0]) }), Sv2DecodeError);
      }),
      { numRuns: 150 },
    );
  });
}

test('unknown ids are a typed UnknownMessageError, and lookup ignores the channel bit', () => {
  assert.throws(() => decodeMessage({ extensionType: 0, channelMsg: false, msgType: 0x1e, payload: new Uint8Array(0) }), UnknownMessageError);
  assert.throws(() => decodeMessage({ extensionType: 1, channelMsg: false, msgType: 0x00, payload: new Uint8Array(0) }), UnknownMessageError);
  assert.equal(messageSpecById(0x8000, 0x1a)?.name, 'SubmitSharesStandard');
});

test('a value that does not fit its type refuses to encode', () => {
  const bad = {
    type: 'SubmitSharesExtended',
    channelId: 1,
    sequenceNumber: 0,
    jobId: 1,
    nonce: 0,
    ntime: 0,
    version: 0,
    extranonce: new Uint8Array(33),
  } as Sv2Message;
  assert.throws(() => encodeMessage(bad), Sv2EncodeError);
  const neg = { type: 'SetTarget', channelId: -1, maximumTarget: new Uint8Array(32) } as Sv2Message;
  assert.throws(() => encodeMessage(neg), Sv2EncodeError);
});

interface Transcript {
  transport: {
    initiator_setup_connection: { plaintext_header: string; plaintext_payload: string; payload_fields: Record<string, number | string> };
    responder_setup_connection_success: { plaintext_header: string; plaintext_payload: string };
  };
}

vectorTest('SetupConnection and SetupConnection.Success bytes of the (self-generated) transcript decode to its fields', () => {
  const t = readVectorJson<Transcript>('sv2/sv2_noise_handshake_selfgen.json').transport;
  const s = t.initiator_setup_connection;
  const p = s.payload_fields;
  const m = decodeMessage({ extensionType: 0, channelMsg: false, msgType: 0, payload: fromHex(s.plaintext_payload) });
  assert.deepEqual(m, {
    type: 'SetupConnection',
    protocol: p.protocol,
    minVersion: p.min_version,
    maxVersion: p.max_version,
    flags: p.flags,
    endpointHost: p.endpoint_host,
    endpointPort: p.endpoint_port,
    vendor: p.vendor,
    hardwareVersion: p.hardware_version,
    firmware: p.firmware,
    deviceId: p.device_id,
  });
  const f = encodeMessage(m);
  assert.equal(toHex(f.payload), s.plaintext_payload);
  assert.equal(s.plaintext_header, '0000' + '00' + f.payload.length.toString(16).padStart(2, '0') + '0000');
  const ok = decodeMessage({ extensionType: 0, channelMsg: false, msgType: 1, payload: fromHex(t.responder_setup_connection_success.plaintext_payload) });
  assert.deepEqual(ok, { type: 'SetupConnectionSuccess', usedVersion: 2, flags: 0 });
});

test('OpenExtendedMiningChannel.Success from a pool older than group_channel_id (SRI before 2025-12-18) decodes with group 0', () => {
  const msg: Sv2Message = {
    type: 'OpenExtendedMiningChannelSuccess',
    requestId: 7,
    channelId: 3,
    target: new Uint8Array(32).fill(0xff),
    extranonceSize: 8,
    extranoncePrefix: Uint8Array.of(1, 2, 3, 4),
    groupChannelId: 9,
  };
  const f = encodeMessage(msg);
  assert.deepEqual(decodeMessage(f), msg);
  // The old layout: the same bytes without the trailing U32.
  const old = { ...f, payload: f.payload.subarray(0, f.payload.length - 4) };
  assert.deepEqual(decodeMessage(old), { ...msg, groupChannelId: 0 });
  // Ending anywhere else is still truncated.
  for (const cut of [1, 2, 3, 5]) {
    assert.throws(() => decodeMessage({ ...f, payload: f.payload.subarray(0, f.payload.length - cut) }), Sv2DecodeError, `cut ${cut}`);
  }
  // Messages without a legacy tail stay strict.
  const std = encodeMessage({
    type: 'OpenStandardMiningChannelSuccess',
    requestId: 7,
    channelId: 3,
    target: new Uint8Array(32),
    extranoncePrefix: Uint8Array.of(1),
    groupChannelId: 9,
  });
  assert.throws(() => decodeMessage({ ...std, payload: std.payload.subarray(0, std.payload.length - 4) }), Sv2DecodeError);
});
