/** Typed errors of the Noise layer. `reason` is a short stable token for logs, stats and probe output. */

export type NoiseFailure =
  /** AEAD tag mismatch: tampered, corrupted or wrong-key ciphertext. */
  | 'decrypt-failed'
  /** A handshake message of the wrong size. */
  | 'bad-handshake-length'
  /** The peer's EllSwift key decodes to an unusable point. */
  | 'bad-key'
  /** The 64-bit nonce space is exhausted (Noise spec 5.1: never reuse a nonce). */
  | 'nonce-exhausted'
  /** Certificate checks (spec 4.5.2/4.7). */
  | 'certificate-bad-signature'
  | 'certificate-expired'
  | 'certificate-not-yet-valid'
  | 'certificate-unsupported-version'
  /** A frame announced more than the receiver accepts. */
  | 'frame-too-large';

export class NoiseError extends Error {
  override readonly name = 'NoiseError';
  constructor(
    readonly reason: NoiseFailure,
    message: string,
  ) {
    super(message);
  }
}
