/**
 * Typed errors of the SV2 binary layer (spec 03-Protocol-Overview 3.1 "Data Types Mapping").
 * Everything read from the wire is untrusted: a short buffer, an oversized length prefix or a trailing
 * byte is a `Sv2DecodeError`, never an exception of another kind. Encoding a value that does not fit
 * its wire type (a 300-byte STR0_255, a negative U32) is a programming error on our side and throws
 * `Sv2EncodeError`.
 */

export type Sv2DecodeErrorCode =
  /** The payload ended before the field did. */
  | 'truncated'
  /** A length or count prefix is larger than the type allows (e.g. B0_32 with length 33). */
  | 'length-limit'
  /** Bytes left over after the last field. */
  | 'trailing-bytes'
  /** A value the type cannot hold (e.g. OPTION with a count of 2). */
  | 'invalid-value';

export class Sv2DecodeError extends Error {
  override readonly name: string = 'Sv2DecodeError';
  constructor(
    readonly code: Sv2DecodeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class Sv2EncodeError extends Error {
  override readonly name = 'Sv2EncodeError';
}
