/**
 * fast-check arbitraries for SV2 values, built from the type descriptors every field codec carries, so
 * that every message of the registry can be generated without listing its fields here.
 */
import fc from 'fast-check';
import type { FieldCodec, TypeDescriptor } from '../../src/upstream/sv2/binary/types.js';
import { ALL_MESSAGES, type Sv2Message } from '../../src/upstream/sv2/messages/registry.js';
import type { MessageSpec } from '../../src/upstream/sv2/messages/message.js';

/** Keeps generated messages small so property runs stay fast (the limits are tested separately). */
const SMALL = { bytes: 80, seq: 6, str: 40 };

export function arbitraryFor(desc: TypeDescriptor): fc.Arbitrary<unknown> {
  switch (desc.type) {
    case 'BOOL':
      return fc.boolean();
    case 'U8':
      return fc.integer({ min: 0, max: 0xff });
    case 'U16':
      return fc.integer({ min: 0, max: 0xffff });
    case 'U24':
      return fc.integer({ min: 0, max: 0xffffff });
    case 'U32':
      return fc.integer({ min: 0, max: 0xffffffff });
    case 'U64':
      return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    case 'F32':
      // Values a float32 holds exactly, so the round trip is exact.
      return fc.float({ noNaN: true }).map((x) => Math.fround(x));
    case 'U256':
    case 'PUBKEY':
      return fc.uint8Array({ minLength: 32, maxLength: 32 });
    case 'SIGNATURE':
      return fc.uint8Array({ minLength: 64, maxLength: 64 });
    case 'STR0_255':
      return fc.string({ maxLength: SMALL.str });
    case 'B0_32':
      return fc.uint8Array({ maxLength: 32 });
    case 'B0_255':
    case 'B0_64K':
    case 'B0_16M':
      return fc.uint8Array({ maxLength: SMALL.bytes });
    case 'SEQ0_255':
    case 'SEQ0_64K':
      return fc.array(arbitraryFor(desc.item.desc), { maxLength: SMALL.seq });
    case 'OPTION':
      return fc.option(arbitraryFor(desc.item.desc), { nil: null });
  }
}

export function arbitraryMessage(spec: MessageSpec): fc.Arbitrary<Sv2Message> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, codec] of Object.entries(spec.fields) as [string, FieldCodec<unknown>][]) fields[name] = arbitraryFor(codec.desc);
  return fc.record(fields).map((v) => ({ type: spec.name, ...v }) as unknown as Sv2Message);
}

export const anyMessage: fc.Arbitrary<Sv2Message> = fc.oneof(...(ALL_MESSAGES as readonly MessageSpec[]).map(arbitraryMessage));

/** A small deterministic PRNG (xorshift32) for the bulk fuzz loops, cheaper than fast-check per case. */
export class Xorshift {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return this.next() % n;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
}
