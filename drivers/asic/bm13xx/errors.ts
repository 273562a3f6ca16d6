/**
 * Typed errors of the BM13xx driver. Bad bytes from a chain are normal events: codecs throw these,
 * the chain counts and logs them and keeps running.
 */

/** A frame that cannot be decoded (wrong preamble, length, header or CRC). */
export class Bm13xxFrameError extends Error {
  override readonly name = 'Bm13xxFrameError';
}

/** A value that cannot be encoded for a chip (frequency out of range, bad difficulty, bad baud...). */
export class Bm13xxConfigError extends Error {
  override readonly name = 'Bm13xxConfigError';
}

/** The chain did not come up as configured. `missing` lists chip indices (0 = nearest the host). */
export class ChainBringUpError extends Error {
  override readonly name = 'ChainBringUpError';
  constructor(
    message: string,
    readonly detail: {
      expected: number;
      found: number;
      /** Chip indices that did not answer (when they could be identified). */
      missing: number[];
      /** Chip ids seen that do not belong to the configured family. */
      foreignIds?: number[];
      stage: 'enumeration' | 'addressing' | 'readback' | 'baud' | 'reset';
    },
  ) {
    super(message);
  }
}

/** An operation that the chain cannot do in its present state (not brought up, closed...). */
export class ChainStateError extends Error {
  override readonly name = 'ChainStateError';
}
