/**
 * Every message of the four core protocols, looked up by (extension_type, msg_type), with generic
 * encode/decode. Ids are unique within extension 0 across the protocols (spec 08-Message-Types), so one
 * table serves a pool, a client, a job declarator and a template provider alike.
 */
import { BinaryReader } from '../binary/reader.js';
import { BinaryWriter } from '../binary/writer.js';
import { Sv2DecodeError } from '../binary/errors.js';
import type { Frame } from '../framing.js';
import { COMMON_MESSAGES } from './common.js';
import { MINING_MESSAGES } from './mining.js';
import { JOB_DECLARATION_MESSAGES } from './job-declaration.js';
import { TEMPLATE_DISTRIBUTION_MESSAGES } from './template-distribution.js';
import type { MessageOf, MessageSpec } from './message.js';

export const ALL_MESSAGES = [...COMMON_MESSAGES, ...MINING_MESSAGES, ...JOB_DECLARATION_MESSAGES, ...TEMPLATE_DISTRIBUTION_MESSAGES] as const;

type AnySpec = (typeof ALL_MESSAGES)[number];
/** Any decoded core-protocol message, discriminated by `type`. */
export type Sv2Message = MessageOf<AnySpec>;
export type Sv2MessageType = Sv2Message['type'];
export type Sv2MessageOf<T extends Sv2MessageType> = Extract<Sv2Message, { type: T }>;

/** A frame whose (extension_type, msg_type) is not in the table. Spec 3.4: drop, do not fail. */
export class UnknownMessageError extends Sv2DecodeError {
  override readonly name: string = 'UnknownMessageError';
  constructor(
    readonly extensionType: number,
    readonly msgType: number,
  ) {
    super('invalid-value', `unknown message: extension 0x${extensionType.toString(16)} type 0x${msgType.toString(16)}`);
  }
}

const byKey = new Map<number, MessageSpec>();
const byName = new Map<string, MessageSpec>();
for (const spec of ALL_MESSAGES as readonly MessageSpec[]) {
  const key = (spec.extensionType << 8) | spec.msgType;
  if (byKey.has(key)) throw new Error(`duplicate message id 0x${spec.msgType.toString(16)}`);
  byKey.set(key, spec);
  byName.set(spec.name, spec);
}

export function messageSpecById(extensionType: number, msgType: number): MessageSpec | undefined {
  return byKey.get(((extensionType & 0x7fff) << 8) | msgType);
}

export function messageSpecByName(name: Sv2MessageType): MessageSpec {
  const spec = byName.get(name);
  if (!spec) throw new Error(`unknown message name ${name}`);
  return spec;
}

/** The payload bytes of a message. Throws Sv2EncodeError when a field does not fit its type. */
export function encodePayload(msg: Sv2Message): Uint8Array {
  const spec = messageSpecByName(msg.type);
  const w = new BinaryWriter();
  const values = msg as unknown as Record<string, unknown>;
  for (const [field, codec] of Object.entries(spec.fields)) codec.write(w, values[field], `${spec.specName}.${field}`);
  return w.finish();
}

/** A message as a plaintext frame, with the channel bit its spec prescribes. */
export function encodeMessage(msg: Sv2Message): Frame {
  const spec = messageSpecByName(msg.type);
  return { extensionType: spec.extensionType, channelMsg: spec.channelBit, msgType: spec.msgType, payload: encodePayload(msg) };
}

/** Decodes a payload with a known spec. Throws Sv2DecodeError on any malformed or trailing byte. */
export function decodePayload(spec: MessageSpec, payload: Uint8Array): Sv2Message {
  const r = new BinaryReader(payload);
  const out: Record<string, unknown> = { type: spec.name };
  const legacy: Record<string, unknown> | undefined = spec.legacyTail;
  for (const [field, codec] of Object.entries(spec.fields)) {
    if (legacy && r.remaining === 0 && field in legacy) {
      // An older sender stopped before the fields it does not know (see MessageSpec.legacyTail).
      out[field] = legacy[field];
      continue;
    }
    out[field] = codec.read(r, `${spec.specName}.${field}`);
  }
  r.end(spec.specName);
  return out as unknown as Sv2Message;
}

/**
 * Decodes a frame. A mismatched channel bit is tolerated (a receiver should not reject on it:
 * docs/sv2.md "Values and their sources"). Throws UnknownMessageError for ids not in the table,
 * Sv2DecodeError for bad payloads.
 */
export function decodeMessage(frame: Frame): Sv2Message {
  const spec = messageSpecById(frame.extensionType, frame.msgType);
  if (!spec) throw new UnknownMessageError(frame.extensionType, frame.msgType);
  return decodePayload(spec, frame.payload);
}
