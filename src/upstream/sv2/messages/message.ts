/**
 * How a message is described: its id, its channel bit, and its fields in wire order, each with an SV2
 * type codec. Encoding and decoding are generic over that description (messages/codec.ts), so every
 * message table in this folder is data, and a message's TypeScript type is derived from it.
 */
import type { FieldCodec, ValueOf } from '../binary/types.js';

export type Sv2Protocol = 'common' | 'mining' | 'job-declaration' | 'template-distribution';

export type FieldTable = Record<string, FieldCodec<unknown>>;

export interface MessageSpec<N extends string = string, F extends FieldTable = FieldTable> {
  /** Identifier used as the `type` of decoded messages (spec name without dots). */
  readonly name: N;
  /** The name as the spec writes it, for logs ("SetupConnection.Success"). */
  readonly specName: string;
  readonly protocol: Sv2Protocol;
  /** Extension type (0 for the core protocols, spec 3.4). */
  readonly extensionType: number;
  readonly msgType: number;
  /**
   * Whether senders set channel_msg (SRI CHANNEL_BIT_* constants; docs/sv2.md "Values and their sources").
   */
  readonly channelBit: boolean;
  /** Fields in wire order (object key order is insertion order for string keys). */
  readonly fields: F;
  /**
   * Trailing fields that older senders do not send, with the value to assume when the payload ends
   * right before them (a payload that ends anywhere else is still truncated). Encoding always writes them.
   */
  readonly legacyTail?: Readonly<Partial<FieldValues<F>>>;
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};

export type FieldValues<F extends FieldTable> = { -readonly [K in keyof F]: ValueOf<F[K]> };

/** The decoded form of a message: `{ type: name, ...fields }`. */
export type MessageOf<S> = S extends MessageSpec<infer N, infer F> ? Simplify<{ type: N } & FieldValues<F>> : never;

export function defineMessage<const N extends string, F extends FieldTable>(
  protocol: Sv2Protocol,
  msgType: number,
  name: N,
  specName: string,
  channelBit: boolean,
  fields: F,
  legacyTail?: Partial<FieldValues<F>>,
): MessageSpec<N, F> {
  if (Object.hasOwn(fields, 'type')) throw new Error(`${specName}: a field may not be called 'type'`);
  if (legacyTail) {
    // Only a run of fields at the end can be missing.
    const names = Object.keys(fields);
    const tail = Object.keys(legacyTail);
    if (tail.some((n, i) => n !== names[names.length - tail.length + i])) throw new Error(`${specName}: legacy fields must be the last ones, in order`);
  }
  return Object.freeze({
    name,
    specName,
    protocol,
    extensionType: 0,
    msgType,
    channelBit,
    fields,
    ...(legacyTail ? { legacyTail: Object.freeze({ ...legacyTail }) } : {}),
  });
}
